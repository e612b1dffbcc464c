import type { Candle } from './schemas.js';
import { DEFAULT_SIZE_DECIMALS, roundTo } from './decimals.js';
import { candleStart } from './intervals.js';
import type { SessionKind } from './market-session.js';

/**
 * Folds one trade into a candle series kept in ascending `time` order.
 * Mutates `candles` in place (the series is hot: one call per tick per interval)
 * and trims it to `maxCandles` from the front. A trade older than the last
 * bucket updates its own bucket when that is still held, and is otherwise
 * ignored, so the series never goes back in time.
 * The volume is kept at `sizeDecimals` (the symbol's lot size's, see decimals.ts).
 * `1d` candles are the symbol's sessions (`session`, P33); shorter ones UTC buckets.
 * Returns the candle that changed, or undefined when the trade was ignored.
 */
export function aggregateTrade(
  candles: Candle[],
  ts: number,
  price: number,
  size: number,
  intervalMs: number,
  maxCandles: number,
  sizeDecimals: number = DEFAULT_SIZE_DECIMALS,
  session: SessionKind = 'utc-day',
): Candle | undefined {
  const time = candleStart(ts, intervalMs, session);
  const last = candles[candles.length - 1];
  if (last === undefined || time > last.time) {
    const candle: Candle = { time, open: price, high: price, low: price, close: price, volume: roundTo(size, sizeDecimals) };
    candles.push(candle);
    if (candles.length > maxCandles) candles.splice(0, candles.length - maxCandles);
    return candle;
  }
  const target = time === last.time ? last : findCandle(candles, time);
  if (target === undefined) return undefined;
  if (price > target.high) target.high = price;
  if (price < target.low) target.low = price;
  // A late trade cannot have been the bucket's close: only the newest trade in time order is.
  if (target === last) target.close = price;
  target.volume = roundTo(target.volume + size, sizeDecimals);
  return target;
}

function findCandle(candles: Candle[], time: number): Candle | undefined {
  let lo = 0;
  let hi = candles.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const candle = candles[mid]!;
    if (candle.time === time) return candle;
    if (candle.time < time) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

/**
 * Candles with `time` < before (all when undefined), newest `limit` of them,
 * in ascending order. Copies, so callers may keep the result.
 */
export function sliceCandles(candles: readonly Candle[], limit: number, before?: number): Candle[] {
  let end = candles.length;
  if (before !== undefined) {
    let lo = 0;
    let hi = candles.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (candles[mid]!.time < before) lo = mid + 1;
      else hi = mid;
    }
    end = lo;
  }
  const start = Math.max(0, end - limit);
  return candles.slice(start, end).map((c) => ({ ...c }));
}

/** Builds candles from scratch from trades in time order; the reference the live path must equal. */
export function candlesFromTrades(
  trades: Iterable<{ ts: number; price: number; size: number }>,
  intervalMs: number,
  sizeDecimals: number = DEFAULT_SIZE_DECIMALS,
  session: SessionKind = 'utc-day',
): Candle[] {
  const candles: Candle[] = [];
  for (const trade of trades) aggregateTrade(candles, trade.ts, trade.price, trade.size, intervalMs, Number.MAX_SAFE_INTEGER, sizeDecimals, session);
  return candles;
}
