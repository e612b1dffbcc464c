import { createEffect, createMemo, createSignal, For, on, onCleanup, onMount, Show, untrack } from 'solid-js';
import type { SymbolMeta } from '@tickfeed/protocol';
import type { FeedService } from '../feed/feed-service.js';
import { formatPct, formatPriceIn, formatSigned, formatSize, type DisplayFormat } from '../lib/format.js';
import { parseAlertPrice, prefillAlertPrice } from '../lib/alerts.js';
import { nextSort, sortSymbols, type SortKey, type SortSpec } from '../lib/sort.js';

export interface WatchlistProps {
  service: FeedService;
  selected: string | null;
  onSelect: (symbol: string) => void;
  /** Enter on a row: chart it (on a phone, also show the chart). */
  onOpen: (symbol: string) => void;
  meta: (symbol: string) => SymbolMeta | undefined;
  format: (symbol: string) => DisplayFormat;
  sort: SortSpec | null;
  onSort: (sort: SortSpec | null) => void;
  /** `a` on a row, then Enter in its form: set a price alert for the row's symbol. */
  onAlert: (symbol: string, side: 'above' | 'below', price: number) => void;
  /** The feed is down: figures are dimmed as possibly out of date. */
  disconnected: boolean;
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

/**
 * Quotes of the watchlist: an ARIA grid. ↑/↓ (Home/End) move between rows,
 * Enter charts the row, Delete removes it, `a` opens an alert form under it
 * (Enter sets, Escape cancels); the column headers are buttons that
 * sort (descending, ascending, off). Flash on price changes, sparkline.
 */
export function Watchlist(props: WatchlistProps) {
  const sort = () => props.sort;
  /** The row holding the keyboard focus (roving tabindex); the selected one until the user moves. */
  const [cursor, setCursor] = createSignal<string | null>(null);
  const focusRow = () => {
    const list = order();
    const c = cursor();
    return c !== null && list.includes(c) ? c : props.selected !== null && list.includes(props.selected) ? props.selected : (list[0] ?? null);
  };
  let body: HTMLTableSectionElement | undefined;
  const moveTo = (symbol: string | undefined) => {
    if (symbol === undefined) return;
    setCursor(symbol);
    body?.querySelector<HTMLElement>(`tr[data-symbol="${CSS.escape(symbol)}"]`)?.focus();
  };
  /** The row whose alert form is open, if any. */
  const [alertFor, setAlertFor] = createSignal<string | null>(null);
  const closeAlert = (symbol: string) => {
    setAlertFor(null);
    moveTo(symbol);
  };
  const onKeyDown = (event: KeyboardEvent) => {
    // Keys typed in an alert form are the form's (Delete edits the price, ↑↓ change the side).
    if ((event.target as HTMLElement | null)?.closest('.alert-row') != null) return;
    const list = order();
    // The row the keys act on is the one holding the focus.
    const row = (event.target as HTMLElement | null)?.closest('tr[data-symbol]');
    const current = row?.getAttribute('data-symbol') ?? focusRow();
    if (current === null) return;
    const at = list.indexOf(current);
    switch (event.key) {
      case 'ArrowDown':
        moveTo(list[Math.min(list.length - 1, at + 1)]);
        break;
      case 'ArrowUp':
        moveTo(list[Math.max(0, at - 1)]);
        break;
      case 'Home':
        moveTo(list[0]);
        break;
      case 'End':
        moveTo(list[list.length - 1]);
        break;
      case 'Enter':
      case ' ':
        props.onOpen(current);
        break;
      case 'Delete':
      case 'Backspace': {
        const next = list[at + 1] ?? list[at - 1];
        props.service.removeSymbol(current);
        queueMicrotask(() => moveTo(next));
        break;
      }
      case 'a':
      case 'A':
        if (event.ctrlKey || event.metaKey || event.altKey) return;
        setAlertFor(current);
        break;
      default:
        return;
    }
    event.preventDefault();
  };
  // Re-sort at most once a second: rows jumping on every tick would be unreadable.
  const order = createMemo(() => {
    const spec = sort();
    const list = props.service.watchlist();
    if (spec !== null && spec.key !== 'symbol') props.service.clock();
    return untrack(() => sortSymbols(list, props.service.quotes, spec));
  });

  return (
    <section class="panel watchlist-panel" id="panel-watchlist" aria-label="Watchlist" classList={{ dimmed: props.disconnected }}>
      <div class="panel-title">
        Watchlist <span class="count">{props.service.watchlist().length}</span>
      </div>
      <div class="table-scroll">
        <table class="quotes" role="grid" aria-label="Watchlist quotes" aria-describedby="watchlist-keys">
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
                  <th scope="col" aria-sort={sort()?.key === column.key ? (sort()!.dir === 1 ? 'ascending' : 'descending') : 'none'}>
                    <button class="sort" data-sort={column.key} onClick={() => props.onSort(nextSort(sort(), column.key))}>
                      {column.label}
                    </button>
                  </th>
                )}
              </For>
              <th scope="col">
                <span class="sr-only">Intraday</span>
              </th>
              <th scope="col">
                <span class="sr-only">Remove</span>
              </th>
            </tr>
          </thead>
          <tbody ref={body} onKeyDown={onKeyDown}>
            <For each={order()}>
              {(symbol) => (
                <Row
                  symbol={symbol}
                  service={props.service}
                  selected={props.selected === symbol}
                  focusable={focusRow() === symbol}
                  onSelect={(s) => {
                    setCursor(s);
                    props.onSelect(s);
                  }}
                  name={props.meta(symbol)?.name ?? ''}
                  format={props.format(symbol)}
                  alertOpen={alertFor() === symbol}
                  onAlert={(side, price) => {
                    props.onAlert(symbol, side, price);
                    closeAlert(symbol);
                  }}
                  onAlertCancel={() => closeAlert(symbol)}
                />
              )}
            </For>
          </tbody>
        </table>
        <Show when={props.service.watchlist().length === 0}>
          <div class="empty">Add a symbol with the search box above (type it, then Enter).</div>
        </Show>
        <p class="keys-hint" id="watchlist-keys">
          ↑↓ move · Enter chart · a alert · Delete remove · / search
        </p>
      </div>
    </section>
  );
}

