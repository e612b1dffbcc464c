/** Number formatting for dense tables; formatters are built once and reused. */

const priceFormatters = new Map<number, Intl.NumberFormat>();

/** Decimals implied by a tick size (0.01 → 2, 0.0001 → 4, 1 → 0), capped at 8. */
export function decimalsOf(tickSize: number): number {
  if (!(tickSize > 0) || tickSize >= 1) return tickSize >= 1 ? 0 : 2;
  return Math.min(8, Math.max(0, Math.ceil(-Math.log10(tickSize) - 1e-9)));
}

export function formatPrice(value: number, decimals: number): string {
  let formatter = priceFormatters.get(decimals);
  if (formatter === undefined) {
    formatter = new Intl.NumberFormat('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
    priceFormatters.set(decimals, formatter);
  }
  return formatter.format(value);
}

export function formatSigned(value: number, decimals: number): string {
  const text = formatPrice(Math.abs(value), decimals);
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
