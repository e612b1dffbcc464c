import type { FeedStatus } from '@tickfeed/protocol';

/*
 * What the status bar's delay figure means. Tick frames carry no send time, so
 * the delay is measured against the clock the tick times come from: the wall
 * clock for a live feed (the publisher stamps ticks as it sends them), the
 * replay clock for a replay (its ticks carry the recorded time, e.g. 2012).
 * In a replay the figure is the tick's age on the replay clock, extrapolated
 * between statuses, converted to wall milliseconds, and labelled as such.
 */

export type DelayBasis = 'wall' | 'replay';

export interface ReplayClockRef {
  readonly status: FeedStatus;
  /** Wall time the status arrived, ms. */
  readonly receivedAt: number;
}

/** The replay clock at wall time `now`, or null when the feed is not a running replay with a clock. */
export function replayClockAt(ref: ReplayClockRef | null, now: number): number | null {
  if (ref === null || ref.status.mode !== 'replay' || ref.status.clock === null) return null;
  const speed = typeof ref.status.speed === 'number' ? ref.status.speed : 0;
  const elapsed = ref.status.state === 'playing' ? Math.max(0, now - ref.receivedAt) * speed : 0;
  return ref.status.clock + elapsed;
}

export function delayBasis(ref: ReplayClockRef | null): DelayBasis {
  return ref !== null && ref.status.mode === 'replay' ? 'replay' : 'wall';
}

/**
 * Delay of a tick stamped `ts` seen at wall time `now`, in wall ms; null when
 * it cannot be measured honestly (a replay at 'max' speed or without a clock).
 */
export function deliveryDelay(ref: ReplayClockRef | null, now: number, ts: number): number | null {
  if (delayBasis(ref) === 'wall') return now - ts;
  const clock = replayClockAt(ref, now);
  const speed = ref!.status.speed;
  if (clock === null || typeof speed !== 'number' || !(speed > 0)) return null;
  return (clock - ts) / speed;
}
