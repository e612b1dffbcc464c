import type { Tick } from '@tickfeed/protocol';

/**
 * Joins history loaded over REST (which covers ticks up to `historySeq`) to
 * live ticks buffered while it loaded: the live ticks to apply are exactly
 * those with seq > historySeq. When the first of them is not historySeq + 1,
 * REST answered from an older state than the stream had reached, and the
 * ticks in between must be fetched (`missing`) before the rest is applied.
 */
export interface StitchPlan {
  readonly apply: Tick[];
  readonly missing: { readonly after: number; readonly upTo: number } | null;
}

export function planStitch(historySeq: number, buffered: readonly Tick[]): StitchPlan {
  const apply = buffered.filter((tick) => tick.seq > historySeq);
  const first = apply[0];
  if (first !== undefined && first.seq > historySeq + 1) {
    return { apply, missing: { after: historySeq, upTo: first.seq - 1 } };
  }
  return { apply, missing: null };
}

/** Appends `fill` (fetched over REST) in front of `apply`, keeping seq contiguous and unique. */
export function mergeFill(historySeq: number, fill: readonly Tick[], apply: readonly Tick[]): Tick[] | null {
  const out: Tick[] = [];
  let expected = historySeq + 1;
  for (const tick of [...fill, ...apply]) {
    if (tick.seq < expected) continue;
    if (tick.seq > expected) return null;
    out.push(tick);
    expected++;
  }
  return out;
}
