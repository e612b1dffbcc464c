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
  /** The tick size: every price, bid and ask is a whole multiple of it (absent: only the decimals are checked). */
  readonly priceStep?: number;
  /** The lot size: every trade size is a whole multiple of it (absent: only the decimals are checked). */
  readonly sizeStep?: number;
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
    priceStep: meta.tickSize,
    ...(meta.lotSize === undefined ? {} : { sizeStep: meta.lotSize }),
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
 * How far from a whole number of steps a value may be and still count as on
 * the grid: the float error of x / step, far below any real off-grid value
 * (half a step).
 */
const GRID_TOLERANCE = 1e-6;

/** Whether x is a whole multiple of `step` (and has no more than `decimals` decimals), within float error. */
export function onGrid(x: number, step: number | undefined, decimals: number): boolean {
  const scale = SCALES[decimals] ?? 10 ** decimals;
  const scaled = x * scale;
  if (Math.abs(scaled - Math.round(scaled)) > GRID_TOLERANCE * Math.max(1, Math.abs(scaled) * 1e-9)) return false;
  if (step === undefined || !(step > 0)) return true;
  const steps = x / step;
  return Math.abs(steps - Math.round(steps)) <= GRID_TOLERANCE * Math.max(1, Math.abs(steps) * 1e-9);
}

/**
 * A checked tick with price, bid and ask exactly at the symbol's tick grid
 * and size at its lot grid (the float noise of the publisher's arithmetic
 * removed), or the reason it is not on them: a price off the tick grid is
 * the publisher's error, never silently moved (SPEC P13).
 */
export function roundTick(tick: Tick, format: NumberFormat): { ok: true; tick: Tick } | { ok: false; message: string } {
  for (const field of ['price', 'bid', 'ask'] as const) {
    if (!onGrid(tick[field], format.priceStep, format.price)) {
      return { ok: false, message: `${tick.symbol}: ${field} ${tick[field]} is not a multiple of the tick size ${format.priceStep ?? 10 ** -format.price}` };
    }
  }
  if (!onGrid(tick.size, format.sizeStep, format.size)) {
    return { ok: false, message: `${tick.symbol}: size ${tick.size} is not a multiple of the lot size ${format.sizeStep ?? 10 ** -format.size}` };
  }
  const exact: Tick = {
    symbol: tick.symbol,
    seq: tick.seq,
    ts: tick.ts,
    price: roundTo(tick.price, format.price),
    size: roundTo(tick.size, format.size),
    bid: roundTo(tick.bid, format.price),
    ask: roundTo(tick.ask, format.price),
  };
  return { ok: true, tick: exact };
}

/** A declaration whose reference price is at the tick size's decimals (kept as declared if it would round to 0). */
export function roundDeclaration(decl: SymbolDeclaration): SymbolDeclaration {
  const refPrice = roundTo(decl.refPrice, decimalsOf(decl.tickSize));
  return refPrice > 0 && refPrice !== decl.refPrice ? { ...decl, refPrice } : decl;
}
