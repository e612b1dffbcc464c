import { createEffect, createMemo, createSignal, For, lazy, onCleanup, onMount, Show, Suspense } from 'solid-js';
import { sessionKindOf, type Candle, type SessionKind, type SymbolInfo, type SymbolMeta } from '@tickfeed/protocol';
import { DepthLadder } from './components/depth-ladder.js';
import { StatusBar } from './components/status-bar.js';
import { TimeAndSales } from './components/time-and-sales.js';
import { Watchlist } from './components/watchlist.js';
import type { ChartViewDebug } from './components/price-chart.js';
import type { ChartDebug } from './feed/chart-controller.js';
import type { FeedService } from './feed/feed-service.js';
import { SearchBox } from './components/search-box.js';
import { exchangeZone } from './lib/exchange-zone.js';
import { displayFormatOf, formatPriceIn, FALLBACK_FORMAT, type DisplayFormat } from './lib/format.js';
import { CHART_INTERVALS, type ChartInterval, type Prefs } from './lib/prefs.js';
import type { SortSpec } from './lib/sort.js';
import { CHART_TYPES, toggleIndicator, type ChartPrefs, type ChartType, type PriceScaleChoice } from './lib/chart-prefs.js';
import { INDICATORS, type IndicatorId } from './lib/indicators/catalog.js';
import { addAlert, checkAlerts, newAlertId, parseAlertPrice, type PriceAlert } from './lib/alerts.js';
import { PALETTES, resolveTheme, type ThemeChoice } from './lib/theme.js';
import { browserTimeZone, resolveZone, type ZoneChoice, type ZoneSpec } from './lib/time-zone.js';

// The chart library is the largest part of the bundle: load it after the first paint.
const PriceChart = lazy(() => import('./components/price-chart.js'));

export type ChartDebugFn = () => (ChartDebug & ChartViewDebug) | null;

export interface AppProps {
  service: FeedService;
  initial: Prefs;
  /** Whether the zone was chosen (URL or an earlier click); if not, replays show the exchange's zone. */
  zoneChosen: boolean;
  initialSort: SortSpec | null;
  persist: (prefs: Prefs, zoneChosen: boolean) => void;
  persistSort: (sort: SortSpec | null) => void;
  initialChart: ChartPrefs;
  persistChart: (prefs: ChartPrefs) => void;
  initialAlerts: PriceAlert[];
  persistAlerts: (alerts: readonly PriceAlert[]) => void;
  onChartDebug: (debug: ChartDebugFn | null) => void;
  /** The page's access token (`?token=`), sent to control a replay (D100); null when there is none. */
  controlToken: () => string | null;
}

/** On a phone one panel shows at a time, chosen with tabs. */
type PanelTab = 'watchlist' | 'chart' | 'book' | 'tape';
const THEME_NEXT: Record<ThemeChoice, ThemeChoice> = { system: 'dark', dark: 'light', light: 'system' };
const THEME_LABEL: Record<ThemeChoice, string> = { system: 'Auto', dark: 'Dark', light: 'Light' };
const CHART_TYPE_LABEL: Record<ChartType, string> = { candles: 'Candles', line: 'Line', area: 'Area' };

/** Whether the system asks for a dark page (prefers-color-scheme), following its changes. */
function systemPrefersDark(): () => boolean {
  const query = window.matchMedia('(prefers-color-scheme: dark)');
  const [dark, setDark] = createSignal(query.matches);
  const listener = (event: MediaQueryListEvent) => setDark(event.matches);
  query.addEventListener('change', listener);
  onCleanup(() => query.removeEventListener('change', listener));
  return dark;
}

const TABS: { id: PanelTab; label: string }[] = [
  { id: 'watchlist', label: 'Watchlist' },
  { id: 'chart', label: 'Chart' },
  { id: 'book', label: 'Book' },
  { id: 'tape', label: 'Trades' },
];

/** Symbols shown when nobody chose any: a few of each kind, in the universe's order. */
export function defaultWatchlist(universe: readonly SymbolInfo[], size = 12): string[] {
  const byKind = new Map<string, string[]>();
  for (const info of universe) {
    const list = byKind.get(info.meta.kind) ?? [];
    list.push(info.meta.symbol);
    byKind.set(info.meta.kind, list);
  }
  const out: string[] = [];
  for (let i = 0; out.length < size; i++) {
    let added = false;
    for (const list of byKind.values()) {
      const symbol = list[i];
      if (symbol !== undefined && out.length < size) {
        out.push(symbol);
        added = true;
      }
    }
    if (!added) break;
  }
  return out;
}

