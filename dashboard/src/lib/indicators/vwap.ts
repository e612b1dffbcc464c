import type { IndicatorStep } from './step.js';

export interface VwapState {
  readonly session: number | null;
  readonly priceVolume: number;
  readonly volume: number;
}

/**
 * Session VWAP: Σ(typical price × volume) / Σ volume over the bars of the
 * current session, typical price (high + low + close) / 3 (candles carry no
 * per-trade prices). `sessionOf` maps a bar's UTC time to its session; a new
 * session starts the sums again. Null until the session has volume.
 */
export function vwap(sessionOf: (utcMs: number) => number): IndicatorStep<VwapState, number> {
  return {
    init: () => ({ session: null, priceVolume: 0, volume: 0 }),
    step: (state, bar) => {
      const session = sessionOf(bar.time);
      const base = session === state.session ? state : { session, priceVolume: 0, volume: 0 };
      const typical = (bar.high + bar.low + bar.close) / 3;
      const next = { session, priceVolume: base.priceVolume + typical * bar.volume, volume: base.volume + bar.volume };
      return [next, next.volume > 0 ? next.priceVolume / next.volume : null];
    },
  };
}

/** Sessions as calendar days in a time zone, given its UTC offset at an instant. */
export function daySession(offsetMs: (utcMs: number) => number): (utcMs: number) => number {
  return (utcMs) => Math.floor((utcMs + offsetMs(utcMs)) / 86_400_000);
}
