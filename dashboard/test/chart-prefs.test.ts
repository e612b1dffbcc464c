import { describe, expect, it } from 'vitest';
import { chartPrefsToParams, DEFAULT_CHART_PREFS, readChartPrefs, toggleIndicator } from '../src/lib/chart-prefs.js';
import { resolveTheme } from '../src/lib/theme.js';

describe('chart preferences', () => {
  it('[D92][D93][D94] the URL wins over storage, which wins over the defaults; malformed fields are dropped one by one', () => {
    const stored = JSON.stringify({ indicators: ['rsi', 'sma', 'nope', 'sma'], chartType: 'area', scale: 'log', theme: 'light' });
    expect(readChartPrefs('', stored)).toEqual({ indicators: ['sma', 'rsi'], chartType: 'area', scale: 'log', theme: 'light' });
    expect(readChartPrefs('?ind=MACD,,ema&chart=line&scale=linear&theme=dark', stored)).toEqual({ indicators: ['ema', 'macd'], chartType: 'line', scale: 'linear', theme: 'dark' });
    expect(readChartPrefs('?chart=pie&scale=cubic&theme=pink', '{oops')).toEqual(DEFAULT_CHART_PREFS);
    expect(readChartPrefs('', JSON.stringify({ indicators: 'sma', chartType: 3 }))).toEqual(DEFAULT_CHART_PREFS);
  });

  it('[D92] only settings that differ from the defaults go into the URL', () => {
    const params = new URLSearchParams('symbol=AAPL');
    chartPrefsToParams(DEFAULT_CHART_PREFS, params);
    expect(params.toString()).toBe('symbol=AAPL');
    chartPrefsToParams({ indicators: ['sma', 'vwap'], chartType: 'line', scale: 'log', theme: 'light' }, params);
    expect(params.toString()).toBe('symbol=AAPL&ind=sma%2Cvwap&chart=line&scale=log&theme=light');
  });

  it('[D92] toggling keeps the catalog order', () => {
    expect(toggleIndicator([], 'macd')).toEqual(['macd']);
    expect(toggleIndicator(['macd'], 'sma')).toEqual(['sma', 'macd']);
    expect(toggleIndicator(['sma', 'macd'], 'sma')).toEqual(['macd']);
  });

  it('[D94] the system theme applies until one is chosen', () => {
    expect(resolveTheme('system', true)).toBe('dark');
    expect(resolveTheme('system', false)).toBe('light');
    expect(resolveTheme('dark', false)).toBe('dark');
    expect(resolveTheme('light', true)).toBe('light');
  });
});