export function App(props: AppProps) {
  const service = props.service;
  const [selected, setSelected] = createSignal<string | null>(props.initial.selected);
  const [interval, setChartInterval] = createSignal<ChartInterval>(props.initial.interval);
  const [pickedZone, setPickedZone] = createSignal<ZoneChoice>(props.initial.zone);
  const [zoneChosen, setZoneChosen] = createSignal(props.zoneChosen);
  const [watchlistChosen, setWatchlistChosen] = createSignal(props.initial.watchlist !== null);
  const [tab, setTab] = createSignal<PanelTab>('watchlist');
  const [sort, setSort] = createSignal<SortSpec | null>(props.initialSort);
  const localZone = browserTimeZone();
  const [indicators, setIndicators] = createSignal<IndicatorId[]>(props.initialChart.indicators);
  const [chartType, setChartType] = createSignal<ChartType>(props.initialChart.chartType);
  const [scale, setScale] = createSignal<PriceScaleChoice>(props.initialChart.scale);
  const [themeChoice, setThemeChoice] = createSignal<ThemeChoice>(props.initialChart.theme);
  const prefersDark = systemPrefersDark();
  const theme = () => resolveTheme(themeChoice(), prefersDark());
  createEffect(() => {
    document.documentElement.dataset.theme = theme();
  });
  const [alerts, setAlerts] = createSignal<readonly PriceAlert[]>(props.initialAlerts);
  createEffect(() => props.persistAlerts(alerts()));
  // Each pending alert is checked against its symbol's last price (conflated quotes; every tick for the charted one).
  createEffect(() => {
    let list = alerts();
    const fired: { alert: PriceAlert; last: number }[] = [];
    for (const symbol of new Set(list.filter((a) => !a.fired).map((a) => a.symbol))) {
      const last = service.quotes[symbol]?.last;
      if (last === undefined) continue;
      const result = checkAlerts(list, symbol, last);
      list = result.alerts;
      for (const alert of result.fired) fired.push({ alert, last });
    }
    if (fired.length === 0) return;
    setAlerts(list);
    for (const { alert, last } of fired) notifyAlert(alert, last);
  });
  const notifyAlert = (alert: PriceAlert, last: number) => {
    const f = format(alert.symbol);
    const text = `Alert: ${alert.symbol} ${alert.side === 'above' ? '≥' : '≤'} ${formatPriceIn(alert.price, f)} (last ${formatPriceIn(last, f)})`;
    if (typeof Notification !== 'undefined' && Notification.permission === 'granted') {
      new Notification('tickfeed', { body: text, tag: alert.id });
    } else {
      // Notifications denied or unavailable: the page says it.
      service.say('info', text);
    }
  };
  const [alertSide, setAlertSide] = createSignal<'above' | 'below'>('above');
  const [alertPrice, setAlertPrice] = createSignal('');
  /** Sets an alert (from the chart's toolbar or a watchlist row). */
  const setAlert = (symbol: string, side: 'above' | 'below', price: number) => {
    setAlerts(addAlert(alerts(), { id: newAlertId(), symbol, side, price }));
    // Asked once, on the user's own click or key; denied, alerts show in the page.
    if (typeof Notification !== 'undefined' && Notification.permission === 'default') void Notification.requestPermission();
  };
  const createAlert = (event: SubmitEvent) => {
    event.preventDefault();
    const symbol = selected();
    const price = parseAlertPrice(alertPrice());
    if (symbol === null || price === null) return;
    setAlert(symbol, alertSide(), price);
    setAlertPrice('');
  };
  const symbolAlerts = () => alerts().filter((a) => a.symbol === selected());
  createEffect(() => props.persistChart({ indicators: indicators(), chartType: chartType(), scale: scale(), theme: themeChoice() }));
  const replay = () => service.feedStatus()?.status.mode === 'replay';
  // Replayed sessions read best in their exchange's hours unless the user chose a zone.
  const zoneChoice = (): ZoneChoice => (!zoneChosen() && replay() ? 'exchange' : pickedZone());
  const chooseZone = (choice: ZoneChoice) => {
    setZoneChosen(true);
    setPickedZone(choice);
  };
  const selectedExchangeZone = () => exchangeZone(selected() !== null ? meta(selected()!) : undefined);
  /** The zone handed to the chart: 'local', 'utc' or the exchange's IANA zone. */
  const zoneSpec = (): ZoneSpec => (zoneChoice() === 'exchange' ? selectedExchangeZone() : zoneChoice());
  const zone = () => resolveZone(zoneSpec(), localZone);
  const down = () => {
    const kind = service.connection().kind;
    return kind === 'reconnecting' || kind === 'offline';
  };

  const metaBySymbol = createMemo(() => {
    const map = new Map<string, SymbolMeta>();
    for (const info of service.universe()) map.set(info.meta.symbol, info.meta);
    return map;
  });
  const meta = (symbol: string) => metaBySymbol().get(symbol);
  /** The symbol's market session; the UTC day until its metadata is known. */
  const sessionOfSymbol = (symbol: string): SessionKind => {
    const m = meta(symbol);
    return m === undefined ? 'utc-day' : sessionKindOf(m);
  };
  const format = (symbol: string): DisplayFormat => displayFormatOf(meta(symbol));

  onMount(() => {
    void service.loadUniverse().then((universe) => {
      if (!watchlistChosen()) {
        service.setSymbols(defaultWatchlist(universe));
        setWatchlistChosen(true);
      }
    });
  });

  // The selected symbol is always one of the watchlist (or none when it is empty).
  createEffect(() => {
    const list = service.watchlist();
    const current = selected();
    if (current === null || !list.includes(current)) setSelected(list[0] ?? null);
  });

  createEffect(() => {
    props.persist(
      {
        watchlist: watchlistChosen() ? service.watchlist() : null,
        selected: selected(),
        interval: interval(),
        zone: pickedZone(),
      },
      zoneChosen(),
    );
  });
  createEffect(() => props.persistSort(sort()));

  // The tab title carries the charted symbol's last price, for a glance from another tab.
  createEffect(() => {
    const symbol = selected();
    const quote = symbol !== null ? service.quotes[symbol] : undefined;
    document.title = symbol === null ? 'tickfeed' : quote === undefined ? `${symbol} · tickfeed` : `${symbol} ${formatPriceIn(quote.last, format(symbol))} · tickfeed`;
  });

  // `/` jumps to the symbol box from anywhere but a text field.
  let search: HTMLInputElement | undefined;
  const onKey = (event: KeyboardEvent) => {
    if (event.key !== '/' || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target as HTMLElement | null;
    if (target !== null && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.isContentEditable)) return;
    event.preventDefault();
    search?.focus();
  };
  document.addEventListener('keydown', onKey);
  onCleanup(() => document.removeEventListener('keydown', onKey));

  const open = (symbol: string) => {
    setSelected(symbol);
    setTab('chart');
  };

  return (
    <div class="app">
      <header class="topbar">
        <div class="brand">
          <svg width="18" height="18" viewBox="0 0 16 16" aria-hidden="true">
            <path d="M1 12 5 7l3 3 7-8" fill="none" stroke="#26a69a" stroke-width="2" />
          </svg>
          tickfeed
        </div>
        <SearchBox service={service} onSelect={setSelected} ref={(el) => (search = el)} />
        <span class="spacer" />
        <button
          class="theme-switch"
          data-testid="theme-switch"
          data-theme-choice={themeChoice()}
          aria-label={`Theme: ${THEME_LABEL[themeChoice()]} (switch)`}
          title="Theme: follow the system, dark or light"
          onClick={() => setThemeChoice(THEME_NEXT[themeChoice()])}
        >
          {theme() === 'dark' ? '☾' : '☀'} {THEME_LABEL[themeChoice()]}
        </button>
        <div class="messages" aria-live="polite">
          <For each={service.messages()}>
            {(message) => (
              <div class={`message ${message.kind}`} role={message.kind === 'error' ? 'alert' : 'status'} onClick={() => service.dismiss(message.id)}>
                {message.text}
              </div>
            )}
          </For>
        </div>
      </header>
      <nav class="tabs" role="tablist" aria-label="Panels">
        <For each={TABS}>
          {(t) => (
            <button role="tab" id={`tab-${t.id}`} aria-selected={tab() === t.id} aria-controls={`panel-${t.id}`} data-tab={t.id} onClick={() => setTab(t.id)}>
              {t.label}
            </button>
          )}
        </For>
      </nav>
      <main class="grid" data-tab={tab()} classList={{ disconnected: down() }}>
        <Watchlist
          service={service}
          selected={selected()}
          onSelect={setSelected}
          onOpen={open}
          meta={meta}
          format={format}
          sort={sort()}
          onSort={setSort}
          onAlert={setAlert}
          disconnected={down()}
        />
        <section class="panel chart-panel" id="panel-chart" aria-label="Chart">
          <div class="panel-title">
            <span class="chart-symbol" data-testid="chart-symbol" title={selected() !== null ? (meta(selected()!)?.name ?? '') : ''}>
              {selected() ?? '—'}
            </span>
            <span class="spacer" />
            <div class="seg" role="group" aria-label="Interval">
              <For each={CHART_INTERVALS}>
                {(value) => (
                  <button aria-pressed={interval() === value} data-interval={value} onClick={() => setChartInterval(value)}>
                    {value}
                  </button>
                )}
              </For>
            </div>
            <div class="seg" role="group" aria-label="Time zone">
              <button aria-pressed={zoneChoice() === 'exchange'} data-zone="exchange" onClick={() => chooseZone('exchange')} title={`Exchange: ${selectedExchangeZone()}`}>
                Exch
              </button>
              <button aria-pressed={zoneChoice() === 'local'} data-zone="local" onClick={() => chooseZone('local')} title={localZone}>
                Local
              </button>
              <button aria-pressed={zoneChoice() === 'utc'} data-zone="utc" onClick={() => chooseZone('utc')}>
                UTC
              </button>
            </div>
          </div>
          <div class="chart-tools">
            <div class="seg" role="group" aria-label="Chart type">
              <For each={CHART_TYPES}>
                {(value) => (
                  <button aria-pressed={chartType() === value} data-chart-type={value} onClick={() => setChartType(value)}>
                    {CHART_TYPE_LABEL[value]}
                  </button>
                )}
              </For>
            </div>
            <div class="seg" role="group" aria-label="Price scale">
              <button aria-pressed={scale() === 'linear'} data-scale="linear" onClick={() => setScale('linear')}>
                Lin
              </button>
              <button aria-pressed={scale() === 'log'} data-scale="log" onClick={() => setScale('log')}>
                Log
              </button>
            </div>
            <div class="seg" role="group" aria-label="Indicators">
              <For each={INDICATORS}>
                {(spec) => (
                  <button aria-pressed={indicators().includes(spec.id)} data-indicator={spec.id} title={spec.label} onClick={() => setIndicators(toggleIndicator(indicators(), spec.id))}>
                    {spec.label.split(' ')[0]}
                  </button>
                )}
              </For>
            </div>
            <form class="alert-form" onSubmit={createAlert} aria-label="Price alert">
              <select aria-label="Alert when the price is" value={alertSide()} onChange={(e) => setAlertSide(e.currentTarget.value === 'below' ? 'below' : 'above')}>
                <option value="above">Above</option>
                <option value="below">Below</option>
              </select>
              <input type="number" step="any" min="0" inputmode="decimal" aria-label="Alert price" placeholder="price" value={alertPrice()} onInput={(e) => setAlertPrice(e.currentTarget.value)} />
              <button type="submit">Alert</button>
            </form>
            <For each={symbolAlerts()}>
              {(alert) => (
                <span class="alert-chip" classList={{ fired: alert.fired }} data-alert={alert.id}>
                  {alert.side === 'above' ? '≥' : '≤'} {formatPriceIn(alert.price, format(alert.symbol))}
                  {alert.fired ? ' ✓' : ''}
                  <button aria-label={`Remove alert ${alert.side} ${alert.price}`} onClick={() => setAlerts(alerts().filter((a) => a.id !== alert.id))}>
                    ×
                  </button>
                </span>
              )}
            </For>
          </div>
          <Show when={selected()} fallback={<div class="empty">No symbol selected.</div>}>
            {(symbol) => (
              <Suspense fallback={<div class="chart-wrap"><div class="chart-loading">loading chart…</div></div>}>
                <PriceChart
                  feed={service.symbolFeed}
                  symbol={symbol()}
                  interval={interval()}
                  zone={zoneSpec()}
                  format={format(symbol())}
                  tickSize={meta(symbol())?.tickSize ?? 0.01}
                  sessionZone={exchangeZone(meta(symbol()))}
                  indicators={indicators()}
                  chartType={chartType()}
                  scale={scale()}
                  palette={PALETTES[theme()]}
                  alerts={symbolAlerts()}
                  session={sessionOfSymbol(symbol())}
                  disconnected={down()}
                  onDebug={props.onChartDebug}
                  onError={(error) => service.say('error', `Chart: ${String(error)}`)}
                />
              </Suspense>
            )}
          </Show>
        </section>
        <DepthLadder
          feed={service.bookFeed}
          symbol={selected()}
          meta={selected() !== null ? meta(selected()!) : undefined}
          format={selected() !== null ? format(selected()!) : FALLBACK_FORMAT}
        />
        <TimeAndSales
          feed={service.symbolFeed}
          symbol={selected()}
          format={selected() !== null ? format(selected()!) : FALLBACK_FORMAT}
          zone={zone()}
        />
      </main>
      <StatusBar
        service={service}
        zone={zone()}
        controlToken={props.controlToken}
        sessionKind={selected() !== null ? sessionOfSymbol(selected()!) : 'utc-day'}
      />
    </div>
  );
}
