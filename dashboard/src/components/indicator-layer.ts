import { HistogramSeries, LineSeries, type HistogramData, type IChartApi, type ISeriesApi, type LineData, type Time, type UTCTimestamp, type WhitespaceData } from 'lightweight-charts';
import type { Candle } from '@tickfeed/protocol';
import { histogramShade, indicatorSpec, type IndicatorContext, type IndicatorId, type IndicatorSpec, type LineSpec, type Lines } from '../lib/indicators/catalog.js';
import { IncrementalSeries } from '../lib/indicators/step.js';
import type { DisplayTimeline } from '../lib/time-zone.js';

/** Height of each indicator pane below the price pane, in CSS pixels. */
const PANE_HEIGHT = 110;

interface Drawn {
  readonly spec: IndicatorSpec;
  readonly values: IncrementalSeries<unknown, Lines>;
  readonly series: Map<LineSpec, ISeriesApi<'Line'> | ISeriesApi<'Histogram'>>;
}

/** What the debug hook shows of one indicator: every drawn point of each line (UTC ms), with its colour when the point has its own. */
export type IndicatorDebug = Record<string, { time: number; value: number; color?: string }[]>;

/**
 * The indicators drawn on one chart: overlays on the price pane, oscillators
 * one pane each below it. Values follow the chart's bars: `reset` recomputes
 * all (a load, a reload, a page of older history), `update` only the bar that
 * changed (IncrementalSeries); an update of an older bar falls back to a reset.
 */
export class IndicatorLayer {
  private drawn: Drawn[] = [];
  private timeline: DisplayTimeline | undefined;

  constructor(
    private readonly chart: IChartApi,
    private readonly context: IndicatorContext,
    private readonly bars: () => readonly Candle[],
  ) {}

  /** Shows exactly `ids` (in the catalog's order), computed over the current bars. */
  setEnabled(ids: readonly IndicatorId[], timeline: DisplayTimeline | undefined): void {
    for (const d of this.drawn) for (const s of d.series.values()) this.chart.removeSeries(s);
    this.drawn = [];
    let pane = 0;
    for (const id of ids) {
      const spec = indicatorSpec(id);
      const paneIndex = spec.pane === 'price' ? 0 : ++pane;
      const series = new Map<LineSpec, ISeriesApi<'Line'> | ISeriesApi<'Histogram'>>();
      for (const line of spec.lines) {
        const common = { color: line.color, priceLineVisible: false, lastValueVisible: spec.pane !== 'price', title: '' };
        series.set(
          line,
          line.style === 'histogram'
            ? this.chart.addSeries(HistogramSeries, common, paneIndex)
            : this.chart.addSeries(LineSeries, { ...common, lineWidth: 1, crosshairMarkerVisible: false }, paneIndex),
        );
      }
      this.drawn.push({ spec, values: new IncrementalSeries(spec.make(this.context)), series });
    }
    // Panes left without series (an oscillator turned off) go away.
    const panes = this.chart.panes();
    for (let i = panes.length - 1; i > pane; i--) this.chart.removePane(i);
    for (let i = 1; i <= pane; i++) this.chart.panes()[i]?.setHeight(PANE_HEIGHT);
    if (timeline !== undefined) this.reset(timeline);
  }

  reset(timeline: DisplayTimeline): void {
    this.timeline = timeline;
    const bars = this.bars();
    for (const d of this.drawn) {
      const values = d.values.reset(bars);
      for (const [line, series] of d.series) {
        const points: Point[] = bars.map((bar, i) => point(bar, values[i] ?? null, values[i - 1] ?? null, line, timeline));
        series.setData(points);
      }
    }
  }

  update(bar: Candle, timeline: DisplayTimeline): void {
    for (const d of this.drawn) {
      const result = d.values.update(bar);
      if (result === null) {
        this.reset(timeline);
        return;
      }
      const previous = d.values.values[d.values.values.length - 2] ?? null;
      for (const [line, series] of d.series) series.update(point(bar, result.value, previous, line, timeline));
    }
  }

  debug(): Record<string, IndicatorDebug> {
    const t = this.timeline;
    const out: Record<string, IndicatorDebug> = {};
    if (t === undefined) return out;
    for (const d of this.drawn) {
      const lines: IndicatorDebug = {};
      for (const [line, series] of d.series) {
        lines[line.key] = series
          .data()
          .filter((p): p is LineData<Time> | HistogramData<Time> => 'value' in p)
          .map((p) => ({ time: t.toUtc(p.time as number), value: p.value, ...(p.color === undefined ? {} : { color: p.color }) }));
      }
      out[d.spec.id] = lines;
    }
    return out;
  }
}

type Point = LineData<UTCTimestamp> | HistogramData<UTCTimestamp> | WhitespaceData<UTCTimestamp>;

/** One line's point at `bar`; a shaded histogram's bar takes its colour from the bar before (`previous`). */
function point(bar: Candle, lines: Lines | null, previous: Lines | null, line: LineSpec, timeline: DisplayTimeline): Point {
  const time = timeline.toDisplay(bar.time) as UTCTimestamp;
  const value = lines?.[line.key];
  if (value === null || value === undefined) return { time };
  if (line.shades === undefined) return { time, value };
  return { time, value, color: histogramShade(value, previous?.[line.key], line.shades) };
}
