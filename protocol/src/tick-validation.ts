import { ErrorCode, type ProtocolError } from './errors.js';
import { isValidSymbol } from './limits.js';
import type { Tick } from './schemas.js';

/**
 * Checks one untrusted value as a tick, field by field, without allocating on
 * the success path (ingest runs this on every tick). Sequence continuity is
 * the caller's: it depends on state. Returns null when the tick is valid.
 */
export function checkTick(value: unknown): ProtocolError | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return bad('a tick must be an object');
  }
  const t = value as Record<string, unknown>;
  if (!isValidSymbol(t.symbol)) return bad('symbol must match ^[A-Z0-9][A-Z0-9._-]{0,19}$');
  if (!Number.isSafeInteger(t.seq) || (t.seq as number) < 1) return bad('seq must be a positive integer');
  if (!isFiniteNumber(t.ts) || (t.ts as number) < 0) return bad('ts must be a finite, non-negative epoch-ms number');
  if (!isFiniteNumber(t.price) || (t.price as number) <= 0) return bad('price must be a finite number > 0');
  if (!isFiniteNumber(t.size) || (t.size as number) < 0) return bad('size must be a finite number >= 0');
  if (!isFiniteNumber(t.bid) || (t.bid as number) <= 0) return bad('bid must be a finite number > 0');
  if (!isFiniteNumber(t.ask) || (t.ask as number) <= 0) return bad('ask must be a finite number > 0');
  if ((t.bid as number) > (t.ask as number)) return bad('crossed quote: bid > ask');
  for (const key in t) {
    if (!TICK_KEYS.has(key)) return bad(`unknown tick field '${key.slice(0, 40)}'`);
  }
  return null;
}

/** Copies a checked tick into a fresh object with exactly the contract's fields, in the contract's order. */
export function normalizeTick(value: Tick): Tick {
  return {
    symbol: value.symbol,
    seq: value.seq,
    ts: value.ts,
    price: value.price,
    size: value.size,
    bid: value.bid,
    ask: value.ask,
  };
}

const TICK_KEYS = new Set(['symbol', 'seq', 'ts', 'price', 'size', 'bid', 'ask']);

function isFiniteNumber(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value);
}

function bad(message: string): ProtocolError {
  return { code: ErrorCode.INVALID_TICK, message };
}
