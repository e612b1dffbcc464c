import type { Tick } from '@tickfeed/protocol';
import { mergeFill, planStitch } from '../lib/stitch.js';
import type { SymbolFeed } from './symbol-feed.js';

/** A view's data that is loaded over REST and then advanced by live ticks. */
export interface StitchTarget<H> {
  /** Replaces everything with freshly loaded history (the chart's setData moment). */
  reset(history: H): void;
  /** Applies live ticks; returns false when a seq gap means the data must be reloaded. */
  apply(ticks: Tick[]): boolean;
  /** Called after each (re)load once reset + catch-up are done. */
  loaded?(): void;
}

export interface HistorySource<H> {
  fetch(signal: AbortSignal): Promise<H>;
  /** Last tick the history covers: live ticks continue at seq + 1. */
  seq(history: H): number;
  epoch(history: H): string;
}

const MAX_EPOCH_RETRIES = 5;
const RETRY_DELAY_MS = 500;

/** Ticks one GET …/ticks may bring to fill a hole; a wider one reloads. */
const FILL_LIMIT = 1_000;

/**
 * Loads one symbol's history and stitches it to the live stream by seq: live
 * ticks are buffered while the request is in flight, those with seq <= the
 * history's seq are dropped (already counted), and a hole between the two is
 * filled from GET …/ticks. A live stream that later starts again further on in
 * the same epoch (the symbol's delivery switched from quotes to every tick
 * after the load) is filled the same way; a reload, a reset, or a hole one
 * page cannot fill starts over.
 */
export class StitchedFeed<H> {
  private phase: 'loading' | 'filling' | 'live' | 'disposed' = 'loading';
  /** Seq of the last tick applied (the history's seq right after a load). */
  private seq = 0;
  private buffer: Tick[] = [];
  private abort: AbortController | undefined;
  private readonly offs: (() => void)[] = [];
  private epochRetries = 0;
  /** Epoch of the history last loaded. */
  private loadedEpoch: string | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Loads done, for tests and the debug hook. */
  loads = 0;

  constructor(
    private readonly feed: SymbolFeed,
    readonly symbol: string,
    private readonly source: HistorySource<H>,
    private readonly target: StitchTarget<H>,
    private readonly onError: (error: unknown) => void = () => {},
  ) {
    this.offs.push(feed.onTicks(symbol, (ticks) => this.onTicks(ticks)));
    this.offs.push(
      feed.onSymbolEvent(symbol, (event) => {
        if (event.cause === 'recovered') return;
        // The first subscription's snapshot needs no second load: a load in flight checks the epoch
        // and fills any hole from GET …/ticks, a finished one of the same epoch reloads at the first gap.
        if (event.cause === 'subscribed' && (this.phase === 'loading' || event.epoch === this.loadedEpoch)) return;
        this.reload();
      }),
    );
    this.reload();
  }

  get live(): boolean {
    return this.phase === 'live';
  }

  dispose(): void {
    this.phase = 'disposed';
    this.abort?.abort();
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    for (const off of this.offs) off();
    this.buffer = [];
  }

  reload(): void {
    if (this.phase === 'disposed') return;
    this.abort?.abort();
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.phase = 'loading';
    this.buffer = [];
    const abort = new AbortController();
    this.abort = abort;
    void this.load(abort).catch((error: unknown) => {
      if (abort.signal.aborted || this.phase === 'disposed') return;
      this.onError(error);
      this.retryLater();
    });
  }

  private onTicks(ticks: Tick[]): void {
    if (this.phase === 'loading' || this.phase === 'filling') {
      for (const tick of ticks) this.buffer.push(tick);
    } else if (this.phase === 'live') {
      if (planStitch(this.seq, ticks).missing !== null) this.fill(ticks);
      else this.applyLive(ticks);
    }
  }

  /** Applies contiguous ticks; a gap inside them reloads. */
  private applyLive(ticks: Tick[]): void {
    if (!this.target.apply(ticks)) {
      this.reload();
      return;
    }
    const last = ticks[ticks.length - 1];
    if (last !== undefined && last.seq > this.seq) this.seq = last.seq;
  }

  /** Live ticks start past the last one applied: fetch the hole, buffering what arrives meanwhile. */
  private fill(ticks: Tick[]): void {
    this.phase = 'filling';
    this.buffer = [...ticks];
    const abort = new AbortController();
    this.abort = abort;
    void this.fetchHole(this.seq, this.loadedEpoch, abort)
      .then((catchUp) => {
        if (abort.signal.aborted || this.phase !== 'filling') return;
        if (catchUp === null) {
          this.reload();
          return;
        }
        this.buffer = [];
        this.phase = 'live';
        this.applyLive(catchUp);
      })
      .catch((error: unknown) => {
        if (abort.signal.aborted || this.phase === 'disposed') return;
        this.onError(error);
        this.reload();
      });
  }

  /**
   * The buffered ticks past `seq` of `epoch`, with any hole in front of them
   * fetched from GET …/ticks; null when one page cannot close it or the server
   * answered from another epoch (a reset in flight: its event reloads).
   */
  private async fetchHole(seq: number, epoch: string | undefined, abort: AbortController): Promise<Tick[] | null> {
    const plan = planStitch(seq, this.buffer);
    if (plan.missing === null) return plan.apply;
    const fill = await this.feed.rest.ticks(this.symbol, { after: plan.missing.after, limit: FILL_LIMIT }, abort.signal);
    if (abort.signal.aborted || fill.epoch !== epoch) return null;
    // Ticks that arrived during the fill request are in the buffer too.
    return mergeFill(seq, fill.ticks, planStitch(seq, this.buffer).apply);
  }

  private async load(abort: AbortController): Promise<void> {
    const history = await this.source.fetch(abort.signal);
    if (abort.signal.aborted) return;
    const streamEpoch = this.feed.epoch(this.symbol);
    if (streamEpoch !== undefined && streamEpoch !== this.source.epoch(history)) {
      // REST and stream disagree on the epoch (a reset in flight): try again shortly.
      if (this.epochRetries++ < MAX_EPOCH_RETRIES) this.retryLater();
      return;
    }
    this.epochRetries = 0;
    const seq = this.source.seq(history);
    const catchUp = await this.fetchHole(seq, this.source.epoch(history), abort);
    if (abort.signal.aborted) return;
    if (catchUp === null) {
      this.retryLater();
      return;
    }
    this.buffer = [];
    this.loadedEpoch = this.source.epoch(history);
    this.target.reset(history);
    this.phase = 'live';
    this.seq = seq;
    this.loads++;
    if (catchUp.length > 0) {
      this.applyLive(catchUp);
      if (this.phase !== 'live') return;
    }
    this.target.loaded?.();
  }

  private retryLater(): void {
    if (this.phase === 'disposed') return;
    this.phase = 'loading';
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.reload();
    }, RETRY_DELAY_MS);
  }
}
