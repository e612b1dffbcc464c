import { createEffect, createSignal, on, onCleanup, onMount, Show } from 'solid-js';
import {
  AreaSeries,
  CandlestickSeries,
  LineSeries,
  PriceScaleMode,
  ColorType,
  CrosshairMode,
  HistogramSeries,
  createChart,
  type CandlestickData,
  type HistogramData,
  type IPriceLine,
  type ISeriesApi,
  LineStyle,
  type LineData,
  type LogicalRange,
  type MouseEventParams,
  type Time,
  type UTCTimestamp,
} from 'lightweight-charts';
import type { Candle, SessionKind } from '@tickfeed/protocol';
import { ChartController, type ChartDebug, type ChartSink } from '../feed/chart-controller.js';
import type { SymbolFeed } from '../feed/symbol-feed.js';
import { formatPriceIn, formatSize, type DisplayFormat } from '../lib/format.js';
import type { IndicatorId } from '../lib/indicators/catalog.js';
import { daySession } from '../lib/indicators/vwap.js';
import type { ChartType, PriceScaleChoice } from '../lib/chart-prefs.js';
import type { ChartInterval } from '../lib/prefs.js';
import type { ChartPalette } from '../lib/theme.js';
import type { PriceAlert } from '../lib/alerts.js';
import { IndicatorLayer, type IndicatorDebug } from './indicator-layer.js';
import { zoneOffsetMs, formatInZone, tickMarkLabel, type DisplayTimeline, type ZoneSpec } from '../lib/time-zone.js';

export interface PriceChartProps {
  feed: SymbolFeed;
  symbol: string;
  interval: ChartInterval;
  zone: ZoneSpec;
  format: DisplayFormat;
  tickSize: number;
  /** The exchange's zone: session VWAP starts again at each of its days. */
  sessionZone: string;
  indicators: readonly IndicatorId[];
  chartType: ChartType;
  scale: PriceScaleChoice;
  palette: ChartPalette;
  /** This symbol's price alerts, drawn as price lines (fired ones dashed). */
  alerts: readonly PriceAlert[];
  /** The symbol's market session (its `1d` candles, P33). */
  session: SessionKind;
  /** The feed is down: the chart is marked as paused. */
  disconnected: boolean;
  /** Hands the chart's debug view to the page (window.__tickfeed). */
  onDebug?: (debug: (() => (ChartDebug & ChartViewDebug) | null) | null) => void;
  onError?: (error: unknown) => void;
}

/** What the page's debug hook adds to the controller's view: the bars drawn and the viewport. */
export interface ChartViewDebug {
  series: Candle[];
  visible: { from: number; to: number } | null;
  /** The price axis' label for the last close (its formatter). */
  axisLabel: string;
  chartType: ChartType;
  scale: PriceScaleChoice;
  /** Per indicator, per line, the points drawn (UTC ms). */
  indicators: Record<string, IndicatorDebug>;
  /** Panes shown (1 + one per oscillator). */
  panes: number;
  /** The alert price lines drawn. */
  alertLines: { price: number; title: string }[];
}

/** Bars shown after a load: the last INITIAL_BARS, never fewer slots than MIN_SLOTS (a fresh feed's few bars stay readable). */
const INITIAL_BARS = 120;
const MIN_SLOTS = 40;
const RIGHT_SLOTS = 4;
/** Older history is requested when fewer than this many bars are left to the left of the view. */
const PAGE_AHEAD_BARS = 60;

type MainSeries = ISeriesApi<'Candlestick'> | ISeriesApi<'Line'> | ISeriesApi<'Area'>;

