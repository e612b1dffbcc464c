import { render } from 'solid-js/web';
import { App, type ChartDebugFn } from './app.js';
import { createFeedService } from './feed/feed-service.js';
import { PREFS_STORAGE_KEY, prefsToSearch, readPrefs, serializePrefs, zoneGiven, type Prefs } from './lib/prefs.js';
import type { SortSpec } from './lib/sort.js';
import { ALERTS_STORAGE_KEY, parseAlerts, type PriceAlert } from './lib/alerts.js';
import { CHART_PREFS_STORAGE_KEY, chartPrefsToParams, readChartPrefs, type ChartPrefs } from './lib/chart-prefs.js';
import { SORT_STORAGE_KEY, parseSort, serializeSort } from './lib/sort-pref.js';
import './styles.css';

/** What end-to-end tests and benchmarks read from the page. */
export interface TickfeedDebugHook {
  service: () => ReturnType<ReturnType<typeof createFeedService>['debug']>;
  chart: () => ReturnType<ChartDebugFn> | null;
}

declare global {
  interface Window {
    __tickfeed?: TickfeedDebugHook;
  }
}

function readStored(key = PREFS_STORAGE_KEY): string | null {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null;
  }
}

let urlState: { prefs: Prefs; zoneChosen: boolean } | undefined;
let chartState: ChartPrefs | undefined;

function writeUrl(): void {
  if (urlState === undefined) return;
  const { prefs, zoneChosen } = urlState;
  const params = new URLSearchParams(prefsToSearch(prefs));
  // A zone nobody chose stays out of the link, so the page keeps choosing it.
  if (!zoneChosen) params.delete('tz');
  if (chartState !== undefined) chartPrefsToParams(chartState, params);
  // Keep commas readable in shared links.
  const search = `?${params.toString().replace(/%2C/g, ',')}`;
  if (search !== window.location.search) window.history.replaceState(null, '', search);
}

function persistChart(prefs: ChartPrefs): void {
  chartState = prefs;
  try {
    window.localStorage.setItem(CHART_PREFS_STORAGE_KEY, JSON.stringify(prefs));
  } catch {
    // Private mode or quota: the URL still carries the state.
  }
  writeUrl();
}

function persist(prefs: Prefs, zoneChosen: boolean): void {
  urlState = { prefs, zoneChosen };
  try {
    // zoneChosen: without it, replays default to the exchange's zone (see zoneGiven).
    window.localStorage.setItem(PREFS_STORAGE_KEY, JSON.stringify({ ...JSON.parse(serializePrefs(prefs)), zoneChosen }));
  } catch {
    // Private mode or quota: the URL still carries the state.
  }
  writeUrl();
}

const TOKEN_STORAGE_KEY = 'tickfeed.token';

/**
 * The access token of a `?token=` link (servers with AUTH_MODE=jwt). It is kept for this tab only
 * (sessionStorage) and read again at every connect, so a newer link or a page that stores a renewed
 * token under the same key takes effect without a reload; persist() drops it from the address bar.
 */
function readToken(): (() => string) | undefined {
  const fromLink = new URLSearchParams(window.location.search).get('token');
  try {
    if (fromLink !== null && fromLink !== '') window.sessionStorage.setItem(TOKEN_STORAGE_KEY, fromLink);
    if (window.sessionStorage.getItem(TOKEN_STORAGE_KEY) === null) return undefined;
    return () => window.sessionStorage.getItem(TOKEN_STORAGE_KEY) ?? '';
  } catch {
    return fromLink !== null && fromLink !== '' ? () => fromLink : undefined;
  }
}

const token = readToken();
const prefs = readPrefs(window.location.search, readStored());
const zoneChosen = zoneGiven(window.location.search, readStored());
const initialSort = parseSort(readStored(SORT_STORAGE_KEY));
const initialAlerts = parseAlerts(readStored(ALERTS_STORAGE_KEY));
function persistAlerts(alerts: readonly PriceAlert[]): void {
  try {
    window.localStorage.setItem(ALERTS_STORAGE_KEY, JSON.stringify(alerts));
  } catch {
    // Private mode or quota: alerts last for this page only.
  }
}
const initialChart = readChartPrefs(window.location.search, readStored(CHART_PREFS_STORAGE_KEY));

function persistSort(sort: SortSpec | null): void {
  try {
    window.localStorage.setItem(SORT_STORAGE_KEY, serializeSort(sort));
  } catch {
    // Private mode or quota: the sort lasts for this page only.
  }
}
const service = createFeedService({
  baseUrl: '',
  socketUrl: window.location.origin,
  schedule: (callback) => void window.requestAnimationFrame(() => callback()),
  ...(token !== undefined ? { token } : {}),
});
if (prefs.watchlist !== null) service.setSymbols(prefs.watchlist);
service.start();

window.addEventListener('offline', () => service.goOffline('the browser is offline'));
window.addEventListener('online', () => service.goOnline());

let chartDebug: ChartDebugFn | null = null;
// Development and test builds only (`vite`, `vite build --mode test`): the production build's
// MODE is 'production', so the bundler drops this block and the page exposes no internals.
if (import.meta.env.MODE !== 'production') {
  window.__tickfeed = { service: () => service.debug(), chart: () => (chartDebug === null ? null : chartDebug()) };
}

const root = document.getElementById('root')!;
root.textContent = '';
render(
  () => (
    <App
      service={service}
      initial={prefs}
      zoneChosen={zoneChosen}
      initialSort={initialSort}
      persist={persist}
      persistSort={persistSort}
      initialChart={initialChart}
      persistChart={persistChart}
      initialAlerts={initialAlerts}
      persistAlerts={persistAlerts}
      onChartDebug={(debug) => {
        chartDebug = debug;
      }}
      controlToken={() => {
        const value = token?.() ?? '';
        return value === '' ? null : value;
      }}
    />
  ),
  root,
);
