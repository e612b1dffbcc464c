/*
 * Time zones for the chart. lightweight-charts reads every time as UTC, so to
 * show the browser's wall clock we shift each bar by its zone's offset *at that
 * bar's instant* (DST-correct), keep the shifted times strictly ascending (the
 * repeated hour of a DST fall-back would otherwise collide), and format labels
 * from the real instant, looked up through the same timeline. Zone offsets
 * come from the protocol, which the server's market sessions use too.
 */
import { UTC_ZONE, zoneOffsetMs } from '@tickfeed/protocol';

/** What the user picked: the browser's zone, UTC, or the exchange's zone of the charted symbol. */
export type ZoneChoice = 'local' | 'utc' | 'exchange';

/** What a chart is given: 'local', 'utc' or an IANA zone (the exchange's, resolved by the page). */
export type ZoneSpec = 'local' | 'utc' | (string & {});

export { UTC_ZONE, zoneOffsetMs };

/** The IANA zone the browser (or Node) runs in, e.g. 'Europe/Paris'. */
export function browserTimeZone(): string {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone || UTC_ZONE;
}

export function resolveZone(choice: ZoneSpec, local: string = browserTimeZone()): string {
  if (choice === 'utc') return UTC_ZONE;
  if (choice === 'local' || choice === 'exchange') return local;
  return choice;
}

/**
 * Maps bar start times (UTC ms) to the chart's time axis (seconds, shifted to
 * the zone) and back. Bars must be added in ascending order; a bar already
 * seen maps to the same display time again (live updates of the last bar).
 */
export class DisplayTimeline {
  private readonly displayOf = new Map<number, number>();
  private readonly utcOf = new Map<number, number>();
  private lastDisplay = Number.NEGATIVE_INFINITY;

  constructor(readonly timeZone: string) {}

  /** Display time, in whole seconds as lightweight-charts' UTCTimestamp. */
  toDisplay(utcMs: number): number {
    const known = this.displayOf.get(utcMs);
    if (known !== undefined) return known;
    let display = Math.floor((utcMs + zoneOffsetMs(utcMs, this.timeZone)) / 1000);
    // A DST fall-back repeats an hour of wall clock: keep the axis strictly ascending.
    if (display <= this.lastDisplay) display = this.lastDisplay + 1;
    this.lastDisplay = display;
    this.displayOf.set(utcMs, display);
    this.utcOf.set(display, utcMs);
    return display;
  }

  /** The real instant (UTC ms) of a display time; falls back to undoing the zone offset. */
  toUtc(displaySec: number): number {
    const known = this.utcOf.get(displaySec);
    if (known !== undefined) return known;
    const approx = displaySec * 1000;
    return approx - zoneOffsetMs(approx - zoneOffsetMs(approx, this.timeZone), this.timeZone);
  }

  clear(): void {
    this.displayOf.clear();
    this.utcOf.clear();
    this.lastDisplay = Number.NEGATIVE_INFINITY;
  }
}

export type TimeStyle = 'time' | 'seconds' | 'day' | 'month' | 'year' | 'full' | 'short' | 'shortMinutes' | 'zone';

const STYLE_OPTIONS: Record<TimeStyle, Intl.DateTimeFormatOptions> = {
  time: { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' },
  seconds: { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' },
  day: { day: 'numeric', month: 'short' },
  month: { month: 'short' },
  year: { year: 'numeric' },
  full: { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' },
  short: { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' },
  shortMinutes: { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' },
  zone: { timeZoneName: 'short' },
};

const labelFormatters = new Map<string, Intl.DateTimeFormat>();

/** Formats an instant in a zone; en-GB for a compact 24-hour style ("14:05", "3 Mar"). */
export function formatInZone(utcMs: number, timeZone: string, style: TimeStyle): string {
  const key = `${timeZone}|${style}`;
  let formatter = labelFormatters.get(key);
  if (formatter === undefined) {
    // en-US names zones the way traders read them (EST/EDT); en-GB gives the compact 24-hour labels.
    formatter = new Intl.DateTimeFormat(style === 'zone' ? 'en-US' : 'en-GB', { timeZone, ...STYLE_OPTIONS[style] });
    labelFormatters.set(key, formatter);
  }
  if (style === 'zone') {
    return formatter.formatToParts(utcMs).find((part) => part.type === 'timeZoneName')?.value ?? timeZone;
  }
  return formatter.format(utcMs);
}

/** lightweight-charts' TickMarkType values (Year, Month, DayOfMonth, Time, TimeWithSeconds). */
export const TICK_MARK = { year: 0, month: 1, dayOfMonth: 2, time: 3, timeWithSeconds: 4 } as const;

/** Label of an axis tick mark at display time `displaySec`, in the timeline's zone. */
export function tickMarkLabel(timeline: DisplayTimeline, displaySec: number, tickMarkType: number): string {
  const utc = timeline.toUtc(displaySec);
  switch (tickMarkType) {
    case TICK_MARK.year:
      return formatInZone(utc, timeline.timeZone, 'year');
    case TICK_MARK.month:
      return formatInZone(utc, timeline.timeZone, 'month');
    case TICK_MARK.dayOfMonth:
      return formatInZone(utc, timeline.timeZone, 'day');
    case TICK_MARK.timeWithSeconds:
      return formatInZone(utc, timeline.timeZone, 'seconds');
    default:
      return formatInZone(utc, timeline.timeZone, 'time');
  }
}
