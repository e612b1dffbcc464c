import type { FeedStatus } from '@tickfeed/protocol';
import { describe, expect, it } from 'vitest';
import {
  controlRequest,
  fractionOf,
  interpretControlReply,
  parseSeekTime,
  replayClockAt,
  showReplayControls,
  timeAtFraction,
  timelineRange,
} from '../src/lib/replay-control.js';

const replay: FeedStatus = {
  mode: 'replay',
  state: 'playing',
  speed: 60,
  clock: Date.parse('2012-06-21T14:00:00Z'),
  loop: false,
  completions: 0,
  marker: null,
  source: 'AMZN-2012-06-21-trades.csv',
  controllable: true,
};

describe('replay controls (pure)', () => {
  it('[D100] show only for a controllable replay, with a token, until the server refuses it', () => {
    expect(showReplayControls(replay, true, 'unknown')).toBe(true);
    expect(showReplayControls(replay, true, 'allowed')).toBe(true);
    expect(showReplayControls(replay, true, 'denied')).toBe(false);
    expect(showReplayControls(replay, false, 'unknown')).toBe(false);
    expect(showReplayControls({ ...replay, controllable: false }, true, 'unknown')).toBe(false);
    expect(showReplayControls({ ...replay, mode: 'live', clock: null }, true, 'unknown')).toBe(false);
    expect(showReplayControls(null, true, 'unknown')).toBe(false);
  });

  it('[D101] the replay clock runs at the replay speed while playing, stands still when paused', () => {
    expect(replayClockAt(replay, 1_000, 2_000)).toBe(replay.clock! + 60_000);
    expect(replayClockAt({ ...replay, state: 'paused' }, 1_000, 2_000)).toBe(replay.clock);
    expect(replayClockAt({ ...replay, speed: 'max' }, 1_000, 2_000)).toBe(replay.clock);
    expect(replayClockAt({ ...replay, clock: null }, 1_000, 2_000)).toBeNull();
  });

  it('[D101] the timeline is the US equity session of the replay day (09:30–16:00 New York, EDT in June)', () => {
    const r = timelineRange(replay.clock!, 'us-equity');
    expect(new Date(r.from).toISOString()).toBe('2012-06-21T13:30:00.000Z');
    expect(new Date(r.to).toISOString()).toBe('2012-06-21T20:00:00.000Z');
    expect(fractionOf(r, r.from)).toBe(0);
    expect(fractionOf(r, r.to)).toBe(1);
    expect(fractionOf(r, r.to + 5_000)).toBe(1);
    expect(timeAtFraction(r, 0.5)).toBe(Date.parse('2012-06-21T16:45:00Z'));
    expect(timeAtFraction(r, Number.NaN)).toBe(r.from);
    // A clock before the open (pre-market ticks) widens the timeline to include it.
    const early = Date.parse('2012-06-21T12:00:00Z');
    expect(timelineRange(early, 'us-equity').from).toBe(early);
    // Crypto: the UTC day.
    const c = timelineRange(replay.clock!, 'utc-day');
    expect(new Date(c.from).toISOString()).toBe('2012-06-21T00:00:00.000Z');
    expect(new Date(c.to).toISOString()).toBe('2012-06-22T00:00:00.000Z');
  });

  it('[D101] a typed time is read in the zone on the timeline day and must fall inside it', () => {
    const r = timelineRange(replay.clock!, 'us-equity');
    expect(parseSeekTime('10:45', r, 'America/New_York')).toBe(Date.parse('2012-06-21T14:45:00Z'));
    expect(parseSeekTime(' 15:59:30 ', r, 'America/New_York')).toBe(Date.parse('2012-06-21T19:59:30Z'));
    expect(parseSeekTime('16:45', r, 'Europe/Berlin')).toBe(Date.parse('2012-06-21T14:45:00Z'));
    expect(parseSeekTime('08:00', r, 'America/New_York')).toBeNull();
    expect(parseSeekTime('25:00', r, 'America/New_York')).toBeNull();
    expect(parseSeekTime('10h45', r, 'America/New_York')).toBeNull();
    expect(parseSeekTime('', r, 'America/New_York')).toBeNull();
    // Across a daylight-saving change: 2012-03-12 was the first EDT weekday (UTC-4), 2012-03-09 was EST (UTC-5).
    const est = timelineRange(Date.parse('2012-03-09T15:00:00Z'), 'us-equity');
    expect(parseSeekTime('09:30', est, 'America/New_York')).toBe(Date.parse('2012-03-09T14:30:00Z'));
    const edt = timelineRange(Date.parse('2012-03-12T15:00:00Z'), 'us-equity');
    expect(parseSeekTime('09:30', edt, 'America/New_York')).toBe(Date.parse('2012-03-12T13:30:00Z'));
  });

  it('[D102] 401 and 403 mean no control for this page; other failures say what went wrong', () => {
    expect(interpretControlReply(401, { ok: false, error: { code: 'UNAUTHORIZED', message: 'x' } }).kind).toBe('denied');
    expect(interpretControlReply(403, null).kind).toBe('denied');
    expect(interpretControlReply(200, { ok: true, status: replay })).toEqual({ kind: 'ok', status: replay });
    expect(interpretControlReply(409, { ok: false, error: { code: 'NOT_CONTROLLABLE', message: 'no publisher' } })).toEqual({
      kind: 'error',
      message: 'Replay control failed: no publisher',
    });
    expect(interpretControlReply(500, 'garbage')).toEqual({ kind: 'error', message: 'Replay control failed: HTTP 500' });
    expect(interpretControlReply(200, { ok: true })).toMatchObject({ kind: 'error' });
  });

  it('[D102] a command is a POST with the bearer token and the control body', () => {
    const { url, init } = controlRequest('http://h', 'tok', { action: 'speed', speed: 'max' });
    expect(url).toBe('http://h/api/feed/control');
    expect(init.method).toBe('POST');
    expect(init.headers).toMatchObject({ authorization: 'Bearer tok', 'content-type': 'application/json' });
    expect(JSON.parse(String(init.body))).toEqual({ action: 'speed', speed: 'max' });
  });
});
