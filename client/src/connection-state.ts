import type { RandomSource } from '@tickfeed/protocol';
import { backoffDelay, type BackoffPolicy } from './backoff.js';

/**
 * The feed client's connection as an explicit state machine, pure: the driver
 * (FeedClient) feeds it events and performs what the new state asks for
 * (open a socket when `connecting`, arm a timer for `nextRetryAt` when
 * `reconnecting`, nothing when `connected` or `offline`).
 */
export type ConnectionState =
  /** A connection attempt is under way. `attempt` counts tries since the last good connection, from 1. */
  | { readonly kind: 'connecting'; readonly attempt: number; readonly since: number }
  /** Socket open and subscriptions (re)sent. */
  | { readonly kind: 'connected'; readonly since: number }
  /** Waiting to retry: `attempt` is the try that starts at `nextRetryAt` (epoch ms). */
  | {
      readonly kind: 'reconnecting';
      readonly attempt: number;
      readonly nextRetryAt: number;
      readonly reason: string;
      readonly since: number;
    }
  /** Not connected and not trying: never started, stopped, or gave up after maxAttempts. */
  | { readonly kind: 'offline'; readonly reason: string; readonly since: number };

export type ConnectionKind = ConnectionState['kind'];

export type ConnectionEvent =
  /** The owner asks to connect (start, or leave offline). */
  | { readonly type: 'start' }
  /** The socket opened. */
  | { readonly type: 'opened' }
  /** A connection attempt failed before opening. */
  | { readonly type: 'failed'; readonly reason: string }
  /** An open connection was lost. */
  | { readonly type: 'lost'; readonly reason: string }
  /**
   * The server announced it is going away: drop the connection and retry after
   * `delayMs` (0: at once), without counting it as a failure.
   */
  | { readonly type: 'shutdown'; readonly reason: string; readonly delayMs: number }
  /** The retry timer fired, or the owner asks to retry now. */
  | { readonly type: 'retry' }
  /** The owner stops the client. */
  | { readonly type: 'stop'; readonly reason: string };

export interface TransitionContext {
  readonly now: number;
  readonly random: RandomSource;
  readonly policy: BackoffPolicy;
}

export const INITIAL_CONNECTION_STATE: ConnectionState = Object.freeze({
  kind: 'offline',
  reason: 'not started',
  since: 0,
});

/**
 * Next state after `event`. Returns the same object when the event does not
 * apply in the current state (e.g. a late `failed` after `stop`), so the
 * driver can tell "nothing happened" by identity.
 */
export function transition(state: ConnectionState, event: ConnectionEvent, ctx: TransitionContext): ConnectionState {
  const { now } = ctx;
  switch (event.type) {
    case 'start':
      if (state.kind === 'offline') return { kind: 'connecting', attempt: 1, since: now };
      if (state.kind === 'reconnecting') return { kind: 'connecting', attempt: state.attempt, since: now };
      return state;
    case 'opened':
      if (state.kind === 'connecting') return { kind: 'connected', since: now };
      return state;
    case 'failed':
      if (state.kind !== 'connecting') return state;
      return retryOrGiveUp(state.attempt + 1, event.reason, ctx);
    case 'lost':
      if (state.kind !== 'connected' && state.kind !== 'connecting') return state;
      return retryOrGiveUp(state.kind === 'connecting' ? state.attempt + 1 : 1, event.reason, ctx);
    case 'shutdown':
      if (state.kind !== 'connected' && state.kind !== 'connecting') return state;
      if (event.delayMs <= 0) return { kind: 'connecting', attempt: 1, since: now };
      return { kind: 'reconnecting', attempt: 1, nextRetryAt: now + event.delayMs, reason: event.reason, since: now };
    case 'retry':
      if (state.kind === 'reconnecting') return { kind: 'connecting', attempt: state.attempt, since: now };
      return state;
    case 'stop':
      if (state.kind === 'offline') return state;
      return { kind: 'offline', reason: event.reason, since: now };
  }
}

function retryOrGiveUp(attempt: number, reason: string, ctx: TransitionContext): ConnectionState {
  // `attempt` is the number of the next try; tries already made = attempt - 1.
  if (attempt - 1 >= ctx.policy.maxAttempts) {
    return { kind: 'offline', reason: `gave up after ${attempt - 1} attempts: ${reason}`, since: ctx.now };
  }
  const delay = backoffDelay(ctx.policy, attempt, ctx.random);
  return { kind: 'reconnecting', attempt, nextRetryAt: ctx.now + delay, reason, since: ctx.now };
}

/** One line for people: "reconnecting (attempt 3, next retry in 2 s)". */
export function describeConnection(state: ConnectionState, now: number): string {
  switch (state.kind) {
    case 'connecting':
      return state.attempt <= 1 ? 'connecting' : `connecting (attempt ${state.attempt})`;
    case 'connected':
      return 'connected';
    case 'reconnecting': {
      const seconds = Math.max(0, Math.ceil((state.nextRetryAt - now) / 1000));
      return `reconnecting (attempt ${state.attempt}, next retry in ${seconds} s)`;
    }
    case 'offline':
      return `offline (${state.reason})`;
  }
}
