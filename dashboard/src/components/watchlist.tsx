import { createEffect, createMemo, createSignal, For, on, onCleanup, Show, untrack } from 'solid-js';
import type { SymbolMeta } from '@tickfeed/protocol';
import type { FeedService } from '../feed/feed-service.js';
import { formatPct, formatPrice, formatSigned, formatVolume } from '../lib/format.js';
import { nextSort, sortSymbols, type SortKey, type SortSpec } from '../lib/sort.js';

export interface WatchlistProps {
  service: FeedService;
  selected: string | null;
  onSelect: (symbol: string) => void;
  meta: (symbol: string) => SymbolMeta | undefined;
  decimals: (symbol: string) => number;
}

const COLUMNS: { key: SortKey; label: string }[] = [
  { key: 'symbol', label: 'Symbol' },
  { key: 'last', label: 'Last' },
  { key: 'change', label: 'Chg' },
  { key: 'changePct', label: 'Chg %' },
  { key: 'bid', label: 'Bid' },
  { key: 'ask', label: 'Ask' },
  { key: 'volume', label: 'Volume' },
];

/** Quotes of the watchlist: sortable columns, flash on price changes, sparkline, one-click remove. */
export function Watchlist(props: WatchlistProps) {
  const [sort, setSort] = createSignal<SortSpec | null>(null);
  // Re-sort at most once a second: rows jumping on every tick would be unreadable.
  const order = createMemo(() => {
    const spec = sort();
    const list = props.service.watchlist();
    if (spec !== null && spec.key !== 'symbol') props.service.clock();
    return untrack(() => sortSymbols(list, props.service.quotes, spec));
  });

  return (
    <section class="panel watchlist-panel" aria-label="Watchlist">
      <div class="panel-title">
        Watchlist <span class="count">{props.service.watchlist().length}</span>
      </div>
      <div class="table-scroll">
        <table class="quotes">
          <colgroup>
            <col class="c-sym" />
            <col class="c-num" />
            <col class="c-num" />
            <col class="c-pct" />
            <col class="c-num" />
            <col class="c-num" />
            <col class="c-vol" />
            <col class="c-spark" />
            <col class="c-rm" />
          </colgroup>
          <thead>
            <tr>
              <For each={COLUMNS}>
                {(column) => (
                  <th
                    scope="col"
                    aria-sort={sort()?.key === column.key ? (sort()!.dir === 1 ? 'ascending' : 'descending') : 'none'}
                    onClick={() => setSort((current) => nextSort(current, column.key))}
                  >
                    {column.label}
                  </th>
                )}
              </For>
              <th scope="col" aria-label="Intraday" />
              <th scope="col" aria-label="Remove" />
            </tr>
          </thead>
          <tbody>
            <For each={order()}>
              {(symbol) => (
                <Row
                  symbol={symbol}
                  service={props.service}
                  selected={props.selected === symbol}
                  onSelect={props.onSelect}
                  name={props.meta(symbol)?.name ?? ''}
                  decimals={props.decimals(symbol)}
                />
              )}
            </For>
          </tbody>
        </table>
        <Show when={props.service.watchlist().length === 0}>
          <div class="empty">Add a symbol with the search box above (type it, then Enter).</div>
        </Show>
      </div>
    </section>
  );
}

interface RowProps {
  symbol: string;
  service: FeedService;
  selected: boolean;
  onSelect: (symbol: string) => void;
  name: string;
  decimals: number;
}

function Row(props: RowProps) {
  const quote = () => props.service.quotes[props.symbol];
  const spark = () => props.service.sparks[props.symbol];
  const stale = () => props.service.stats().stale[props.symbol] !== undefined;
  let lastCell: HTMLTableCellElement | undefined;
  let flashTimer: ReturnType<typeof setTimeout> | undefined;

  // A blink (class on, class off 300 ms later) rather than a fade: two style changes per
  // price change instead of an animation frame after frame for each of 50 rows.
  createEffect(
    on(
      () => quote()?.flash,
      (count, previous) => {
        if (count === undefined || previous === undefined || count === previous || lastCell === undefined) return;
        const dir = untrack(() => quote()?.dir ?? 0);
        if (dir === 0) return;
        lastCell.classList.toggle('flash-up', dir > 0);
        lastCell.classList.toggle('flash-down', dir < 0);
        if (flashTimer !== undefined) clearTimeout(flashTimer);
        flashTimer = setTimeout(() => {
          flashTimer = undefined;
          lastCell?.classList.remove('flash-up', 'flash-down');
        }, 300);
      },
    ),
  );
  onCleanup(() => clearTimeout(flashTimer));

  const tone = () => {
    const change = quote()?.change ?? 0;
    return change > 0 ? 'up' : change < 0 ? 'down' : '';
  };

  return (
    <tr
      data-symbol={props.symbol}
      classList={{ selected: props.selected, stale: stale() }}
      aria-selected={props.selected}
      onClick={() => props.onSelect(props.symbol)}
    >
      <td class="sym" title={props.name}>
        {props.symbol}
      </td>
      <Show
        when={quote()}
        fallback={
          <td class="num" colSpan={6} style={{ color: 'var(--muted)' }}>
            loading…
          </td>
        }
      >
        {(q) => (
          <>
            <td class="last" ref={lastCell} data-last={q().last} data-seq={q().seq}>
              {formatPrice(q().last, props.decimals)}
            </td>
            <td class={tone()}>{formatSigned(q().change, props.decimals)}</td>
            <td class={tone()}>{formatPct(q().changePct)}</td>
            <td>{formatPrice(q().bid, props.decimals)}</td>
            <td>{formatPrice(q().ask, props.decimals)}</td>
            <td>{formatVolume(q().volume)}</td>
          </>
        )}
      </Show>
      <td class="spark">
        <svg width="56" height="18" viewBox="0 0 72 20" preserveAspectRatio="none" class={spark()?.up === false ? 'down' : 'up'} aria-hidden="true">
          <path d={spark()?.path ?? ''} />
        </svg>
      </td>
      <td>
        <button
          class="remove"
          title={`Remove ${props.symbol}`}
          aria-label={`Remove ${props.symbol}`}
          data-remove={props.symbol}
          onClick={(event) => {
            event.stopPropagation();
            props.service.removeSymbol(props.symbol);
          }}
        >
          ×
        </button>
      </td>
    </tr>
  );
}
