import { describe, expect, it } from 'vitest';
import { DEFAULT_PREFS, prefsToSearch, readPrefs, serializePrefs } from '../src/lib/prefs.js';

describe('preferences', () => {
  it('[D18] round-trips through localStorage and through the URL', () => {
    const prefs = { watchlist: ['AAPL', 'BTC-USD'], selected: 'BTC-USD', interval: '5m' as const, zone: 'utc' as const };
    expect(readPrefs('', serializePrefs(prefs))).toEqual(prefs);
    expect(prefsToSearch(prefs)).toBe('symbols=AAPL,BTC-USD&symbol=BTC-USD&interval=5m&tz=utc');
    expect(readPrefs(`?${prefsToSearch(prefs)}`, null)).toEqual(prefs);
  });

  it('[D18] the URL wins over storage, field by field', () => {
    const stored = serializePrefs({ watchlist: ['MSFT'], selected: 'MSFT', interval: '1h', zone: 'utc' });
    expect(readPrefs('?symbols=aapl,eur-usd&interval=1s', stored)).toEqual({
      watchlist: ['AAPL', 'EUR-USD'],
      selected: 'MSFT',
      interval: '1s',
      zone: 'utc',
    });
  });

  it('[D18] ignores malformed values instead of failing', () => {
    expect(readPrefs('', '{not json')).toEqual(DEFAULT_PREFS);
    expect(readPrefs('?interval=2d&tz=mars&symbols=<script>,OK', null)).toEqual({
      watchlist: ['OK'],
      selected: 'OK',
      interval: '1m',
      zone: 'local',
    });
    expect(readPrefs('', JSON.stringify({ watchlist: 'AAPL', interval: 5 }))).toEqual(DEFAULT_PREFS);
  });
});
