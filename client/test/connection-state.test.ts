import { describe, expect, it } from 'vitest';
import {
  INITIAL_CONNECTION_STATE,
  describeConnection,
  transition,
  type ConnectionEvent,
  type ConnectionState,
} from '../src/connection-state.js';

const policy = { baseMs: 100, maxMs: 1_000, factor: 2, jitter: 0, maxAttempts: 3 };
const ctx = (now: number) => ({ now, random: { next: () => 0 }, policy });

function run(events: ConnectionEvent[], start: ConnectionState = INITIAL_CONNECTION_STATE): ConnectionState[] {
  const states: ConnectionState[] = [];
  let state = start;
  events.forEach((event, i) => {
    state = transition(state, event, ctx(1_000 * (i + 1)));
    states.push(state);
  });
  return states;
}

describe('connection state machine', () => {
  it('[D2] starts offline, connects, and is connected once the socket opens', () => {
    expect(INITIAL_CONNECTION_STATE.kind).toBe('offline');
    const [connecting, connected] = run([{ type: 'start' }, { type: 'opened' }]);
    expect(connecting).toEqual({ kind: 'connecting', attempt: 1, since: 1000 });
    expect(connected).toEqual({ kind: 'connected', since: 2000 });
  });

  it('[D2] a lost connection waits for retry 1 with the backoff delay, then reconnects', () => {
    const states = run([{ type: 'start' }, { type: 'opened' }, { type: 'lost', reason: 'transport close' }, { type: 'retry' }]);
    expect(states[2]).toEqual({ kind: 'reconnecting', attempt: 1, nextRetryAt: 3000 + 100, reason: 'transport close', since: 3000 });
    expect(states[3]).toEqual({ kind: 'connecting', attempt: 1, since: 4000 });
  });

  it('[D2] each failed attempt counts up and backs off exponentially', () => {
    const states = run([
      { type: 'start' },
      { type: 'opened' },
      { type: 'lost', reason: 'x' },
      { type: 'retry' },
      { type: 'failed', reason: 'refused' },
      { type: 'retry' },
      { type: 'failed', reason: 'refused' },
    ]);
    expect(states[4]).toMatchObject({ kind: 'reconnecting', attempt: 2, nextRetryAt: 5000 + 200 });
    expect(states[6]).toMatchObject({ kind: 'reconnecting', attempt: 3, nextRetryAt: 7000 + 400 });
  });

  it('[D2] gives up and goes offline after maxAttempts failed tries', () => {
    const states = run([
      { type: 'start' },
      { type: 'failed', reason: 'refused' },
      { type: 'retry' },
      { type: 'failed', reason: 'refused' },
      { type: 'retry' },
      { type: 'failed', reason: 'refused' },
    ]);
    expect(states.map((s) => s.kind)).toEqual(['connecting', 'reconnecting', 'connecting', 'reconnecting', 'connecting', 'offline']);
    expect(states[5]).toMatchObject({ kind: 'offline', reason: 'gave up after 3 attempts: refused' });
    // start() leaves offline again, from attempt 1.
    expect(transition(states[5]!, { type: 'start' }, ctx(9000))).toEqual({ kind: 'connecting', attempt: 1, since: 9000 });
  });

  it('[D2] stop goes offline from any state; events that do not apply leave the state as it is', () => {
    const connected: ConnectionState = { kind: 'connected', since: 1 };
    expect(transition(connected, { type: 'stop', reason: 'bye' }, ctx(5))).toEqual({ kind: 'offline', reason: 'bye', since: 5 });
    const offline = transition(connected, { type: 'stop', reason: 'bye' }, ctx(5));
    for (const event of [{ type: 'opened' }, { type: 'failed', reason: 'late' }, { type: 'lost', reason: 'late' }, { type: 'retry' }] as const) {
      expect(transition(offline, event, ctx(6))).toBe(offline);
    }
    expect(transition(connected, { type: 'opened' }, ctx(6))).toBe(connected);
    expect(transition(connected, { type: 'retry' }, ctx(6))).toBe(connected);
  });

  it('[D8] a server shutdown reconnects at once (delay 0) or after the delay, without counting a failure', () => {
    const connected: ConnectionState = { kind: 'connected', since: 1 };
    expect(transition(connected, { type: 'shutdown', reason: 'drain', delayMs: 0 }, ctx(10))).toEqual({ kind: 'connecting', attempt: 1, since: 10 });
    expect(transition(connected, { type: 'shutdown', reason: 'drain', delayMs: 300 }, ctx(10))).toEqual({
      kind: 'reconnecting',
      attempt: 1,
      nextRetryAt: 310,
      reason: 'drain',
      since: 10,
    });
  });

  it('[D2] describes the state for people, with attempt and seconds to the next retry', () => {
    expect(describeConnection({ kind: 'reconnecting', attempt: 3, nextRetryAt: 5_500, reason: 'x', since: 0 }, 4_000)).toBe(
      'reconnecting (attempt 3, next retry in 2 s)',
    );
    expect(describeConnection({ kind: 'connected', since: 0 }, 0)).toBe('connected');
    expect(describeConnection({ kind: 'connecting', attempt: 2, since: 0 }, 0)).toBe('connecting (attempt 2)');
  });
});
