import { mean, pushWindow, type WindowState } from './moving-average.js';
import type { IndicatorStep } from './step.js';

export interface Bands {
  readonly middle: number;
  readonly upper: number;
  readonly lower: number;
}

/** Bollinger bands: SMA of closes ± k population standard deviations over the same window. */
export function bollinger(period: number, k: number): IndicatorStep<WindowState, Bands> {
  return {
    init: () => ({ closes: [] }),
    step: (state, bar) => {
      const closes = pushWindow(state.closes, bar.close, period);
      if (closes.length < period) return [{ closes }, null];
      const middle = mean(closes);
      let squares = 0;
      for (const c of closes) squares += (c - middle) ** 2;
      const sd = Math.sqrt(squares / period);
      return [{ closes }, { middle, upper: middle + k * sd, lower: middle - k * sd }];
    },
  };
}
