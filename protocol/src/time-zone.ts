/*
 * Zone offsets from the platform's time zone database (Intl), so sessions and
 * charts follow daylight saving without a dependency. Pure: no clock.
 */

export const UTC_ZONE = 'UTC';

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();
const offsetCache = new Map<string, number>();
/** Zone offsets change at most on quarter hours, so one lookup per 15 min of time is exact. */
const OFFSET_BUCKET_MS = 15 * 60_000;
/** Bounds the memo; it is cleared when full (a chart or a server touches few quarter hours per zone). */
const OFFSET_CACHE_MAX = 50_000;

/** Offset of `timeZone` (IANA name) from UTC at instant `utcMs`, in ms (e.g. +3,600,000 for CET in winter). */
export function zoneOffsetMs(utcMs: number, timeZone: string): number {
  if (timeZone === UTC_ZONE) return 0;
  const bucket = Math.floor(utcMs / OFFSET_BUCKET_MS);
  const key = `${timeZone}|${bucket}`;
  const cached = offsetCache.get(key);
  if (cached !== undefined) return cached;
  let formatter = offsetFormatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    offsetFormatters.set(timeZone, formatter);
  }
  const probe = bucket * OFFSET_BUCKET_MS;
  const fields: Record<string, number> = {};
  for (const part of formatter.formatToParts(probe)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const wall = Date.UTC(
    fields.year ?? 1970,
    (fields.month ?? 1) - 1,
    fields.day ?? 1,
    fields.hour ?? 0,
    fields.minute ?? 0,
    fields.second ?? 0,
  );
  const offset = wall - probe;
  if (offsetCache.size > OFFSET_CACHE_MAX) offsetCache.clear();
  offsetCache.set(key, offset);
  return offset;
}

/**
 * The instant at which the wall clock of `timeZone` shows `wallMs` (a wall
 * time written as if it were UTC). For a wall time that a spring-forward skips
 * it gives the instant one gap later; for one a fall-back repeats, the first.
 * Session hours (09:30, 16:00, 17:00) are never in either.
 */
export function zonedWallToUtc(wallMs: number, timeZone: string): number {
  const guess = wallMs - zoneOffsetMs(wallMs, timeZone);
  return wallMs - zoneOffsetMs(guess, timeZone);
}