interface Legend {
  time: string;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/** Candlesticks + volume for one symbol and interval; lightweight-charts owns the canvas, the controller the data. */
export default function PriceChart(props: PriceChartProps) {
  let host: HTMLDivElement | undefined;
  const [legend, setLegend] = createSignal<Legend | null>(null);
  const [loading, setLoading] = createSignal(true);
  const [atStart, setAtStart] = createSignal(false);
  const [scrolledBack, setScrolledBack] = createSignal(false);
  let backToNow: () => void = () => {};
  const legendStyle = () => (props.interval === '1s' || props.interval === '5s' ? 'short' : 'shortMinutes');

  onMount(() => {
    const el = host!;
    let timeline: DisplayTimeline | undefined;
    const chart = createChart(el, {
      autoSize: true,
      layout: { fontSize: 11, panes: { separatorColor: props.palette.border } },
      timeScale: {
        timeVisible: true,
        secondsVisible: false,
        rightOffset: 4,
        tickMarkFormatter: (time: Time, type: number) =>
          timeline === undefined ? null : tickMarkLabel(timeline, time as number, type),
      },
      crosshair: { mode: CrosshairMode.Normal },
      localization: {
        timeFormatter: (time: Time) =>
          timeline === undefined ? '' : formatInZone(timeline.toUtc(time as number), timeline.timeZone, 'full'),
      },
    });
    let chartType: ChartType = props.chartType;
    const makeMain = (type: ChartType): MainSeries => {
      const p = props.palette;
      if (type === 'line') return chart.addSeries(LineSeries, { color: p.accent, lineWidth: 2 }, 0);
      if (type === 'area') return chart.addSeries(AreaSeries, { lineColor: p.accent, topColor: p.areaTop, bottomColor: p.areaBottom, lineWidth: 2 }, 0);
      return chart.addSeries(CandlestickSeries, { upColor: p.up, downColor: p.down, borderVisible: false, wickUpColor: p.up, wickDownColor: p.down }, 0);
    };
    let candles: MainSeries = makeMain(chartType);
    const volume: ISeriesApi<'Histogram'> = chart.addSeries(HistogramSeries, {
      priceScaleId: 'volume',
      priceFormat: { type: 'custom', formatter: (v: number) => formatSize(v, props.format.size) },
      lastValueVisible: false,
      priceLineVisible: false,
    });
    chart.priceScale('volume').applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
    candles.priceScale().applyOptions({ scaleMargins: { top: 0.08, bottom: 0.24 } });

    const toBar = (c: Candle, t: DisplayTimeline): CandlestickData<UTCTimestamp> | LineData<UTCTimestamp> =>
      chartType === 'candles'
        ? { time: t.toDisplay(c.time) as UTCTimestamp, open: c.open, high: c.high, low: c.low, close: c.close }
        : { time: t.toDisplay(c.time) as UTCTimestamp, value: c.close };
    const toVolume = (c: Candle, t: DisplayTimeline): HistogramData<UTCTimestamp> => ({
      time: t.toDisplay(c.time) as UTCTimestamp,
      value: c.volume,
      color: c.close >= c.open ? props.palette.upVolume : props.palette.downVolume,
    });
    let lastDrawn = Number.NEGATIVE_INFINITY;

    const sink: ChartSink = {
      setData(list, t, cause) {
        timeline = t;
        const bars = list.map((c) => toBar(c, t));
        candles.setData(bars);
        volume.setData(list.map((c) => toVolume(c, t)));
        layer.reset(t);
        // Older history keeps the view where it is (the library holds it from the right edge);
        // a load shows the latest bars at a readable width.
        if (cause !== 'older' && list.length > 0) {
          const n = list.length;
          const slots = Math.max(MIN_SLOTS, Math.min(n, INITIAL_BARS));
          chart.timeScale().setVisibleLogicalRange({ from: n - slots, to: n - 1 + RIGHT_SLOTS });
        }
        updateViewState(chart.timeScale().getVisibleLogicalRange());
        // After the controller marks the load drawn: a short history asks for older pages at once.
        queueMicrotask(() => maybeLoadOlder(chart.timeScale().getVisibleLogicalRange()));
        lastDrawn = list.length > 0 ? list[list.length - 1]!.time : Number.NEGATIVE_INFINITY;
        setLoading(list.length === 0 && !controller.debug()?.live);
        showLegend(list[list.length - 1]);
      },
      update(c, t) {
        // Bars older than the newest one drawn need the slower historical update.
        const historical = c.time < lastDrawn;
        candles.update(toBar(c, t), historical);
        volume.update(toVolume(c, t), historical);
        layer.update(c, t);
        if (c.time > lastDrawn) lastDrawn = c.time;
        if (!crosshairActive) showLegend(c);
      },
    };
    const controller = new ChartController(props.feed, sink, props.onError);
    const layer = new IndicatorLayer(chart, { sessionOf: daySession((t) => zoneOffsetMs(t, props.sessionZone)) }, () => controller.bars());

    // History pages in as the user scrolls left; the start of history is shown once the server has no more.
    const updateViewState = (range: LogicalRange | null) => {
      const count = candles.data().length;
      setAtStart(controller.atHistoryStart && range !== null && range.from <= 0);
      setScrolledBack(range !== null && count > 0 && range.to < count - 1);
    };
    const maybeLoadOlder = (range: LogicalRange | null) => {
      if (range === null || range.from > PAGE_AHEAD_BARS || controller.atHistoryStart) return;
      void controller.loadOlder().then(() => updateViewState(chart.timeScale().getVisibleLogicalRange()));
    };
    chart.timeScale().subscribeVisibleLogicalRangeChange((range) => {
      updateViewState(range);
      maybeLoadOlder(range);
    });
    // Keeps the zoom and puts the latest bar back at the right edge, at once (no scroll animation).
    backToNow = () => {
      const range = chart.timeScale().getVisibleLogicalRange();
      const n = candles.data().length;
      if (range === null || n === 0) return;
      const width = range.to - range.from;
      chart.timeScale().setVisibleLogicalRange({ from: n - 1 + RIGHT_SLOTS - width, to: n - 1 + RIGHT_SLOTS });
    };

    let crosshairActive = false;
    const showLegend = (c: Candle | undefined) => {
      if (c === undefined || timeline === undefined) {
        setLegend(null);
        return;
      }
      setLegend({ open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume, time: formatInZone(c.time, timeline.timeZone, legendStyle()) });
    };
    const candleAt = (utc: number): Candle | undefined => {
      const bars = controller.bars();
      let lo = 0;
      let hi = bars.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const t = bars[mid]!.time;
        if (t === utc) return bars[mid];
        if (t < utc) lo = mid + 1;
        else hi = mid - 1;
      }
      return undefined;
    };
    chart.subscribeCrosshairMove((param: MouseEventParams<Time>) => {
      const bar = param.time === undefined || timeline === undefined ? undefined : candleAt(timeline.toUtc(param.time as number));
      if (param.time === undefined || bar === undefined || timeline === undefined) {
        crosshairActive = false;
        showLegend(controller.lastCandle());
        return;
      }
      crosshairActive = true;
      const vol = param.seriesData.get(volume) as HistogramData<Time> | undefined;
      setLegend({
        time: formatInZone(timeline.toUtc(param.time as number), timeline.timeZone, legendStyle()),
        open: bar.open,
        high: bar.high,
        low: bar.low,
        close: bar.close,
        volume: vol?.value ?? 0,
      });
    });

    createEffect(
      // Only 1d candles follow the session: intraday charts do not reload when the metadata arrives.
      on([() => props.symbol, () => props.interval, () => props.zone, () => (props.interval === '1d' ? props.session : 'utc-day')], ([symbol, interval, zone, session]) => {
        setLoading(true);
        chart.applyOptions({ timeScale: { secondsVisible: interval === '1s' || interval === '5s' } });
        controller.show(symbol, interval, zone, session);
      }),
    );
    createEffect(
      on(
        () => props.indicators,
        (ids) => layer.setEnabled(ids, timeline),
      ),
    );
    createEffect(
      on(
        () => props.chartType,
        (type) => {
          if (type === chartType) return;
          chartType = type;
          chart.removeSeries(candles);
          alertLines = [];
          candles = makeMain(type);
          drawAlerts();
          candles.priceScale().applyOptions({ scaleMargins: { top: 0.08, bottom: 0.24 }, mode: scaleMode() });
          applyPriceFormat();
          if (timeline !== undefined) {
            const t = timeline;
            candles.setData(controller.bars().map((c) => toBar(c, t)));
          }
        },
        { defer: true },
      ),
    );
    let alertLines: IPriceLine[] = [];
    const drawAlerts = () => {
      for (const line of alertLines) candles.removePriceLine(line);
      alertLines = props.alerts.map((a) =>
        candles.createPriceLine({
          price: a.price,
          color: props.palette.accent,
          lineWidth: 1,
          lineStyle: a.fired ? LineStyle.Dotted : LineStyle.Dashed,
          axisLabelVisible: true,
          title: `alert ${a.side === 'above' ? '≥' : '≤'}`,
        }),
      );
    };
    createEffect(drawAlerts);
    const scaleMode = () => (props.scale === 'log' ? PriceScaleMode.Logarithmic : PriceScaleMode.Normal);
    createEffect(() => candles.priceScale().applyOptions({ mode: scaleMode() }));
    createEffect(() => {
      const p = props.palette;
      chart.applyOptions({
        layout: { background: { type: ColorType.Solid, color: p.background }, textColor: p.text, panes: { separatorColor: p.border } },
        grid: { vertLines: { color: p.grid }, horzLines: { color: p.grid } },
        rightPriceScale: { borderColor: p.border },
        timeScale: { borderColor: p.border },
      });
    });
    const applyPriceFormat = () => {
      const format = props.format;
      // Thousands separators on the axis, as in the watchlist; sub-penny decimals only where a price has them.
      candles.applyOptions({ priceFormat: { type: 'custom', minMove: props.tickSize, formatter: (p: number) => formatPriceIn(p, format) } });
    };
    createEffect(applyPriceFormat);

    props.onDebug?.(() => {
      const debug = controller.debug();
      if (debug === null || timeline === undefined) return null;
      const t = timeline;
      const volumes = new Map(volume.data().map((v) => [v.time, (v as HistogramData<Time>).value]));
      const series = candles.data().map((bar) => {
        const time = t.toUtc(bar.time as number);
        if ('open' in bar) {
          const b = bar as CandlestickData<Time>;
          return { time, open: b.open, high: b.high, low: b.low, close: b.close, volume: volumes.get(b.time) ?? 0 };
        }
        const v = (bar as LineData<Time>).value;
        return { time, open: v, high: v, low: v, close: v, volume: volumes.get(bar.time) ?? 0 };
      });
      const range = chart.timeScale().getVisibleLogicalRange();
      const last = series[series.length - 1];
      return {
        ...debug,
        series,
        visible: range === null ? null : { from: range.from, to: range.to },
        axisLabel: last === undefined ? '' : candles.priceFormatter().format(last.close),
        chartType,
        scale: candles.priceScale().options().mode === PriceScaleMode.Logarithmic ? 'log' : 'linear',
        indicators: layer.debug(),
        panes: chart.panes().length,
        alertLines: alertLines.map((line) => ({ price: line.options().price, title: line.options().title })),
      };
    });

    onCleanup(() => {
      props.onDebug?.(null);
      controller.dispose();
      chart.remove();
    });
  });

