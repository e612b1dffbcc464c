import { INTERVAL_MS, type Candle, type CandlesResponse } from '@tickfeed/protocol';
import { CandleModel } from '../lib/candle-model.js';
import type { ChartInterval } from '../lib/prefs.js';
import { DisplayTimeline, resolveZone, type ZoneChoice } from '../lib/time-zone.js';
import { StitchedFeed } from './stitched-feed.js';
import type { SymbolFeed } from './symbol-feed.js';

/** Candles requested when the chart (re)loads. */
export const CHART_HISTORY_CANDLES = 1_000;

/** Where the controller draws: the chart's candle and volume series. */
export interface ChartSink {
  /** Replaces all bars (load, reload, reset, zone change). */
  setData(candles: readonly Candle[], timeline: DisplayTimeline): void;
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
  private current: { symbol: string; interval: ChartInterval; zone: string } | undefined;
  /** Bar updates pushed to the sink, for tests. */
  updates = 0;

  constructor(
    private readonly feed: SymbolFeed,
    private readonly sink: ChartSink,
    private readonly onError: (error: unknown) => void = () => {},
    private readonly localZone?: string,
  ) {}

  get zone(): DisplayTimeline {
    return this.timeline;
  }

  show(symbol: string, interval: ChartInterval, zoneChoice: ZoneChoice): void {
    const zone = resolveZone(zoneChoice, this.localZone);
    const c = this.current;
    if (c !== undefined && c.symbol === symbol && c.interval === interval) {
      if (c.zone !== zone) {
        // Only the axis changes: re-map the same candles, no refetch.
        this.current = { symbol, interval, zone };
        this.timeline = new DisplayTimeline(zone);
        if (this.drawn && this.model !== undefined) this.sink.setData(this.model.candles, this.timeline);
      }
      return;
    }
    this.stitched?.dispose();
    this.current = { symbol, interval, zone };
    this.timeline = new DisplayTimeline(zone);
    this.drawn = false;
    const model = new CandleModel(INTERVAL_MS[interval]);
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
          model.load(history);
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
    };
  }

  dispose(): void {
    this.stitched?.dispose();
    this.stitched = undefined;
  }
}
