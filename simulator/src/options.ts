import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isValidSymbol, type ReplaySpeed } from '@tickfeed/protocol';
import { parseTimestamp } from './tape-format.js';
import { isReplaySpeed, MAX_NUMERIC_SPEED } from './transport.js';

export type SimulatorMode = 'live' | 'replay' | 'offline';

export interface ReplayOptions {
  /** --replay FILE...: CSV or NDJSON tapes, merged by ts. */
  files: string[];
  /** --speed N|max (default 1). */
  speed: ReplaySpeed;
  /** --loop: start over at the end (a new epoch each time). */
  loop: boolean;
  /** --from ISO|ms: recorded time to start at, epoch ms. */
  fromMs: number | null;
  /** --symbol S: the symbol of rows that have no symbol column. */
  symbol: string | null;
  /** --strict: stop at the first bad row instead of skipping and counting. */
  strict: boolean;
}

/** Everything the simulator's command line says, validated. */
export interface SimulatorOptions {
  /** replay when --replay is given, offline when --out is, live otherwise. */
  mode: SimulatorMode;
  /** --url: feed server to publish into (standalone live/replay; default http://127.0.0.1:3000). */
  url: string | null;
  /** --token (or INGEST_TOKEN): the server's ingest token. */
  token: string | null;
  /** --seed N (default 42). */
  seed: number;
  /** --rate R: aggregate mean ticks per second (default: the universe's activities, ~81/s). */
  rate: number | null;
  /** --symbols AAPL,MSFT (a subset) or --symbols 500 (synthetic). */
  symbols: string[] | number | null;
  /** --universe FILE: JSON universe (default: the built-in one). */
  universeFile: string | null;
  /** --out FILE: write NDJSON ticks offline, '-' for stdout. */
  out: string | null;
  /** --duration D: offline length, e.g. 90s, 15m, 6h, 5d (default 1d). */
  durationMs: number;
  /** --start ISO|ms: offline model start (default 2024-01-01T00:00:00Z, so a seed reproduces the file). */
  startMs: number;
  /** --record FILE: also append what is published to an NDJSON file. */
  record: string | null;
  replay: ReplayOptions | null;
  /** --batch-ms N: time between publishes, ms (default 25). */
  batchMs: number;
  /** --book-depth N: levels per side of each simulated symbol's order book (default 10; 0 = no book). */
  bookDepth: number;
  /** --always-open: live symbols trade around the clock instead of in their market's hours (SPEC S70). */
  alwaysOpen: boolean;
  /** --help */
  help: boolean;
  /** --print-universe: print the universe as JSON and exit. */
  printUniverse: boolean;
}

export const DEFAULT_SEED = 42;
export const DEFAULT_OFFLINE_START_MS = Date.UTC(2024, 0, 1);
export const DEFAULT_BATCH_MS = 25;
export const DEFAULT_BOOK_DEPTH = 10;
/** Most levels per side a simulated book publishes. */
export const MAX_BOOK_DEPTH = 100;

/** A bad command line; the message names the flag. */
export class OptionsError extends Error {
  override name = 'OptionsError';
}

/**
 * The flags, for node:util parseArgs. --replay takes every word up to the
 * next flag (`--replay a.csv b.csv`), which parseArgs reads as one value and
 * positionals: scan() joins them from its tokens.
 */
const FLAGS = {
  url: { type: 'string' },
  token: { type: 'string' },
  seed: { type: 'string' },
  rate: { type: 'string' },
  symbols: { type: 'string' },
  universe: { type: 'string' },
  out: { type: 'string' },
  duration: { type: 'string' },
  start: { type: 'string' },
  record: { type: 'string' },
  replay: { type: 'string' },
  speed: { type: 'string' },
  loop: { type: 'boolean' },
  from: { type: 'string' },
  symbol: { type: 'string' },
  strict: { type: 'boolean' },
  'batch-ms': { type: 'string' },
  'book-depth': { type: 'string' },
  'always-open': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  'print-universe': { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

/**
 * Parses the simulator's flags (`--flag value` or `--flag=value`). Throws an
 * OptionsError naming the bad flag. `env` supplies INGEST_TOKEN when --token
 * is absent.
 */
export function parseSimulatorArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): SimulatorOptions {
  const { options, rest } = scan(argv, env, false);
  if (rest.length > 0) throw new OptionsError(`unknown argument '${rest[0]}' (see --help)`);
  return options;
}

/**
 * For a host that shares its command line with the simulator (the launcher's
 * `npm start -- --replay FILE --speed 60 --port 3000`): parses the
 * simulator's flags and returns the others untouched, in order, in `rest`.
 * An unknown flag's following non-flag word stays with it in `rest`.
 */
export function extractSimulatorArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): { options: SimulatorOptions; rest: string[] } {
  return scan(argv, env, true);
}

