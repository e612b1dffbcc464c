import { createEffect, createSignal, For, on, onCleanup, Show } from 'solid-js';
import type { BookState } from '@tickfeed/client';
import type { SymbolMeta } from '@tickfeed/protocol';
import type { BookFeed } from '../feed/book-feed.js';
import { formatPriceIn, formatSize, type DisplayFormat } from '../lib/format.js';
import { ChangeMarks, FLASH_MS, buildLadder, depthChart, type Ladder, type LadderRow } from '../lib/ladder-model.js';
import './depth-ladder.css';

export interface DepthLadderProps {
  feed: BookFeed;
  symbol: string | null;
  meta: SymbolMeta | undefined;
  format: DisplayFormat;
}

const CHART_W = 200;
const CHART_H = 64;

/**
 * The selected symbol's order book: a price ladder (asks above the spread
 * row, bids below, sizes with bars, cumulative size, changed levels flashing)
 * and a depth chart. It renders once per animation frame at most (BookFeed).
 */
export function DepthLadder(props: DepthLadderProps) {
  const [book, setBook] = createSignal<BookState | null>(null);
  const [ladder, setLadder] = createSignal<Ladder | null>(null);
  const marks = new ChangeMarks();
  let flashTimer: ReturnType<typeof setTimeout> | undefined;

  const render = (state: BookState) => {
    const now = performance.now();
    setBook(state);
    setLadder(buildLadder(state, props.meta?.tickSize ?? 0.01, marks, now));
    // Highlights fade by a re-render when the newest expires, not by a timer per level.
    if (flashTimer === undefined && marks.prune(now)) {
      flashTimer = setTimeout(() => {
        flashTimer = undefined;
        const held = book();
        if (held !== null) render(held);
      }, FLASH_MS);
    }
  };

  const hasBook = () => props.meta?.book === true;

  createEffect(
    on(
      () => [props.symbol, hasBook()] as const,
      ([symbol, followed]) => {
        setBook(null);
        setLadder(null);
        marks.clear();
        if (symbol === null || !followed || props.meta === undefined) return;
        const stop = props.feed.follow(symbol, props.meta, (frame) => {
          if (frame.restarted) marks.clear();
          else marks.mark(frame.changed, performance.now());
          render(frame.book);
        });
        onCleanup(stop);
      },
    ),
  );
  onCleanup(() => clearTimeout(flashTimer));

  const price = (value: number) => formatPriceIn(value, props.format);
  const size = (value: number) => formatSize(value, props.format.size);
  const chart = () => {
    const state = book();
    return state === null ? null : depthChart(state, CHART_W, CHART_H);
  };

  const Row = (row: LadderRow) => (
    <tr class={`lvl ${row.side}`} classList={{ flash: row.flash }} data-side={row.side} data-price={row.price} data-size={row.size}>
      <td class="bsz">
        <Show when={row.side === 'bid'}>
          <span class="bar" style={{ width: `${(row.bar * 100).toFixed(1)}%` }} />
          {size(row.size)}
        </Show>
      </td>
      <td class="px">{price(row.price)}</td>
      <td class="asz">
        <Show when={row.side === 'ask'}>
          <span class="bar" style={{ width: `${(row.bar * 100).toFixed(1)}%` }} />
          {size(row.size)}
        </Show>
      </td>
      <td class="cum">{size(row.cum)}</td>
    </tr>
  );

  return (
    <section class="panel book-panel" id="panel-book" aria-label="Order book">
      <div class="panel-title">Order book</div>
      <Show when={hasBook()} fallback={<div class="empty">{props.symbol === null ? 'No symbol selected.' : `No order book for ${props.symbol}.`}</div>}>
        <div class="ladder" data-testid="ladder" data-symbol={props.symbol ?? ''} data-seq={book()?.seq ?? ''} data-epoch={book()?.epoch ?? ''}>
          <table>
            <thead>
              <tr>
                <th scope="col">Bid</th>
                <th scope="col">Price</th>
                <th scope="col">Ask</th>
                <th scope="col">Total</th>
              </tr>
            </thead>
            <tbody>
              <For each={ladder()?.asks ?? []}>{Row}</For>
              <tr class="spread-row" data-testid="spread">
                <td colspan="4">
                  <Show when={ladder()?.spread !== null && ladder() !== null} fallback={book() === null ? 'loading…' : 'one-sided'}>
                    Spread {price(ladder()!.spread!)} ({ladder()!.spreadTicks} {ladder()!.spreadTicks === 1 ? 'tick' : 'ticks'}) · mid {formatPriceIn(ladder()!.mid!, { ...props.format, price: props.format.price + 1 })}
                  </Show>
                </td>
              </tr>
              <For each={ladder()?.bids ?? []}>{Row}</For>
            </tbody>
          </table>
          <svg class="depth" viewBox={`0 0 ${CHART_W} ${CHART_H}`} preserveAspectRatio="none" role="img" aria-label="Depth chart: cumulative bids and asks around the mid">
            <path class="bids" d={chart()?.bidPath ?? ''} />
            <path class="asks" d={chart()?.askPath ?? ''} />
            <Show when={chart()?.midX != null}>
              <line class="mid" x1={chart()!.midX!} x2={chart()!.midX!} y1="0" y2={CHART_H} />
            </Show>
          </svg>
        </div>
      </Show>
    </section>
  );
}
