import type { SymbolDeclaration, Tick } from './schemas.js';

/**
 * Exact decimal numbers on the wire. Every price (and change) carries the
 * decimals of the symbol's tick size, every size (and volume) those of its lot
 * size: sums and differences of such numbers are rounded back to those
 * decimals right where they are made, so float noise (0.1216000000000008)
 * never reaches a client. Rounding k = round(x·10^d), then k / 10^d, gives the
 * double nearest the decimal k·10^-d, whose shortest text (JSON.stringify) has
 * at most d decimals.
 */

/** How many decimals a symbol's prices and sizes carry. */
export interface NumberFormat {
  /** Decimals of prices, bid, ask, open/high/low/close and change: those of the tick size. */
  readonly price: number;
  /** Decimals of sizes and volumes: those of the lot size. */
  readonly size: number;
}

/** Most decimals kept for any value (a step finer than 10^-12 is treated as 10^-12). */
export const MAX_DECIMALS = 12;

/** Decimals of sizes and volumes when a symbol declares no lot size: 10^-8 (a satoshi). */
export const DEFAULT_SIZE_DECIMALS = 8;

/** Decimals of `changePct` (a percentage): 4, i.e. hundredths of a basis point. */
export const CHANGE_PCT_DECIMALS = 4;

/** Used where no symbol metadata is at hand: 8 decimals for prices and sizes. */
export const DEFAULT_FORMAT: NumberFormat = Object.freeze({ price: 8, size: DEFAULT_SIZE_DECIMALS });

/** Decimals of a step such as 0.01 (2), 0.25 (2), 1e-8 (8) or 10 (0), at most MAX_DECIMALS. */
export function decimalsOf(step: number): number {
  if (!Number.isFinite(step)) return MAX_DECIMALS;
  const text = Math.abs(step).toString();
  const exp = /e([+-]\d+)$/.exec(text);
  const mantissa = exp === null ? text : text.slice(0, exp.index);
  const dot = mantissa.indexOf('.');
  const decimals = (dot < 0 ? 0 : mantissa.length - dot - 1) - (exp === null ? 0 : Number(exp[1]));
  return Math.min(MAX_DECIMALS, Math.max(0, decimals));
}

/** The format of a symbol: its tick size's decimals for prices, its lot size's (or DEFAULT_SIZE_DECIMALS) for sizes. */
export function formatOf(meta: { tickSize: number; lotSize?: number | undefined }): NumberFormat {
  return {
    price: decimalsOf(meta.tickSize),
    size: meta.lotSize === undefined ? DEFAULT_SIZE_DECIMALS : decimalsOf(meta.lotSize),
  };
}

const SCALES = Array.from({ length: MAX_DECIMALS + 1 }, (_, d) => 10 ** d);

/** x rounded to `decimals` places (half away from zero); its JSON text has at most that many decimals. */
export function roundTo(x: number, decimals: number): number {
  const scale = SCALES[decimals] ?? 10 ** decimals;
  const scaled = Math.abs(x) * scale;
  // Beyond 2^53 the scaled value is no longer an exact integer: let toFixed do the decimal rounding.
  if (!(scaled < Number.MAX_SAFE_INTEGER)) return Number.isFinite(x) ? Number(x.toFixed(decimals)) : x;
  const rounded = Math.round(scaled) / scale;
  return x < 0 ? -rounded : rounded;
}

/**
 * A checked tick with price, bid and ask at the symbol's price decimals and
 * size at its size decimals; null when a price would round to 0 (finer than
 * the declared tick size allows).
 */
export function roundTick(tick: Tick, format: NumberFormat): Tick | null {
  const price = roundTo(tick.price, format.price);
  const bid = roundTo(tick.bid, format.price);
  const ask = roundTo(tick.ask, format.price);
  if (!(price > 0 && bid > 0 && ask > 0)) return null;
  return { symbol: tick.symbol, seq: tick.seq, ts: tick.ts, price, size: roundTo(tick.size, format.size), bid, ask };
}

/** A declaration whose reference price is at the tick size's decimals (kept as declared if it would round to 0). */
export function roundDeclaration(decl: SymbolDeclaration): SymbolDeclaration {
  const refPrice = roundTo(decl.refPrice, decimalsOf(decl.tickSize));
  return refPrice > 0 && refPrice !== decl.refPrice ? { ...decl, refPrice } : decl;
}
