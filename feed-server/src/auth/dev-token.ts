import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { isValidPattern } from './entitlements.js';

/** What `npm run token` mints: the claims of a development access token. */
export interface DevTokenRequest {
  readonly sub: string;
  readonly symbols: readonly string[];
  readonly ttlSec: number;
  readonly book: boolean;
  readonly maxSubscriptions: number | undefined;
  readonly replayControl: boolean;
}

export const DEV_TOKEN_USAGE =
  "usage: npm run token -- --sub alice --symbols 'AAPL,BTC-*' [--ttl 1h] [--book] [--max-subscriptions N] [--replay-control]";

const TTL_UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3_600, d: 86_400 };

/** `90s`, `15m`, `1h`, `7d` or plain seconds → seconds; throws naming the flag. */
export function parseTtl(text: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  const seconds = match === null ? NaN : Number(match[1]) * TTL_UNITS[match[2] === '' ? 's' : match[2]!]!;
  if (!Number.isSafeInteger(seconds) || seconds < 1 || seconds > 366 * 86_400) {
    throw new Error(`--ttl must be a duration like 90s, 15m, 1h or 7d (at most 366d), got '${text}'`);
  }
  return seconds;
}

/** Reads the command line; throws an Error naming the bad flag. */
export function parseDevTokenArgs(argv: readonly string[]): DevTokenRequest {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      sub: { type: 'string' },
      symbols: { type: 'string' },
      ttl: { type: 'string', default: '1h' },
      book: { type: 'boolean', default: false },
      'max-subscriptions': { type: 'string' },
      'replay-control': { type: 'boolean', default: false },
    },
  });
  if (values.sub === undefined || values.sub === '') throw new Error('--sub is required (who the token is for)');
  const symbols = (values.symbols ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const bad = symbols.find((s) => !isValidPattern(s));
  if (bad !== undefined) throw new Error(`--symbols: '${bad}' is not a pattern (AAPL, BTC-*, *)`);
  let maxSubscriptions: number | undefined;
  if (values['max-subscriptions'] !== undefined) {
    maxSubscriptions = Number(values['max-subscriptions']);
    if (!Number.isInteger(maxSubscriptions) || maxSubscriptions < 0) throw new Error('--max-subscriptions must be a non-negative integer');
  }
  return {
    sub: values.sub,
    symbols,
    ttlSec: parseTtl(values.ttl),
    book: values.book,
    maxSubscriptions,
    replayControl: values['replay-control'],
  };
}

/** Signs the request with the HS256 secret (and the configured issuer and audience). */
export function mintDevToken(
  request: DevTokenRequest,
  key: { secret: string; issuer: string | undefined; audience: string | undefined },
  nowSec: number,
): Promise<string> {
  const jwt = new SignJWT({
    symbols: [...request.symbols],
    ...(request.book ? { book: true } : {}),
    ...(request.maxSubscriptions !== undefined ? { maxSubscriptions: request.maxSubscriptions } : {}),
    ...(request.replayControl ? { replayControl: true } : {}),
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(request.sub)
    .setIssuedAt(nowSec)
    .setExpirationTime(nowSec + request.ttlSec);
  if (key.issuer !== undefined) jwt.setIssuer(key.issuer);
  if (key.audience !== undefined) jwt.setAudience(key.audience);
  return jwt.sign(new TextEncoder().encode(key.secret));
}
