import { createEffect, createSignal, For, on, onCleanup } from 'solid-js';
import type { TicksResponse } from '@tickfeed/protocol';
import { StitchedFeed } from '../feed/stitched-feed.js';
import type { SymbolFeed } from '../feed/symbol-feed.js';
import { formatPriceIn, formatSize, type DisplayFormat } from '../lib/format.js';
import { TAPE_ROWS, TapeModel, type TapeRow } from '../lib/tape-model.js';
import { formatInZone } from '../lib/time-zone.js';

export interface TimeAndSalesProps {
  feed: SymbolFeed;
  symbol: string | null;
  format: DisplayFormat;
  zone: string;
}

/** The most recent trades of the selected symbol, backfilled from GET …/ticks and coloured by direction. */
export function TimeAndSales(props: TimeAndSalesProps) {
  const [rows, setRows] = createSignal<TapeRow[]>([]);

  createEffect(
    on(
      () => props.symbol,
      (symbol) => {
        setRows([]);
        if (symbol === null) return;
        const model = new TapeModel(TAPE_ROWS);
        const stitched = new StitchedFeed<TicksResponse>(
          props.feed,
          symbol,
          {
            // Before the stream knows the symbol's seq, ask for the newest trades (no `after`), not the oldest.
            fetch: (signal) => {
              const seq = props.feed.seq(symbol);
              const query = seq > 0 ? { after: Math.max(0, seq - TAPE_ROWS), limit: 1000 } : { limit: TAPE_ROWS };
              return props.feed.rest.ticks(symbol, query, signal);
            },
            seq: lastSeqOf,
            epoch: (history) => history.epoch,
          },
          {
            reset: (history) => model.load(history.ticks, lastSeqOf(history)),
            apply: (ticks) => {
              const ok = model.apply(ticks);
              setRows(model.rows);
              return ok;
            },
            loaded: () => setRows(model.rows),
          },
        );
        onCleanup(() => stitched.dispose());
      },
    ),
  );

  return (
    <section class="panel tape-panel" id="panel-tape" aria-label="Time and sales">
      <div class="panel-title">Time &amp; sales</div>
      <div class="tape-row tape-head">
        <span>Time</span>
        <span class="p">Price</span>
        <span class="s">Size</span>
      </div>
      <div class="tape" data-testid="tape">
        <For each={rows()}>
          {(row) => (
            <div class="tape-row" data-seq={row.seq}>
              <span class="t">{formatInZone(row.ts, props.zone, 'seconds')}</span>
              <span class={`p ${row.dir > 0 ? 'up' : row.dir < 0 ? 'down' : ''}`}>{formatPriceIn(row.price, props.format)}</span>
              <span class="s">{formatSize(row.size, props.format.size)}</span>
            </div>
          )}
        </For>
      </div>
    </section>
  );
}

/** The seq the backfill ends at: its last tick, or the symbol's seq when it returned none. */
function lastSeqOf(history: TicksResponse): number {
  const last = history.ticks[history.ticks.length - 1];
  return last === undefined ? history.seq : last.seq;
}
