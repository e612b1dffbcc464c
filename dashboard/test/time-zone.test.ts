import { describe, expect, it } from 'vitest';
import { DisplayTimeline, TICK_MARK, formatInZone, resolveZone, tickMarkLabel, zoneOffsetMs } from '../src/lib/time-zone.js';

const H = 3_600_000;
const NY = 'America/New_York';

describe('time zones', () => {
  it('[D15] offsets follow DST at each instant (New York: -5 h in winter, -4 h in summer)', () => {
    expect(zoneOffsetMs(Date.UTC(2024, 0, 15, 12), NY)).toBe(-5 * H);
    expect(zoneOffsetMs(Date.UTC(2024, 6, 15, 12), NY)).toBe(-4 * H);
    // Spring forward 2024-03-10 07:00 UTC (02:00 EST → 03:00 EDT).
    expect(zoneOffsetMs(Date.UTC(2024, 2, 10, 6, 59), NY)).toBe(-5 * H);
    expect(zoneOffsetMs(Date.UTC(2024, 2, 10, 7, 0), NY)).toBe(-4 * H);
    expect(zoneOffsetMs(Date.UTC(2024, 0, 1), 'Asia/Kolkata')).toBe(5.5 * H);
    expect(zoneOffsetMs(Date.UTC(2024, 0, 1), 'UTC')).toBe(0);
  });

  it('[D15] shifts bar times to the wall clock so the chart axis reads local time', () => {
    const timeline = new DisplayTimeline(NY);
    const winter = Date.UTC(2024, 0, 15, 14, 30);
    expect(timeline.toDisplay(winter)).toBe(Date.UTC(2024, 0, 15, 9, 30) / 1000);
    const summer = Date.UTC(2024, 6, 15, 13, 30);
    expect(timeline.toDisplay(summer)).toBe(Date.UTC(2024, 6, 15, 9, 30) / 1000);
    expect(timeline.toUtc(Date.UTC(2024, 6, 15, 9, 30) / 1000)).toBe(summer);
  });

  it('[D15] keeps the axis strictly ascending through the repeated hour of a DST fall-back, labels from the real instant', () => {
    // 2024-11-03: 01:00–02:00 EDT (05:00–06:00 UTC), then 01:00–02:00 EST again (06:00–07:00 UTC).
    const timeline = new DisplayTimeline(NY);
    const bars = [4, 5, 6, 7].map((h) => Date.UTC(2024, 10, 3, h));
    const display = bars.map((t) => timeline.toDisplay(t));
    for (let i = 1; i < display.length; i++) expect(display[i]!).toBeGreaterThan(display[i - 1]!);
    // Same bar again (a live update) maps to the same display time.
    expect(timeline.toDisplay(bars[2]!)).toBe(display[2]);
    const labels = display.map((d) => tickMarkLabel(timeline, d, TICK_MARK.time));
    expect(labels).toEqual(['00:00', '01:00', '01:00', '02:00']);
    expect(bars.map((t) => formatInZone(t, NY, 'zone'))).toEqual(['EDT', 'EDT', 'EST', 'EST']);
    expect(display.map((d) => timeline.toUtc(d))).toEqual(bars);
  });

  it('[D15] 1-minute bars across a fall-back never collide', () => {
    const timeline = new DisplayTimeline(NY);
    let previous = Number.NEGATIVE_INFINITY;
    for (let t = Date.UTC(2024, 10, 3, 4); t < Date.UTC(2024, 10, 3, 8); t += 60_000) {
      const d = timeline.toDisplay(t);
      expect(d).toBeGreaterThan(previous);
      previous = d;
    }
  });

  it('[D15] the UTC toggle maps times unchanged and formats in UTC', () => {
    const timeline = new DisplayTimeline(resolveZone('utc', NY));
    const t = Date.UTC(2024, 6, 15, 13, 30, 5);
    expect(timeline.toDisplay(t)).toBe(t / 1000);
    expect(tickMarkLabel(timeline, t / 1000, TICK_MARK.timeWithSeconds)).toBe('13:30:05');
    expect(tickMarkLabel(timeline, t / 1000, TICK_MARK.dayOfMonth)).toBe('15 Jul');
    expect(resolveZone('local', NY)).toBe(NY);
    expect(formatInZone(t, NY, 'full')).toBe('15 Jul 2024, 09:30:05');
  });
});
