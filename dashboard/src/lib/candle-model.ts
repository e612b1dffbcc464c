import { aggregateTrade, type Candle, type CandlesResponse, type SessionKind, type Tick } from '@tickfeed/protocol';

/** Candles kept by one chart: the REST load plus what the stream adds. */
export const CHART_MAX_CANDLES = 5_000;
/** Candles one chart keeps at most once older history is paged in. */
export const CHART_MAX_PAGED_CANDLES = 50_000;

export interface ApplyResult {
  /** Candles that changed, distinct, ascending by time. */
  readonly changed: Candle[];
  /** Set when a tick skipped seqs: the model stops and must be reloaded. */
  readonly gap: { readonly expected: number; readonly received: number } | null;
}

/**
 * One symbol's candles at one interval, stitched to the live stream by seq:
 * history from GET …/candles covers ticks up to `seq`; a live tick is applied
 * only when it is exactly the next one, so nothing is counted twice and a
 * hole is reported, never drawn over. Candles are built with the protocol's
 * aggregateTrade, the same code the server uses.
 */
export class CandleModel {
  candles: Candle[] = [];
  epoch = '';
  seq = 0;

  /** `session`: the symbol's market session, which its `1d` candles follow as the server's do (P33). */
  constructor(
    readonly intervalMs: number,
    private maxCandles = CHART_MAX_CANDLES,
    private readonly session: SessionKind = 'utc-day',
  ) {}

  /**
   * Puts older candles (a `before=` page) in front: only those strictly before
   * the first candle held, so the seam has no duplicate; returns how many were
   * added. The cap grows with what was paged in, up to CHART_MAX_PAGED_CANDLES.
   */
  prepend(older: readonly Candle[]): number {
    const first = this.candles[0]?.time ?? Number.POSITIVE_INFINITY;
    const room = CHART_MAX_PAGED_CANDLES - this.candles.length;
    const fresh = older.filter((c) => c.time < first).sort((a, b) => a.time - b.time);
    const added = room <= 0 ? [] : fresh.slice(Math.max(0, fresh.length - room)).map((c) => ({ ...c }));
    if (added.length === 0) return 0;
    this.candles = [...added, ...this.candles];
    this.maxCandles = Math.max(this.maxCandles, Math.min(CHART_MAX_PAGED_CANDLES, this.candles.length + CHART_MAX_CANDLES));
    return added.length;
  }

  load(history: Pick<CandlesResponse, 'epoch' | 'seq' | 'candles'>): void {
    this.candles = history.candles.map((c) => ({ ...c }));
    this.epoch = history.epoch;
    this.seq = history.seq;
  }

  apply(ticks: readonly Tick[]): ApplyResult {
    const changed: Candle[] = [];
    for (const tick of ticks) {
      if (tick.seq <= this.seq) continue;
      if (tick.seq !== this.seq + 1) return { changed: sortDistinct(changed), gap: { expected: this.seq + 1, received: tick.seq } };
      this.seq = tick.seq;
      const candle = aggregateTrade(this.candles, tick.ts, tick.price, tick.size, this.intervalMs, this.maxCandles, undefined, this.session);
      if (candle !== undefined && changed[changed.length - 1] !== candle) changed.push(candle);
    }
    return { changed: sortDistinct(changed), gap: null };
  }
}

function sortDistinct(candles: Candle[]): Candle[] {
  if (candles.length < 2) return candles;
  const distinct = [...new Set(candles)];
  distinct.sort((a, b) => a.time - b.time);
  return distinct;
}
