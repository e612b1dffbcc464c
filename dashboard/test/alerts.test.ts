import { describe, expect, it } from 'vitest';
import { addAlert, checkAlerts, MAX_ALERTS, parseAlertPrice, parseAlerts, prefillAlertPrice, type PriceAlert } from '../src/lib/alerts.js';

const above: PriceAlert = { id: 'a', symbol: 'AAPL', side: 'above', price: 190, fired: false };
const below: PriceAlert = { id: 'b', symbol: 'AAPL', side: 'below', price: 180, fired: false };

describe('price alerts', () => {
  it('[D95] an alert fires when the last price reaches it from its side, once', () => {
    let list: readonly PriceAlert[] = [above, below, { ...above, id: 'm', symbol: 'MSFT' }];
    expect(checkAlerts(list, 'AAPL', 185).fired).toEqual([]);
    const first = checkAlerts(list, 'AAPL', 190);
    expect(first.fired.map((a) => a.id)).toEqual(['a']);
    list = first.alerts;
    expect(list.find((a) => a.id === 'a')!.fired).toBe(true);
    // Never again, though the price stays there; the other symbol's alert is not touched.
    expect(checkAlerts(list, 'AAPL', 195).fired).toEqual([]);
    expect(list.find((a) => a.id === 'm')!.fired).toBe(false);
    expect(checkAlerts(list, 'AAPL', 179.99).fired.map((a) => a.id)).toEqual(['b']);
  });

  it('[D95] stored alerts are validated one by one; the list is capped', () => {
    const stored = JSON.stringify([above, { ...below, fired: true }, { id: 'x', symbol: '<b>', side: 'above', price: 1 }, { ...above, side: 'sideways' }, { ...above, price: -1 }, null]);
    expect(parseAlerts(stored)).toEqual([above, { ...below, fired: true }]);
    expect(parseAlerts('{oops')).toEqual([]);
    expect(parseAlerts(null)).toEqual([]);
    let list: readonly PriceAlert[] = [];
    for (let i = 0; i < MAX_ALERTS + 5; i++) list = addAlert(list, { id: String(i), symbol: 'AAPL', side: 'above', price: 100 + i });
    expect(list.length).toBe(MAX_ALERTS);
    expect(addAlert([], { id: 'n', symbol: 'AAPL', side: 'above', price: Number.NaN })).toEqual([]);
  });

  it('[D104] the watchlist form starts at the last price in the symbol\'s decimals and takes only a positive price', () => {
    expect(prefillAlertPrice(187.5, 2)).toBe('187.50');
    expect(prefillAlertPrice(64_123.4, 2)).toBe('64123.40');
    expect(prefillAlertPrice(1.08345, 5)).toBe('1.08345');
    expect(prefillAlertPrice(undefined, 2)).toBe('');
    expect(prefillAlertPrice(Number.NaN, 2)).toBe('');
    expect(parseAlertPrice(' 187.5 ')).toBe(187.5);
    expect(parseAlertPrice('')).toBeNull();
    expect(parseAlertPrice('0')).toBeNull();
    expect(parseAlertPrice('-3')).toBeNull();
    expect(parseAlertPrice('abc')).toBeNull();
    expect(parseAlertPrice('Infinity')).toBeNull();
  });
});