  return (
    <div class="chart-wrap" classList={{ paused: props.disconnected }}>
      <div class="chart-host" ref={host} data-testid="chart" />
      <Show when={atStart()}>
        <div class="history-start" data-testid="history-start">
          Start of history
        </div>
      </Show>
      <Show when={scrolledBack()}>
        <button class="back-to-now" data-testid="back-to-now" onClick={() => backToNow()}>
          Back to now ⇥
        </button>
      </Show>
      <Show when={props.disconnected}>
        <div class="chart-offline" data-testid="chart-offline">
          Disconnected: not updating
        </div>
      </Show>
      <Show when={legend()}>
        {(l) => (
          <div class="legend" data-testid="legend">
            <span>{l().time}</span>
            <span>
              O <b>{formatPriceIn(l().open, props.format)}</b>
            </span>
            <span>
              H <b>{formatPriceIn(l().high, props.format)}</b>
            </span>
            <span>
              L <b>{formatPriceIn(l().low, props.format)}</b>
            </span>
            <span>
              C <b class={l().close >= l().open ? 'up' : 'down'}>{formatPriceIn(l().close, props.format)}</b>
            </span>
            <span>
              V <b>{formatSize(l().volume, props.format.size)}</b>
            </span>
          </div>
        )}
      </Show>
      <Show when={loading() && legend() === null}>
        <div class="chart-loading">loading {props.symbol}…</div>
      </Show>
    </div>
  );
}
