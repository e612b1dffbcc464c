import { sessionOf, zoneOffsetMs, zonedWallToUtc, type FeedControl, type FeedStatus, type SessionKind } from '@tickfeed/protocol';

const DAY_MS = 86_400_000;

/** Speeds offered by the replay controls; the server accepts any in (0, 1,000,000] or 'max'. */
export const REPLAY_SPEEDS: readonly FeedStatus['speed'][] = [1, 2, 5, 10, 60, 300, 'max'];

/** Whether the server has refused this page's token for control: then the controls stay hidden (D100). */
export type ControlAccess = 'unknown' | 'allowed' | 'denied';

/** D100: the controls show for a controllable replay, with a token to send, unless the server refused it. */
export function showReplayControls(status: FeedStatus | null | undefined, hasToken: boolean, access: ControlAccess): boolean {
  return status?.mode === 'replay' && status.controllable && hasToken && access !== 'denied';
}

/** The replay clock now: between status messages it runs at the replay speed while playing. */
export function replayClockAt(status: FeedStatus, receivedAt: number, now: number): number | null {
  if (status.clock === null) return null;
  if (status.state !== 'playing' || typeof status.speed !== 'number') return status.clock;
  return status.clock + Math.max(0, now - receivedAt) * status.speed;
}

/**
 * The timeline a seek can reach (D101): the status carries no tape range, so it is the market
 * session the replay clock is in (the charted symbol's session kind, e.g. 09:30–16:00 New York
 * for US equities), widened to include the clock should it lie before the open.
 */
export function timelineRange(clock: number, kind: SessionKind): { from: number; to: number } {
  const session = sessionOf(clock, kind);
  return { from: Math.min(session.open, clock), to: session.close };
}

/** Position of `ts` on the timeline, 0..1. */
export function fractionOf(range: { from: number; to: number }, ts: number): number {
  if (range.to <= range.from) return 0;
  return Math.min(1, Math.max(0, (ts - range.from) / (range.to - range.from)));
}

/** The time at a fraction of the timeline, whole seconds (a seek target). */
export function timeAtFraction(range: { from: number; to: number }, fraction: number): number {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  return Math.round((range.from + f * (range.to - range.from)) / 1_000) * 1_000;
}

/** A typed time ("10:45", "10:45:30") in `zone` on the timeline's day, or null when it is not a time or lies outside the timeline. */
export function parseSeekTime(text: string, range: { from: number; to: number }, zone: string): number | null {
  const m = /^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$/.exec(text);
  if (m === null) return null;
  const [h, min, s] = [Number(m[1]), Number(m[2]), Number(m[3] ?? '0')];
  if (h > 23 || min > 59 || s > 59) return null;
  const day = Math.floor((range.from + zoneOffsetMs(range.from, zone)) / DAY_MS) * DAY_MS;
  const ts = zonedWallToUtc(day + ((h * 60 + min) * 60 + s) * 1_000, zone);
  return ts >= range.from && ts <= range.to ? ts : null;
}

/** What a control reply means for the page (D102): 401/403 hide the controls, said once. */
export function interpretControlReply(httpStatus: number, body: unknown): { kind: 'ok'; status: FeedStatus } | { kind: 'denied'; message: string } | { kind: 'error'; message: string } {
  if (httpStatus === 401 || httpStatus === 403) {
    return { kind: 'denied', message: httpStatus === 401 ? 'Replay controls: the server did not accept this page’s token' : 'Replay controls: this token may not control the replay' };
  }
  const reply = body as { ok?: unknown; status?: FeedStatus; error?: { message?: unknown } } | null;
  if (httpStatus >= 200 && httpStatus < 300 && reply !== null && reply.ok === true && reply.status !== undefined) return { kind: 'ok', status: reply.status };
  const message = typeof reply?.error?.message === 'string' ? reply.error.message : `HTTP ${httpStatus}`;
  return { kind: 'error', message: `Replay control failed: ${message}` };
}

/** The request for one command: POST /api/feed/control with the bearer token. */
export function controlRequest(baseUrl: string, token: string, command: FeedControl): { url: string; init: RequestInit } {
  return {
    url: `${baseUrl}/api/feed/control`,
    init: { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(command) },
  };
}

export function speedLabel(speed: FeedStatus['speed']): string {
  return speed === 'max' ? 'max' : `${speed}×`;
}
