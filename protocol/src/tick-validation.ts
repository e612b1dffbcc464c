import { ErrorCode, type ProtocolError } from './errors.js';
import { TICK_LIMITS, isValidSymbol } from './limits.js';
import type { Tick } from './schemas.js';

/**
 * Checks one untrusted value as a tick, field by field, without allocating on
 * the success path (ingest runs this on every tick). Sequence continuity is
 * the caller's: it depends on state, and so does the window of `ts` around the
 * server's clock. Every number is bounded (TICK_LIMITS) so that no aggregate
 * built from valid ticks can overflow. Returns null when the tick is valid.
 */
export function checkTick(value: unknown): ProtocolError | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return bad('a tick must be an object');
  }
  const t = value as Record<string, unknown>;
  if (!isValidSymbol(t.symbol)) return bad('symbol must match ^[A-Z0-9][A-Z0-9._-]{0,19}$');
  if (!Number.isSafeInteger(t.seq) || (t.seq as number) < 1) return bad('seq must be a positive integer');
  if (!inRange(t.ts, 0, TICK_LIMITS.maxTs)) return bad(`ts must be an epoch-ms number from 0 to ${TICK_LIMITS.maxTs}`);
  if (!inRange(t.price, TICK_LIMITS.minPrice, TICK_LIMITS.maxPrice)) return bad(`price must be a number from ${PRICE_RANGE}`);
  if (!inRange(t.size, 0, TICK_LIMITS.maxSize)) return bad(`size must be a number from 0 to ${TICK_LIMITS.maxSize}`);
  if (!inRange(t.bid, TICK_LIMITS.minPrice, TICK_LIMITS.maxPrice)) return bad(`bid must be a number from ${PRICE_RANGE}`);
  if (!inRange(t.ask, TICK_LIMITS.minPrice, TICK_LIMITS.maxPrice)) return bad(`ask must be a number from ${PRICE_RANGE}`);
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

const PRICE_RANGE = `${TICK_LIMITS.minPrice} to ${TICK_LIMITS.maxPrice}`;

/** A number in [min, max]; NaN and the infinities fail both comparisons or the bounds. */
function inRange(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && value >= min && value <= max;
}

function bad(message: string): ProtocolError {
  return { code: ErrorCode.INVALID_TICK, message };
}
