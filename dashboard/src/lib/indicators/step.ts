import type { Candle } from '@tickfeed/protocol';

/**
 * One indicator as a pure step: the state after a bar and the indicator's
 * value at that bar (null while it warms up). A step never mutates the state
 * it is given, so the value of the bar still forming can be computed again
 * and again from the state before it (see IncrementalSeries).
 */
export interface IndicatorStep<S, V> {
  readonly init: () => S;
  readonly step: (state: S, bar: Candle) => readonly [S, V | null];
}

/** Runs a step over every bar: the full computation, for a (re)load or a page of older history. */
export function computeAll<S, V>(indicator: IndicatorStep<S, V>, bars: readonly Candle[]): (V | null)[] {
  let state = indicator.init();
  const out: (V | null)[] = [];
  for (const bar of bars) {
    const [next, value] = indicator.step(state, bar);
    state = next;
    out.push(value);
  }
  return out;
}

/**
 * An indicator kept in step with a chart's candles: `reset` computes every bar
 * (load, reload, older history put in front); `update` recomputes only the bar
 * that changed when it is the last one or a new one, from the state committed
 * before it. An update of an older bar cannot be done incrementally: it answers
 * null and the caller resets.
 */
export class IncrementalSeries<S, V> {
  private committed: S;
  private last: Candle | undefined;
  values: (V | null)[] = [];

  constructor(private readonly indicator: IndicatorStep<S, V>) {
    this.committed = indicator.init();
  }

  reset(bars: readonly Candle[]): (V | null)[] {
    let state = this.indicator.init();
    const values: (V | null)[] = [];
    for (let i = 0; i < bars.length; i++) {
      const [next, value] = this.indicator.step(state, bars[i]!);
      values.push(value);
      // The state before the last bar stays, so the last bar can be recomputed as it changes.
      if (i < bars.length - 1) state = next;
    }
    this.committed = state;
    this.last = bars.length > 0 ? { ...bars[bars.length - 1]! } : undefined;
    this.values = values;
    return values;
  }

  /** The value of `bar` (the last bar changed, or a new bar after it); null when a reset is needed. */
  update(bar: Candle): { value: V | null } | null {
    const last = this.last;
    if (last !== undefined && bar.time < last.time) return null;
    if (last !== undefined && bar.time > last.time) {
      // The previous last bar is final now: fold it into the committed state.
      this.committed = this.indicator.step(this.committed, last)[0];
      this.values.push(null);
    } else if (last === undefined) {
      this.values.push(null);
    }
    const [, value] = this.indicator.step(this.committed, bar);
    this.values[this.values.length - 1] = value;
    this.last = { ...bar };
    return { value };
  }
}
