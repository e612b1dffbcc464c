import { createEffect, createMemo, createSignal, For, lazy, onMount, Show, Suspense } from 'solid-js';
import type { Candle, SymbolInfo, SymbolMeta } from '@tickfeed/protocol';
import { StatusBar } from './components/status-bar.js';
import { TimeAndSales } from './components/time-and-sales.js';
import { Watchlist } from './components/watchlist.js';
import type { ChartDebug } from './feed/chart-controller.js';
import type { FeedService } from './feed/feed-service.js';
import { decimalsOf } from './lib/format.js';
import { CHART_INTERVALS, type ChartInterval, type Prefs } from './lib/prefs.js';
import { browserTimeZone, resolveZone, type ZoneChoice } from './lib/time-zone.js';

// The chart library is the largest part of the bundle: load it after the first paint.
const PriceChart = lazy(() => import('./components/price-chart.js'));

export type ChartDebugFn = () => (ChartDebug & { series: Candle[] }) | null;

export interface AppProps {
  service: FeedService;
  initial: Prefs;
  persist: (prefs: Prefs) => void;
  onChartDebug: (debug: ChartDebugFn | null) => void;
}

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
  const [zoneChoice, setZoneChoice] = createSignal<ZoneChoice>(props.initial.zone);
  const [watchlistChosen, setWatchlistChosen] = createSignal(props.initial.watchlist !== null);
  const localZone = browserTimeZone();
  const zone = () => resolveZone(zoneChoice(), localZone);

  const metaBySymbol = createMemo(() => {
    const map = new Map<string, SymbolMeta>();
    for (const info of service.universe()) map.set(info.meta.symbol, info.meta);
    return map;
  });
  const meta = (symbol: string) => metaBySymbol().get(symbol);
  const decimals = (symbol: string) => decimalsOf(meta(symbol)?.tickSize ?? 0.01);

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
    props.persist({
      watchlist: watchlistChosen() ? service.watchlist() : null,
      selected: selected(),
      interval: interval(),
      zone: zoneChoice(),
    });
  });

  return (
    <div class="app">
      <header class="topbar">
        <div class="brand">
          <svg width="18" height="18" viewBox="0 0 16 16" aria-hidden="true">
            <path d="M1 12 5 7l3 3 7-8" fill="none" stroke="#26a69a" stroke-width="2" />
          </svg>
          tickfeed
        </div>
        <SearchBox service={service} />
        <span class="spacer" />
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
      <main class="grid">
        <Watchlist service={service} selected={selected()} onSelect={setSelected} meta={meta} decimals={decimals} />
        <section class="panel chart-panel" aria-label="Chart">
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
              <button aria-pressed={zoneChoice() === 'local'} data-zone="local" onClick={() => setZoneChoice('local')} title={localZone}>
                Local
              </button>
              <button aria-pressed={zoneChoice() === 'utc'} data-zone="utc" onClick={() => setZoneChoice('utc')}>
                UTC
              </button>
            </div>
          </div>
          <Show when={selected()} fallback={<div class="empty">No symbol selected.</div>}>
            {(symbol) => (
              <Suspense fallback={<div class="chart-wrap"><div class="chart-loading">loading chart…</div></div>}>
                <PriceChart
                  feed={service.symbolFeed}
                  symbol={symbol()}
                  interval={interval()}
                  zone={zoneChoice()}
                  decimals={decimals(symbol())}
                  tickSize={meta(symbol())?.tickSize ?? 0.01}
                  onDebug={props.onChartDebug}
                  onError={(error) => service.say('error', `Chart: ${String(error)}`)}
                />
              </Suspense>
            )}
          </Show>
        </section>
        <TimeAndSales
          feed={service.symbolFeed}
          symbol={selected()}
          decimals={selected() !== null ? decimals(selected()!) : 2}
          zone={zone()}
        />
      </main>
      <StatusBar service={service} zone={zone()} />
    </div>
  );
}

function SearchBox(props: { service: FeedService }) {
  const [error, setError] = createSignal<string | null>(null);
  const options = createMemo(() => {
    const inList = new Set(props.service.watchlist());
    return props.service.universe().filter((info) => !inList.has(info.meta.symbol));
  });
  return (
    <div class="search">
      <input
        type="search"
        placeholder="Add symbol (type, Enter)"
        aria-label="Add symbol"
        list="symbol-options"
        autocomplete="off"
        spellcheck={false}
        aria-invalid={error() !== null}
        data-testid="search"
        onInput={() => setError(null)}
        onKeyDown={(event) => {
          if (event.key !== 'Enter') return;
          const input = event.currentTarget;
          const problem = props.service.addSymbol(input.value);
          setError(problem);
          if (problem === null) input.value = '';
        }}
      />
      <datalist id="symbol-options">
        <For each={options()}>{(info) => <option value={info.meta.symbol}>{info.meta.name}</option>}</For>
      </datalist>
      <Show when={error()}>
        <span class="search-error" role="alert" data-testid="search-error">
          {error()}
        </span>
      </Show>
    </div>
  );
}
