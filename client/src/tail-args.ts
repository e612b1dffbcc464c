import { parseArgs } from 'node:util';
import { isValidSymbol } from '@tickfeed/protocol';

export interface TailArgs {
  readonly url: string;
  readonly symbols: string[];
  /** Access token (AUTH_MODE=jwt servers): `--token`, else the TICKFEED_TOKEN environment variable. */
  readonly token?: string;
}

export const TAIL_USAGE = 'usage: npm run tail -- SYMBOL [SYMBOL...] [--url http://127.0.0.1:3000] [--token JWT]';

/** Parses the tail command's arguments; returns an error message instead of throwing. */
export function parseTailArgs(argv: readonly string[], defaultUrl = 'http://127.0.0.1:3000', envToken?: string): TailArgs | { error: string } {
  let url = defaultUrl;
  let accessToken = envToken === '' ? undefined : envToken;
  const symbols: string[] = [];
  const { tokens } = parseArgs({
    args: [...argv],
    options: { url: { type: 'string' }, token: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional') {
      const symbol = token.value.toUpperCase();
      if (!isValidSymbol(symbol)) return { error: `not a valid symbol: ${token.value}` };
      if (!symbols.includes(symbol)) symbols.push(symbol);
    } else if (token.rawName === '--url') {
      if (token.value === undefined) return { error: '--url needs a value' };
      url = token.value;
    } else if (token.rawName === '--token') {
      if (token.value === undefined || token.value === '') return { error: '--token needs a value' };
      accessToken = token.value;
    } else if (token.rawName === '--help' || token.rawName === '-h') {
      return { error: TAIL_USAGE };
    } else {
      return { error: `unknown option ${argv[token.index]}\n${TAIL_USAGE}` };
    }
  }
  if (symbols.length === 0) return { error: TAIL_USAGE };
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return { error: `--url must be http(s): ${url}` };
  } catch {
    return { error: `--url is not a URL: ${url}` };
  }
  return accessToken === undefined ? { url, symbols } : { url, symbols, token: accessToken };
}

/** One tick as one line: ISO time (UTC), symbol, seq, price, size, bid, ask. */
export function formatTickLine(tick: {
  symbol: string;
  seq: number;
  ts: number;
  price: number;
  size: number;
  bid: number;
  ask: number;
}): string {
  const time = new Date(tick.ts).toISOString().slice(11, 23);
  return `${time} ${tick.symbol.padEnd(10)} #${String(tick.seq).padEnd(7)} ${String(tick.price).padStart(12)} x ${String(tick.size).padEnd(8)} bid ${tick.bid} ask ${tick.ask}`;
}
