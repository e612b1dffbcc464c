import type { IndicatorStep } from './step.js';

/** The last `period` closes (oldest first); a fresh array per step, so states stay immutable. */
export interface WindowState {
  readonly closes: readonly number[];
}

export function pushWindow(closes: readonly number[], value: number, period: number): number[] {
  const next = closes.length >= period ? closes.slice(closes.length - period + 1) : closes.slice();
  next.push(value);
  return next;
}

export function mean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Simple moving average of closes; the window is summed afresh each bar (no drift from running sums). */
export function sma(period: number): IndicatorStep<WindowState, number> {
  return {
    init: () => ({ closes: [] }),
    step: (state, bar) => {
      const closes = pushWindow(state.closes, bar.close, period);
      return [{ closes }, closes.length === period ? mean(closes) : null];
    },
  };
}

export interface EmaState {
  readonly count: number;
  readonly sum: number;
  readonly ema: number | null;
}

export const EMA_START: EmaState = { count: 0, sum: 0, ema: null };

/** One EMA step over any value: seeded with the simple average of the first `period` values, then α = 2 / (period + 1). */
export function emaNext(state: EmaState, value: number, period: number): EmaState {
  if (state.ema === null) {
    const count = state.count + 1;
    const sum = state.sum + value;
    return { count, sum, ema: count === period ? sum / period : null };
  }
  const alpha = 2 / (period + 1);
  return { count: state.count + 1, sum: state.sum, ema: state.ema + alpha * (value - state.ema) };
}

/** Exponential moving average of closes. */
export function ema(period: number): IndicatorStep<EmaState, number> {
  return {
    init: () => EMA_START,
    step: (state, bar) => {
      const next = emaNext(state, bar.close, period);
      return [next, next.ema];
    },
  };
}