function scan(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, allowUnknown: boolean) {
  // Keyed by the flag as written in messages ('--seed'); -h counts as --help.
  const values = new Map<string, string[]>();
  const rest: string[] = [];
  const { tokens } = parseArgs({ args: [...argv], options: FLAGS, strict: false, allowPositionals: true, tokens: true });
  /** Where the last flag's words go: --replay's list, or an unknown flag's word in `rest`. */
  let open: 'replay' | 'unknown' | undefined;
  for (const token of tokens) {
    if (token.kind === 'option-terminator') {
      open = undefined;
      continue;
    }
    if (token.kind === 'positional') {
      if (open === 'replay') values.get('--replay')!.push(token.value);
      else if (allowUnknown) rest.push(token.value);
      else throw new OptionsError(`unexpected argument '${token.value}' (see --help)`);
      if (open === 'unknown') open = undefined;
      continue;
    }
    open = undefined;
    const known = Object.hasOwn(FLAGS, token.name) && (token.rawName.startsWith('--') || token.rawName === '-h');
    if (!known) {
      if (!allowUnknown) throw new OptionsError(`unknown flag ${token.rawName} (see --help)`);
      rest.push(argv[token.index]!);
      if (token.value === undefined && token.rawName.startsWith('-')) open = 'unknown';
      continue;
    }
    const flag = token.rawName === '-h' ? '--help' : token.rawName;
    const kind = FLAGS[token.name as keyof typeof FLAGS].type;
    if (values.has(flag) && flag !== '--replay') throw new OptionsError(`${flag} is given twice`);
    if (kind === 'boolean') {
      if (token.value !== undefined) throw new OptionsError(`${flag} takes no value`);
      values.set(flag, []);
      continue;
    }
    // parseArgs takes the next word even when it is another flag: that is a missing value here.
    if (token.value === undefined || (token.inlineValue === false && token.value.startsWith('--'))) throw new OptionsError(`${flag} needs a value`);
    values.set(flag, [...(values.get(flag) ?? []), token.value]);
    if (flag === '--replay' && token.inlineValue === false) open = 'replay';
  }

  const one = (flag: string): string | null => values.get(flag)?.[0] ?? null;
  const has = (flag: string) => values.has(flag);
  const number = (flag: string, check: (n: number) => boolean, what: string): number | null => {
    const text = one(flag);
    if (text === null) return null;
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n) || !check(n)) throw new OptionsError(`${flag} must be ${what}, got '${text}'`);
    return n;
  };

  const replayFiles = values.get('--replay') ?? null;
  const out = one('--out');
  if (replayFiles !== null && out !== null) throw new OptionsError('--out cannot be combined with --replay (offline output is for the simulation)');
  const mode: SimulatorMode = replayFiles !== null ? 'replay' : out !== null ? 'offline' : 'live';

  const replayOnly = ['--speed', '--loop', '--from', '--symbol', '--strict'];
  if (mode !== 'replay') for (const f of replayOnly) if (has(f)) throw new OptionsError(`${f} only applies with --replay`);
  const simulationOnly = ['--seed', '--rate', '--symbols', '--universe', '--book-depth'];
  if (mode === 'replay') for (const f of simulationOnly) if (has(f)) throw new OptionsError(`${f} does not apply to --replay`);
  if (mode !== 'live' && has('--always-open')) throw new OptionsError('--always-open only applies to a live simulation (replays keep their own clock)');
  const offlineOnly = ['--duration', '--start'];
  if (mode !== 'offline') for (const f of offlineOnly) if (has(f)) throw new OptionsError(`${f} only applies with --out`);
  if (mode === 'offline') for (const f of ['--url', '--token', '--record']) if (has(f)) throw new OptionsError(`${f} does not apply to --out (no server)`);

  const url = one('--url');
  if (url !== null && !/^https?:\/\/[^\s/]+/.test(url)) throw new OptionsError(`--url must be an http(s) URL like http://127.0.0.1:3000, got '${url}'`);

  let symbols: string[] | number | null = null;
  const symbolsText = one('--symbols');
  if (symbolsText !== null) {
    if (/^\d+$/.test(symbolsText.trim())) {
      const n = Number(symbolsText);
      if (n < 1 || n > 100_000) throw new OptionsError(`--symbols must be a list of symbols or a count in [1, 100000], got '${symbolsText}'`);
      symbols = n;
    } else {
      const list = symbolsText.split(',').map((s) => s.trim()).filter((s) => s !== '');
      const bad = list.find((s) => !isValidSymbol(s));
      if (list.length === 0 || bad !== undefined) throw new OptionsError(`--symbols must be a comma-separated list of symbols (like AAPL,BTC-USD) or a count, got '${bad ?? symbolsText}'`);
      symbols = list;
    }
  }

  let replay: ReplayOptions | null = null;
  if (replayFiles !== null) {
    const speedText = one('--speed') ?? '1';
    const speed: unknown = speedText === 'max' ? 'max' : Number(speedText);
    if (!isReplaySpeed(speed)) throw new OptionsError(`--speed must be a number in (0, ${MAX_NUMERIC_SPEED}] or 'max', got '${speedText}'`);
    const fromText = one('--from');
    const fromMs = fromText === null ? null : parseTimestamp(fromText);
    if (fromText !== null && fromMs === null) throw new OptionsError(`--from must be an ISO-8601 time with a zone (2012-06-21T14:00:00Z) or epoch ms, got '${fromText}'`);
    const symbol = one('--symbol');
    if (symbol !== null && !isValidSymbol(symbol)) throw new OptionsError(`--symbol must match ^[A-Z0-9][A-Z0-9._-]{0,19}$, got '${symbol}'`);
    replay = { files: replayFiles, speed, loop: has('--loop'), fromMs, symbol, strict: has('--strict'), };
  }

  const startText = one('--start');
  const startMs = startText === null ? DEFAULT_OFFLINE_START_MS : parseTimestamp(startText);
  if (startMs === null) throw new OptionsError(`--start must be an ISO-8601 time with a zone or epoch ms, got '${startText}'`);
  const durationText = one('--duration');
  const durationMs = durationText === null ? 86_400_000 : parseDuration(durationText);
  if (durationMs === null) throw new OptionsError(`--duration must be a positive duration like 500ms, 90s, 15m, 6h or 5d, got '${durationText}'`);

  const options: SimulatorOptions = {
    mode,
    url,
    token: one('--token') ?? env.INGEST_TOKEN ?? null,
    seed: number('--seed', (n) => Number.isSafeInteger(n), 'an integer') ?? DEFAULT_SEED,
    rate: number('--rate', (n) => n > 0 && n <= 10_000_000, 'a number of ticks per second > 0'),
    symbols,
    universeFile: one('--universe'),
    out,
    durationMs,
    startMs,
    record: one('--record'),
    replay,
    batchMs: number('--batch-ms', (n) => n >= 1 && n <= 10_000, 'a number of milliseconds in [1, 10000]') ?? DEFAULT_BATCH_MS,
    bookDepth: number('--book-depth', (n) => Number.isInteger(n) && n >= 0 && n <= MAX_BOOK_DEPTH, `an integer in [0, ${MAX_BOOK_DEPTH}]`) ?? DEFAULT_BOOK_DEPTH,
    alwaysOpen: has('--always-open'),
    help: has('--help'),
    printUniverse: has('--print-universe'),
  };
  return { options: Object.freeze(options), rest };
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `5d`, `6h`, `15m`, `90s`, `500ms` (a bare number is seconds) → ms, or null. */
export function parseDuration(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (m === null) return null;
  const ms = Number(m[1]) * UNIT_MS[m[2] ?? 's']!;
  return ms > 0 && Number.isFinite(ms) ? Math.round(ms) : null;
}

