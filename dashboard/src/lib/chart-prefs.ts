import { INDICATOR_IDS, isIndicatorId, type IndicatorId } from './indicators/catalog.js';
import type { ThemeChoice } from './theme.js';

export const CHART_TYPES = ['candles', 'line', 'area'] as const;
export type ChartType = (typeof CHART_TYPES)[number];
export type PriceScaleChoice = 'linear' | 'log';

/** How the chart looks: kept in localStorage and, where not the default, in the URL. */
export interface ChartPrefs {
  /** In the catalog's order, each at most once. */
  readonly indicators: IndicatorId[];
  readonly chartType: ChartType;
  readonly scale: PriceScaleChoice;
  /** 'system' follows prefers-color-scheme. */
  readonly theme: ThemeChoice;
}

export const DEFAULT_CHART_PREFS: ChartPrefs = { indicators: [], chartType: 'candles', scale: 'linear', theme: 'system' };
export const CHART_PREFS_STORAGE_KEY = 'tickfeed.chart.v1';

/**
 * URL parameters win over the stored ones, which win over the defaults;
 * anything malformed is ignored field by field.
 * URL: ?ind=sma,rsi&chart=line&scale=log&theme=light
 */
export function readChartPrefs(search: string, stored: string | null): ChartPrefs {
  const saved = parseStored(stored);
  const params = new URLSearchParams(search);
  const ind = params.get('ind');
  const chart = params.get('chart');
  const scale = params.get('scale');
  const theme = params.get('theme');
  return {
    indicators: ind !== null ? cleanIndicators(ind.split(',')) : saved.indicators,
    chartType: isChartType(chart) ? chart : saved.chartType,
    scale: isScale(scale) ? scale : saved.scale,
    theme: isTheme(theme) ? theme : saved.theme,
  };
}

/** Adds the settings that differ from the defaults to `params` (a shared link stays short). */
export function chartPrefsToParams(prefs: ChartPrefs, params: URLSearchParams): void {
  if (prefs.indicators.length > 0) params.set('ind', prefs.indicators.join(','));
  if (prefs.chartType !== DEFAULT_CHART_PREFS.chartType) params.set('chart', prefs.chartType);
  if (prefs.scale !== DEFAULT_CHART_PREFS.scale) params.set('scale', prefs.scale);
  if (prefs.theme !== DEFAULT_CHART_PREFS.theme) params.set('theme', prefs.theme);
}

/** Turns one indicator on or off, keeping the catalog's order. */
export function toggleIndicator(list: readonly IndicatorId[], id: IndicatorId): IndicatorId[] {
  const on = list.includes(id);
  return INDICATOR_IDS.filter((x) => (x === id ? !on : list.includes(x)));
}

function cleanIndicators(values: readonly unknown[]): IndicatorId[] {
  const wanted = values.map((v) => (typeof v === 'string' ? v.trim().toLowerCase() : v));
  return INDICATOR_IDS.filter((id) => wanted.some((w) => isIndicatorId(w) && w === id));
}

function isChartType(value: unknown): value is ChartType {
  return typeof value === 'string' && (CHART_TYPES as readonly string[]).includes(value);
}
function isScale(value: unknown): value is PriceScaleChoice {
  return value === 'linear' || value === 'log';
}
function isTheme(value: unknown): value is ThemeChoice {
  return value === 'system' || value === 'dark' || value === 'light';
}

function parseStored(stored: string | null): ChartPrefs {
  if (stored === null) return DEFAULT_CHART_PREFS;
  let raw: unknown;
  try {
    raw = JSON.parse(stored);
  } catch {
    return DEFAULT_CHART_PREFS;
  }
  if (typeof raw !== 'object' || raw === null) return DEFAULT_CHART_PREFS;
  const r = raw as Record<string, unknown>;
  return {
    indicators: Array.isArray(r.indicators) ? cleanIndicators(r.indicators) : DEFAULT_CHART_PREFS.indicators,
    chartType: isChartType(r.chartType) ? r.chartType : DEFAULT_CHART_PREFS.chartType,
    scale: isScale(r.scale) ? r.scale : DEFAULT_CHART_PREFS.scale,
    theme: isTheme(r.theme) ? r.theme : DEFAULT_CHART_PREFS.theme,
  };
}
