/** Number formatting for dense tables; formatters are built once and reused. */

import { formatOf, type SymbolMeta } from '@tickfeed/protocol';

const priceFormatters = new Map<number, Intl.NumberFormat>();

/** Decimals implied by a tick size (0.01 → 2, 0.0001 → 4, 1 → 0), capped at 8. */
export function decimalsOf(tickSize: number): number {
  if (!(tickSize > 0) || tickSize >= 1) return tickSize >= 1 ? 0 : 2;
  return Math.min(8, Math.max(0, Math.ceil(-Math.log10(tickSize) - 1e-9)));
}

/**
 * A price with thousands separators and `decimals` decimals; with `minDecimals`
 * below that, trailing zeros beyond `minDecimals` are left out (a sub-penny
 * tick size does not put three decimals on every penny price).
 */
export function formatPrice(value: number, decimals: number, minDecimals = decimals): string {
  const min = Math.min(minDecimals, decimals);
  const key = decimals * 100 + min;
  let formatter = priceFormatters.get(key);
  if (formatter === undefined) {
    formatter = new Intl.NumberFormat('en-US', { minimumFractionDigits: min, maximumFractionDigits: decimals });
    priceFormatters.set(key, formatter);
  }
  return formatter.format(value);
}

/** How one symbol's numbers are shown: prices at its tick size's decimals, sizes at its lot size's. */
export interface DisplayFormat {
  /** Most decimals of a price (the tick size's). */
  readonly price: number;
  /** Fewest decimals of a price: 2 for equities and crypto (pennies), all of them for FX (pips). */
  readonly priceMin: number;
  /** Most decimals of a size or volume (the lot size's; 8 without one). */
  readonly size: number;
}

export const FALLBACK_FORMAT: DisplayFormat = { price: 2, priceMin: 2, size: 8 };

export function displayFormatOf(meta: Pick<SymbolMeta, 'tickSize' | 'lotSize' | 'kind'> | undefined): DisplayFormat {
  if (meta === undefined) return FALLBACK_FORMAT;
  const wire = formatOf(meta);
  return { price: wire.price, priceMin: meta.kind === 'fx' ? wire.price : Math.min(2, wire.price), size: wire.size };
}

export function formatPriceIn(value: number, format: DisplayFormat): string {
  return formatPrice(value, format.price, format.priceMin);
}

const sizeFormatters = new Map<number, Intl.NumberFormat>();

/** A trade size or volume: exact at the lot size's decimals below 1,000 (0.0003 stays 0.0003), compact above. */
export function formatSize(value: number, decimals: number): string {
  if (Math.abs(value) >= 1_000) return compact.format(value);
  let formatter = sizeFormatters.get(decimals);
  if (formatter === undefined) {
    formatter = new Intl.NumberFormat('en-US', { maximumFractionDigits: Math.min(20, Math.max(0, decimals)) });
    sizeFormatters.set(decimals, formatter);
  }
  return formatter.format(value);
}

export function formatSigned(value: number, decimals: number, minDecimals = decimals): string {
  const text = formatPrice(Math.abs(value), decimals, minDecimals);
  return value > 0 ? `+${text}` : value < 0 ? `−${text}` : text;
}

export function formatPct(value: number): string {
  return `${formatSigned(value, 2)}%`;
}

const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 2 });
const plain = new Intl.NumberFormat('en-US', { maximumFractionDigits: 3 });

/** Volumes: exact below 1,000, compact above ("2.15K", "1.25M"). */
export function formatVolume(value: number): string {
  return Math.abs(value) < 1_000 ? plain.format(value) : compact.format(value);
}
