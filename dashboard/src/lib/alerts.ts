import { isValidSymbol } from '@tickfeed/protocol';

/** A price alert: fires once when the symbol's last price reaches `price` from its side. */
export interface PriceAlert {
  readonly id: string;
  readonly symbol: string;
  readonly side: 'above' | 'below';
  readonly price: number;
  /** Fired alerts stay listed (and drawn dashed) until removed; they never fire again. */
  readonly fired: boolean;
}

export const ALERTS_STORAGE_KEY = 'tickfeed.alerts.v1';
/** Alerts kept at most (localStorage is small and every quote is checked against them). */
export const MAX_ALERTS = 100;

/** Whether `last` meets the alert's condition (at the price counts). */
export function reached(alert: PriceAlert, last: number): boolean {
  return alert.side === 'above' ? last >= alert.price : last <= alert.price;
}

/** The alerts that fire at `last` for `symbol`, and the list with them marked fired (unchanged when none fire). */
export function checkAlerts(alerts: readonly PriceAlert[], symbol: string, last: number): { fired: PriceAlert[]; alerts: readonly PriceAlert[] } {
  const fired = alerts.filter((a) => !a.fired && a.symbol === symbol && reached(a, last));
  if (fired.length === 0) return { fired, alerts };
  return { fired, alerts: alerts.map((a) => (fired.includes(a) ? { ...a, fired: true } : a)) };
}

/** Adds an alert unless the list is full or the price is not a positive finite number; returns the list unchanged then. */
export function addAlert(alerts: readonly PriceAlert[], alert: Omit<PriceAlert, 'fired'>): readonly PriceAlert[] {
  if (alerts.length >= MAX_ALERTS || !(Number.isFinite(alert.price) && alert.price > 0)) return alerts;
  return [...alerts, { ...alert, fired: false }];
}

/** Stored alerts; anything malformed is dropped alert by alert, never thrown. */
export function parseAlerts(stored: string | null): PriceAlert[] {
  if (stored === null) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(stored);
  } catch {
    return [];
  }
  if (!Array.isArray(raw)) return [];
  const out: PriceAlert[] = [];
  for (const item of raw) {
    if (typeof item !== 'object' || item === null) continue;
    const r = item as Record<string, unknown>;
    if (typeof r.id !== 'string' || typeof r.symbol !== 'string' || !isValidSymbol(r.symbol)) continue;
    if (r.side !== 'above' && r.side !== 'below') continue;
    if (typeof r.price !== 'number' || !Number.isFinite(r.price) || r.price <= 0) continue;
    out.push({ id: r.id, symbol: r.symbol, side: r.side, price: r.price, fired: r.fired === true });
    if (out.length >= MAX_ALERTS) break;
  }
  return out;
}

/**
 * The text an alert form starts with for a symbol last traded at `last`: the
 * price at the symbol's tick decimals, without separators (a number input
 * refuses "1,234.5"); empty without a price yet.
 */
export function prefillAlertPrice(last: number | undefined, decimals: number): string {
  if (last === undefined || !Number.isFinite(last) || last <= 0) return '';
  return last.toFixed(Math.min(20, Math.max(0, decimals)));
}

/** A typed alert price, or null unless it is a positive finite number. */
export function parseAlertPrice(text: string): number | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const price = Number(trimmed);
  return Number.isFinite(price) && price > 0 ? price : null;
}

/** A fresh alert id: the time and a random suffix, unique enough for one browser's list. */
export function newAlertId(now = Date.now(), random = Math.random()): string {
  return `${now.toString(36)}-${random.toString(36).slice(2, 8)}`;
}
