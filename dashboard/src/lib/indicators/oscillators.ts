import { EMA_START, emaNext, type EmaState } from './moving-average.js';
import type { IndicatorStep } from './step.js';

export interface RsiState {
  readonly prev: number | null;
  readonly count: number;
  readonly gain: number;
  readonly loss: number;
}

/**
 * Wilder's RSI of closes: the first average gain and loss are plain means of
 * the first `period` changes, then each is smoothed as (avg × (period − 1) + x) / period.
 * 100 when there was no loss, 0 when there was no gain, 50 when neither.
 */
export function rsi(period: number): IndicatorStep<RsiState, number> {
  return {
    init: () => ({ prev: null, count: 0, gain: 0, loss: 0 }),
    step: (state, bar) => {
      if (state.prev === null) return [{ ...state, prev: bar.close }, null];
      const change = bar.close - state.prev;
      const up = Math.max(change, 0);
      const down = Math.max(-change, 0);
      const count = state.count + 1;
      let gain: number;
      let loss: number;
      if (count <= period) {
        // Sums while warming up; averaged at the period-th change.
        gain = state.gain + up;
        loss = state.loss + down;
        if (count === period) {
          gain /= period;
          loss /= period;
        }
      } else {
        gain = (state.gain * (period - 1) + up) / period;
        loss = (state.loss * (period - 1) + down) / period;
      }
      const next = { prev: bar.close, count, gain, loss };
      return [next, count < period ? null : rsiOf(gain, loss)];
    },
  };
}

export function rsiOf(gain: number, loss: number): number {
  if (loss === 0) return gain === 0 ? 50 : 100;
  return 100 - 100 / (1 + gain / loss);
}

export interface MacdState {
  readonly fast: EmaState;
  readonly slow: EmaState;
  readonly signal: EmaState;
}

export interface MacdValue {
  readonly macd: number;
  readonly signal: number | null;
  readonly histogram: number | null;
}

/** MACD: EMA(fast) − EMA(slow) of closes, its EMA(signal), and their difference (histogram). */
export function macd(fastPeriod: number, slowPeriod: number, signalPeriod: number): IndicatorStep<MacdState, MacdValue> {
  return {
    init: () => ({ fast: EMA_START, slow: EMA_START, signal: EMA_START }),
    step: (state, bar) => {
      const fast = emaNext(state.fast, bar.close, fastPeriod);
      const slow = emaNext(state.slow, bar.close, slowPeriod);
      if (fast.ema === null || slow.ema === null) return [{ fast, slow, signal: state.signal }, null];
      const line = fast.ema - slow.ema;
      const signal = emaNext(state.signal, line, signalPeriod);
      return [{ fast, slow, signal }, { macd: line, signal: signal.ema, histogram: signal.ema === null ? null : line - signal.ema }];
    },
  };
}
