import { INTERVAL_MS, type Candle, type CandlesResponse, type SessionKind } from '@tickfeed/protocol';
import { CandleModel } from '../lib/candle-model.js';
import type { ChartInterval } from '../lib/prefs.js';
import { DisplayTimeline, resolveZone, type ZoneSpec } from '../lib/time-zone.js';
import { StitchedFeed } from './stitched-feed.js';
import type { SymbolFeed } from './symbol-feed.js';

/** Candles requested when the chart (re)loads, and per page of older history. */
export const CHART_HISTORY_CANDLES = 1_000;

/** Where the controller draws: the chart's candle and volume series. */
export interface ChartSink {
  /** Replaces all bars: a (re)load, reset or zone change, or older history put in front ('older'). */
  setData(candles: readonly Candle[], timeline: DisplayTimeline, cause?: 'load' | 'older'): void;
  /** Updates or appends one bar (live). */
  update(candle: Candle, timeline: DisplayTimeline): void;
}

export interface ChartDebug {
  readonly symbol: string;
  readonly interval: ChartInterval;
  readonly zone: string;
  readonly epoch: string;
  readonly seq: number;
  readonly loads: number;
  readonly live: boolean;
  readonly candles: Candle[];
  /** The server has nothing older than the first candle held. */
  readonly historyStart: boolean;
  /** Pages of older history loaded since the last (re)load. */
  readonly pages: number;
}

/**
 * Keeps one chart in step with the feed: loads the candles of the selected
 * symbol and interval, stitches them to the live stream by seq, pushes the
 * bars that changed in a frame with update(), and redraws with setData only on
 * a (re)load. Framework-free: the Solid component only creates the chart.
 */
export class ChartController {
  private stitched: StitchedFeed<CandlesResponse> | undefined;
  private model: CandleModel | undefined;
  private timeline = new DisplayTimeline('UTC');
  private drawn = false;
  private current: { symbol: string; interval: ChartInterval; zone: string; session: SessionKind } | undefined;
  /** Bar updates pushed to the sink, for tests. */
  updates = 0;
  private older: { abort: AbortController; promise: Promise<number> } | undefined;
  private historyStart = false;
  private pages = 0;

  constructor(
    private readonly feed: SymbolFeed,
    private readonly sink: ChartSink,
    private readonly onError: (error: unknown) => void = () => {},
    private readonly localZone?: string,
  ) {}

  get zone(): DisplayTimeline {
    return this.timeline;
  }

  /** `session`: the symbol's market session, for live updates of `1d` candles (P33). */
  show(symbol: string, interval: ChartInterval, zoneChoice: ZoneSpec, session: SessionKind = 'utc-day'): void {
    const zone = resolveZone(zoneChoice, this.localZone);
    const c = this.current;
    if (c !== undefined && c.symbol === symbol && c.interval === interval && c.session === session) {
      if (c.zone !== zone) {
        // Only the axis changes: re-map the same candles, no refetch.
        this.current = { symbol, interval, zone, session };
        this.timeline = new DisplayTimeline(zone);
        if (this.drawn && this.model !== undefined) this.sink.setData(this.model.candles, this.timeline);
      }
      return;
    }
    this.stitched?.dispose();
    this.cancelOlder();
    this.current = { symbol, interval, zone, session };
    this.timeline = new DisplayTimeline(zone);
    this.drawn = false;
    const model = new CandleModel(INTERVAL_MS[interval], undefined, session);
    this.model = model;
    this.sink.setData([], this.timeline);
    this.stitched = new StitchedFeed<CandlesResponse>(
      this.feed,
      symbol,
      {
        fetch: (signal) => this.feed.rest.candles(symbol, interval, { limit: CHART_HISTORY_CANDLES }, signal),
        seq: (history) => history.seq,
        epoch: (history) => history.epoch,
      },
      {
        reset: (history) => {
          this.drawn = false;
          this.cancelOlder();
          model.load(history);
          this.historyStart = history.candles.length === 0;
        },
        apply: (ticks) => {
          const result = model.apply(ticks);
          if (this.drawn) {
            for (const candle of result.changed) {
              this.sink.update(candle, this.timeline);
              this.updates++;
            }
          }
          return result.gap === null;
        },
        loaded: () => {
          this.timeline.clear();
          this.sink.setData(model.candles, this.timeline);
          this.drawn = true;
        },
      },
      this.onError,
    );
  }

  /**
   * Loads the page of candles before the first one held (`before=`), puts it in
   * front and redraws; resolves to the number added (0 at the start of history,
   * which is then remembered). One page at a time; a reload cancels it.
   */
  loadOlder(): Promise<number> {
    if (this.older !== undefined) return this.older.promise;
    const c = this.current;
    const model = this.model;
    const first = model?.candles[0];
    if (c === undefined || model === undefined || !this.drawn || this.historyStart || first === undefined) return Promise.resolve(0);
    const abort = new AbortController();
    const promise = this.feed.rest
      .candles(c.symbol, c.interval, { before: first.time, limit: CHART_HISTORY_CANDLES }, abort.signal)
      .then((page) => {
        // A page of another epoch (a reset in flight) is dropped: the reload brings the new history.
        if (abort.signal.aborted || this.model !== model || page.epoch !== model.epoch) return 0;
        const added = model.prepend(page.candles);
        if (added === 0) this.historyStart = true;
        else {
          this.pages++;
          this.timeline.clear();
          this.sink.setData(model.candles, this.timeline, 'older');
        }
        return added;
      })
      .catch((error: unknown) => {
        if (!abort.signal.aborted) this.onError(error);
        return 0;
      })
      .finally(() => {
        if (this.older?.abort === abort) this.older = undefined;
      });
    this.older = { abort, promise };
    return promise;
  }

  get atHistoryStart(): boolean {
    return this.historyStart;
  }

  private cancelOlder(): void {
    this.older?.abort.abort();
    this.older = undefined;
    this.historyStart = false;
    this.pages = 0;
  }

  /** The bars held (the model's own array: read, never change), for the indicators. */
  bars(): readonly Candle[] {
    return this.model?.candles ?? [];
  }

  /** The candles of the model (UTC bucket times), for the crosshair default and tests. */
  lastCandle(): Candle | undefined {
    const candles = this.model?.candles;
    return candles === undefined ? undefined : candles[candles.length - 1];
  }

  debug(): ChartDebug | null {
    const c = this.current;
    const model = this.model;
    if (c === undefined || model === undefined) return null;
    return {
      symbol: c.symbol,
      interval: c.interval,
      zone: c.zone,
      epoch: model.epoch,
      seq: model.seq,
      loads: this.stitched?.loads ?? 0,
      live: this.stitched?.live ?? false,
      candles: model.candles.map((candle) => ({ ...candle })),
      historyStart: this.historyStart,
      pages: this.pages,
    };
  }

  dispose(): void {
    this.cancelOlder();
    this.stitched?.dispose();
    this.stitched = undefined;
  }
}
