import { ErrorCode, errorReply, type ErrorReply, type FeedControl, type ReplaySpeed } from '@tickfeed/protocol';

export type TransportStateName = 'playing' | 'paused' | 'ended';

/** Where a replay stands, apart from its clock. */
export interface TransportState {
  state: TransportStateName;
  speed: ReplaySpeed;
  loop: boolean;
  /** Times the tape reached its end (looped or ended). */
  completions: number;
}

export type TransportEffect =
  | { kind: 'none' }
  | { kind: 'pause' }
  | { kind: 'resume' }
  | { kind: 'speed'; speed: ReplaySpeed }
  | { kind: 'seek'; to: number };

export type ControlDecision = { ok: true; next: TransportState; effect: TransportEffect } | ErrorReply;

/** Largest numeric speed, as in the protocol's ReplaySpeed schema. */
export const MAX_NUMERIC_SPEED = 1_000_000;

export function isReplaySpeed(value: unknown): value is ReplaySpeed {
  return value === 'max' || (typeof value === 'number' && Number.isFinite(value) && value > 0 && value <= MAX_NUMERIC_SPEED);
}

/**
 * The transport state machine of a replay, pure:
 *
 *   playing --pause--> paused --resume--> playing
 *   playing|paused --(end of tape, no loop)--> ended
 *   any --seek(to)--> same state (ended: playing), position = clamp(to, first, last)
 *   any --speed(s)--> same state, speed s
 *
 * pause and resume are idempotent; pause or resume of an ended replay is an
 * error (seek to play again). The command is validated here too, since it
 * may come from a terminal key as well as from the server.
 */
export function decideControl(current: TransportState, command: FeedControl, range: { firstTs: number; lastTs: number }): ControlDecision {
  const c = command as { action?: unknown; speed?: unknown; to?: unknown };
  switch (c.action) {
    case 'pause':
      if (current.state === 'ended') return errorReply(ErrorCode.BAD_REQUEST, 'the replay has ended; seek to play it again');
      if (current.state === 'paused') return { ok: true, next: current, effect: { kind: 'none' } };
      return { ok: true, next: { ...current, state: 'paused' }, effect: { kind: 'pause' } };
    case 'resume':
      if (current.state === 'ended') return errorReply(ErrorCode.BAD_REQUEST, 'the replay has ended; seek to play it again');
      if (current.state === 'playing') return { ok: true, next: current, effect: { kind: 'none' } };
      return { ok: true, next: { ...current, state: 'playing' }, effect: { kind: 'resume' } };
    case 'speed':
      if (!isReplaySpeed(c.speed)) return errorReply(ErrorCode.BAD_REQUEST, `speed must be a number in (0, ${MAX_NUMERIC_SPEED}] or 'max'`);
      return { ok: true, next: { ...current, speed: c.speed }, effect: { kind: 'speed', speed: c.speed } };
    case 'seek': {
      if (typeof c.to !== 'number' || !Number.isFinite(c.to)) return errorReply(ErrorCode.BAD_REQUEST, 'seek needs `to`: a recorded time in epoch ms');
      const to = Math.min(Math.max(c.to, range.firstTs), range.lastTs);
      const state = current.state === 'ended' ? 'playing' : current.state;
      return { ok: true, next: { ...current, state }, effect: { kind: 'seek', to } };
    }
    default:
      return errorReply(ErrorCode.BAD_REQUEST, 'action must be one of pause, resume, speed, seek');
  }
}

/** Speeds the + and - keys step through. */
export const SPEED_STEPS: readonly ReplaySpeed[] = [0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1_000, 'max'];

/** The next speed up (+1) or down (-1) the ladder from any speed. */
export function stepSpeed(current: ReplaySpeed, direction: 1 | -1): ReplaySpeed {
  const value = (s: ReplaySpeed) => (s === 'max' ? Infinity : s);
  const v = value(current);
  if (direction > 0) return SPEED_STEPS.find((s) => value(s) > v) ?? 'max';
  for (let i = SPEED_STEPS.length - 1; i >= 0; i--) if (value(SPEED_STEPS[i]!) < v) return SPEED_STEPS[i]!;
  return SPEED_STEPS[0]!;
}