export const USAGE = `Usage: npm run simulate -- [options]

Live (publish into a feed server's /ingest namespace):
  --url URL            feed server (default http://127.0.0.1:3000)
  --token T            ingest token (default: $INGEST_TOKEN)
  --seed N             random seed (default ${DEFAULT_SEED})
  --rate R             aggregate mean ticks per second (default: the universe's, ~81/s)
  --symbols A,B | N    a subset of the universe, or N synthetic symbols (SYN0001...)
  --universe FILE      JSON universe file (see --print-universe)
  --record FILE        also append what is published to an NDJSON file
  --batch-ms N         time between publishes (default ${DEFAULT_BATCH_MS})
  --book-depth N       levels per side of each symbol's order book (default ${DEFAULT_BOOK_DEPTH}; 0 = no book)
  --always-open        trade every symbol around the clock (default: in its market's hours:
                       equities 09:30-16:00 New York on weekdays, FX Sun 17:00-Fri 17:00 New York)

Offline (no server, as fast as possible):
  --out FILE|-         write NDJSON ticks (wire format), '-' for stdout
  --duration D         simulated time, e.g. 90s, 15m, 6h, 5d (default 1d)
  --start ISO          model start time (default 2024-01-01T00:00:00Z)

Replay (CSV or NDJSON tapes, merged by ts):
  --replay FILE...     files to play; CSV header: ts,price,size[,bid,ask,symbol]
  --speed N|max        recorded gaps divided by N; max: as fast as the server acks (default 1)
  --loop               start over at the end (new epoch)
  --from ISO|ms        start at this recorded time
  --symbol S           symbol of rows without one (default: file name before the first '-')
  --strict             stop at the first bad row (default: skip and count)
  Keys (terminal): space pause/resume, + faster, - slower, r restart, q quit

  --print-universe     print the universe as JSON and exit
  --help               this text
`;
