import { createEffect, createSignal, on, onCleanup, onMount, Show } from 'solid-js';
import {
  CandlestickSeries,
  ColorType,
  CrosshairMode,
  HistogramSeries,
  createChart,
  type CandlestickData,
  type HistogramData,
  type ISeriesApi,
  type MouseEventParams,
  type Time,
  type UTCTimestamp,
} from 'lightweight-charts';
import type { Candle } from '@tickfeed/protocol';
import { ChartController, type ChartDebug, type ChartSink } from '../feed/chart-controller.js';
import type { SymbolFeed } from '../feed/symbol-feed.js';
import { formatPrice, formatVolume } from '../lib/format.js';
import type { ChartInterval } from '../lib/prefs.js';
import { formatInZone, tickMarkLabel, type DisplayTimeline, type ZoneChoice } from '../lib/time-zone.js';

export interface PriceChartProps {
  feed: SymbolFeed;
  symbol: string;
  interval: ChartInterval;
  zone: ZoneChoice;
  decimals: number;
  tickSize: number;
  /** Hands the chart's debug view to the page (window.__tickfeed). */
  onDebug?: (debug: (() => (ChartDebug & { series: Candle[] }) | null) | null) => void;
  onError?: (error: unknown) => void;
}

const UP = '#26a69a';
const DOWN = '#ef5350';

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
  const legendStyle = () => (props.interval === '1s' || props.interval === '5s' ? 'short' : 'shortMinutes');

  onMount(() => {
    const el = host!;
    let timeline: DisplayTimeline | undefined;
    const chart = createChart(el, {
      autoSize: true,
      layout: {
        background: { type: ColorType.Solid, color: '#11151d' },
        textColor: '#8b94a5',
        fontSize: 11,
      },
      grid: { vertLines: { color: '#171c26' }, horzLines: { color: '#171c26' } },
      rightPriceScale: { borderColor: '#1d2330' },
      timeScale: {
        borderColor: '#1d2330',
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
    const candles: ISeriesApi<'Candlestick'> = chart.addSeries(CandlestickSeries, {
      upColor: UP,
      downColor: DOWN,
      borderVisible: false,
      wickUpColor: UP,
      wickDownColor: DOWN,
    });
    const volume: ISeriesApi<'Histogram'> = chart.addSeries(HistogramSeries, {
      priceScaleId: 'volume',
      priceFormat: { type: 'volume' },
      lastValueVisible: false,
      priceLineVisible: false,
    });
    chart.priceScale('volume').applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
    candles.priceScale().applyOptions({ scaleMargins: { top: 0.08, bottom: 0.24 } });

    const toBar = (c: Candle, t: DisplayTimeline): CandlestickData<UTCTimestamp> => ({
      time: t.toDisplay(c.time) as UTCTimestamp,
      open: c.open,
      high: c.high,
      low: c.low,
      close: c.close,
    });
    const toVolume = (c: Candle, t: DisplayTimeline): HistogramData<UTCTimestamp> => ({
      time: t.toDisplay(c.time) as UTCTimestamp,
      value: c.volume,
      color: c.close >= c.open ? 'rgba(38,166,154,0.45)' : 'rgba(239,83,80,0.45)',
    });
    let lastDrawn = Number.NEGATIVE_INFINITY;

    const sink: ChartSink = {
      setData(list, t) {
        timeline = t;
        const bars = list.map((c) => toBar(c, t));
        candles.setData(bars);
        volume.setData(list.map((c) => toVolume(c, t)));
        lastDrawn = list.length > 0 ? list[list.length - 1]!.time : Number.NEGATIVE_INFINITY;
        setLoading(list.length === 0 && !controller.debug()?.live);
        showLegend(list[list.length - 1]);
      },
      update(c, t) {
        // Bars older than the newest one drawn need the slower historical update.
        const historical = c.time < lastDrawn;
        candles.update(toBar(c, t), historical);
        volume.update(toVolume(c, t), historical);
        if (c.time > lastDrawn) lastDrawn = c.time;
        if (!crosshairActive) showLegend(c);
      },
    };
    const controller = new ChartController(props.feed, sink, props.onError);

    let crosshairActive = false;
    const showLegend = (c: Candle | undefined) => {
      if (c === undefined || timeline === undefined) {
        setLegend(null);
        return;
      }
      setLegend({ open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume, time: formatInZone(c.time, timeline.timeZone, legendStyle()) });
    };
    chart.subscribeCrosshairMove((param: MouseEventParams<Time>) => {
      const bar = param.seriesData.get(candles) as CandlestickData<Time> | undefined;
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
      on([() => props.symbol, () => props.interval, () => props.zone], ([symbol, interval, zone]) => {
        setLoading(true);
        chart.applyOptions({ timeScale: { secondsVisible: interval === '1s' || interval === '5s' } });
        controller.show(symbol, interval, zone);
      }),
    );
    createEffect(() => {
      candles.applyOptions({ priceFormat: { type: 'price', precision: props.decimals, minMove: props.tickSize } });
    });

    props.onDebug?.(() => {
      const debug = controller.debug();
      if (debug === null || timeline === undefined) return null;
      const t = timeline;
      const volumes = new Map(volume.data().map((v) => [v.time, (v as HistogramData<Time>).value]));
      const series = candles.data().map((bar) => {
        const b = bar as CandlestickData<Time>;
        const time = t.toUtc(b.time as number);
        return { time, open: b.open, high: b.high, low: b.low, close: b.close, volume: volumes.get(b.time) ?? 0 };
      });
      return { ...debug, series };
    });

    onCleanup(() => {
      props.onDebug?.(null);
      controller.dispose();
      chart.remove();
    });
  });

  return (
    <div class="chart-wrap">
      <div class="chart-host" ref={host} data-testid="chart" />
      <Show when={legend()}>
        {(l) => (
          <div class="legend" data-testid="legend">
            <span>{l().time}</span>
            <span>
              O <b>{formatPrice(l().open, props.decimals)}</b>
            </span>
            <span>
              H <b>{formatPrice(l().high, props.decimals)}</b>
            </span>
            <span>
              L <b>{formatPrice(l().low, props.decimals)}</b>
            </span>
            <span>
              C <b class={l().close >= l().open ? 'up' : 'down'}>{formatPrice(l().close, props.decimals)}</b>
            </span>
            <span>
              V <b>{formatVolume(l().volume)}</b>
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