interface RowProps {
  symbol: string;
  service: FeedService;
  selected: boolean;
  focusable: boolean;
  onSelect: (symbol: string) => void;
  name: string;
  format: DisplayFormat;
  alertOpen: boolean;
  onAlert: (side: 'above' | 'below', price: number) => void;
  onAlertCancel: () => void;
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
    <>
    <tr
      data-symbol={props.symbol}
      classList={{ selected: props.selected, stale: stale() }}
      aria-selected={props.selected}
      tabIndex={props.focusable ? 0 : -1}
      onClick={() => props.onSelect(props.symbol)}
    >
      <th scope="row" class="sym" title={props.name}>
        {props.symbol}
      </th>
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
              {formatPriceIn(q().last, props.format)}
            </td>
            <td class={tone()}>{formatSigned(q().change, props.format.price, props.format.priceMin)}</td>
            <td class={tone()}>{formatPct(q().changePct)}</td>
            <td class="bid">{formatPriceIn(q().bid, props.format)}</td>
            <td class="ask">{formatPriceIn(q().ask, props.format)}</td>
            <td class="vol">{formatSize(q().volume, props.format.size)}</td>
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
          tabIndex={-1}
          title={`Remove ${props.symbol} (Delete)`}
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
    <Show when={props.alertOpen}>
      <tr class="alert-row" data-alert-for={props.symbol}>
        <td colSpan={9}>
          <AlertForm
            symbol={props.symbol}
            prefill={untrack(() => prefillAlertPrice(quote()?.last, props.format.price))}
            onSet={props.onAlert}
            onCancel={props.onAlertCancel}
          />
        </td>
      </tr>
    </Show>
    </>
  );
}

interface AlertFormProps {
  symbol: string;
  /** The price the form starts with (the row's last, taken once: ticks must not overwrite typing). */
  prefill: string;
  onSet: (side: 'above' | 'below', price: number) => void;
  onCancel: () => void;
}

/** The inline alert form of a watchlist row: side, price (focused, selected), Enter sets, Escape cancels. */
function AlertForm(props: AlertFormProps) {
  const [side, setSide] = createSignal<'above' | 'below'>('above');
  const [price, setPrice] = createSignal(props.prefill);
  let input: HTMLInputElement | undefined;
  onMount(() => {
    input?.focus();
    input?.select();
  });
  return (
    <form
      class="alert-form row-alert"
      aria-label={`Price alert for ${props.symbol}`}
      onSubmit={(event) => {
        event.preventDefault();
        const value = parseAlertPrice(price());
        if (value === null) {
          input?.focus();
          return;
        }
        props.onSet(side(), value);
      }}
      onKeyDown={(event) => {
        if (event.key !== 'Escape') return;
        event.preventDefault();
        event.stopPropagation();
        props.onCancel();
      }}
    >
      <span class="row-alert-label">Alert {props.symbol}</span>
      <select aria-label={`Alert ${props.symbol} when the price is`} value={side()} onChange={(e) => setSide(e.currentTarget.value === 'below' ? 'below' : 'above')}>
        <option value="above">Above</option>
        <option value="below">Below</option>
      </select>
      <input
        ref={input}
        type="number"
        step="any"
        min="0"
        inputmode="decimal"
        aria-label={`Alert price for ${props.symbol}`}
        aria-invalid={parseAlertPrice(price()) === null}
        value={price()}
        onInput={(e) => setPrice(e.currentTarget.value)}
      />
      <button type="submit">Set</button>
      <button type="button" onClick={() => props.onCancel()}>
        Cancel
      </button>
    </form>
  );
}
