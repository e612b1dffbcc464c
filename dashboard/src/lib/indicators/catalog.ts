import { bollinger } from './bollinger.js';
import { ema, sma } from './moving-average.js';
import { macd, rsi } from './oscillators.js';
import type { IndicatorStep } from './step.js';
import { vwap } from './vwap.js';

/** Indicators the chart offers: overlays on the price pane, oscillators in panes below. */
export const INDICATOR_IDS = ['sma', 'ema', 'vwap', 'bb', 'rsi', 'macd'] as const;
export type IndicatorId = (typeof INDICATOR_IDS)[number];

/** An indicator's values as named lines (a band or MACD draws several). */
export type Lines = Readonly<Record<string, number | null>>;

export interface LineSpec {
  readonly key: string;
  readonly color: string;
  readonly style: 'line' | 'histogram';
  /** A histogram's bars coloured by side of zero and direction (MACD), instead of `color`. */
  readonly shades?: HistogramShades;
}

/** Bar colours of a histogram above and below zero, as it grows or falls from the bar before. */
export interface HistogramShades {
  readonly growingAbove: string;
  readonly fallingAbove: string;
  readonly growingBelow: string;
  readonly fallingBelow: string;
}

/** The MACD histogram's usual four shades: strong as it moves away from zero, pale as it turns back. */
export const MACD_SHADES: HistogramShades = { growingAbove: '#26a69a', fallingAbove: '#b2dfdb', growingBelow: '#ffcdd2', fallingBelow: '#ff5252' };

/**
 * A histogram bar's colour: above zero strong while it rises and pale while it
 * falls, below zero pale while it rises and strong while it falls (a bar with
 * none before it counts as falling, as charting packages draw it).
 */
export function histogramShade(value: number, previous: number | null | undefined, shades: HistogramShades): string {
  const rising = previous !== null && previous !== undefined && previous < value;
  if (value >= 0) return rising ? shades.growingAbove : shades.fallingAbove;
  return rising ? shades.growingBelow : shades.fallingBelow;
}

export interface IndicatorSpec {
  readonly id: IndicatorId;
  /** Button and legend label, with its parameters. */
  readonly label: string;
  readonly pane: 'price' | 'below';
  readonly lines: readonly LineSpec[];
  readonly make: (context: IndicatorContext) => IndicatorStep<unknown, Lines>;
}

export interface IndicatorContext {
  /** The session a bar's UTC time belongs to (session VWAP). */
  readonly sessionOf: (utcMs: number) => number;
}

function lines<S, V>(indicator: IndicatorStep<S, V>, project: (value: V) => Lines): IndicatorStep<unknown, Lines> {
  return {
    init: indicator.init,
    step: (state, bar) => {
      const [next, value] = indicator.step(state as S, bar);
      return [next, value === null ? null : project(value)];
    },
  };
}

export const INDICATORS: readonly IndicatorSpec[] = [
  { id: 'sma', label: 'SMA 20', pane: 'price', lines: [{ key: 'value', color: '#f0b90b', style: 'line' }], make: () => lines(sma(20), (value) => ({ value })) },
  { id: 'ema', label: 'EMA 50', pane: 'price', lines: [{ key: 'value', color: '#a66bff', style: 'line' }], make: () => lines(ema(50), (value) => ({ value })) },
  {
    id: 'vwap',
    label: 'VWAP',
    pane: 'price',
    lines: [{ key: 'value', color: '#ff8f3f', style: 'line' }],
    make: (context) => lines(vwap(context.sessionOf), (value) => ({ value })),
  },
  {
    id: 'bb',
    label: 'BB 20 2',
    pane: 'price',
    lines: [
      { key: 'upper', color: '#4f9dde', style: 'line' },
      { key: 'middle', color: '#4f9dde80', style: 'line' },
      { key: 'lower', color: '#4f9dde', style: 'line' },
    ],
    make: () => lines(bollinger(20, 2), (b) => ({ upper: b.upper, middle: b.middle, lower: b.lower })),
  },
  { id: 'rsi', label: 'RSI 14', pane: 'below', lines: [{ key: 'value', color: '#c77dff', style: 'line' }], make: () => lines(rsi(14), (value) => ({ value })) },
  {
    id: 'macd',
    label: 'MACD 12 26 9',
    pane: 'below',
    lines: [
      { key: 'histogram', color: '#5d7a8c', style: 'histogram', shades: MACD_SHADES },
      { key: 'macd', color: '#4f9dde', style: 'line' },
      { key: 'signal', color: '#ff8f3f', style: 'line' },
    ],
    make: () => lines(macd(12, 26, 9), (m) => ({ macd: m.macd, signal: m.signal, histogram: m.histogram })),
  },
];

export function indicatorSpec(id: IndicatorId): IndicatorSpec {
  return INDICATORS.find((spec) => spec.id === id)!;
}

export function isIndicatorId(value: unknown): value is IndicatorId {
  return typeof value === 'string' && (INDICATOR_IDS as readonly string[]).includes(value);
}
