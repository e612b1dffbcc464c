import { beforeAll, describe, expect, it } from 'vitest';
import { renderSoakReport } from '../../src/hardening/fuzz-soak-report.js';
import { runSoak, type SoakReport } from '../../src/hardening/run-soak.js';

/**
 * A short soak (about 20 s of churn): the feed server in a child process,
 * 150 churning clients, 1,000 ticks/s, three steady clients. Slopes over
 * 20 s are noise, so this asserts counts and reports the slopes;
 * `npm run soak -- --minutes N` measures them.
 */
const CLIENTS = 150;
let report: SoakReport;

beforeAll(async () => {
  report = await runSoak({ durationMs: 20_000, clients: CLIENTS, rate: 1_000, sampleIntervalMs: 500, warmupMs: 5_000 });
  console.info(renderSoakReport(report));
}, 90_000);

describe('soak (short)', () => {
  it('[F9] steady clients lost nothing while the others churned', () => {
    expect(report.steady.problems).toEqual([]);
    expect(report.steady.delivered).toBeGreaterThan(1_000);
    expect(report.checks.serverAlive).toBe(true);
  });

  it('[F10] clients churned: many connections, every way of leaving, requests answered', () => {
    expect(report.churn.connects).toBeGreaterThan(CLIENTS * 2);
    for (const mode of ['disconnect', 'close', 'destroy', 'reset', 'silent', 'abandoned mid-subscribe']) {
      expect(report.churn.leaves[mode] ?? 0, mode).toBeGreaterThan(0);
    }
    expect(report.churn.ackTimeouts).toBe(0);
    expect(Object.keys(report.churn.replies)).toEqual(['ok']);
    expect(report.peak.connections).toBeGreaterThan(CLIENTS / 2);
  });

  it('[F11] after the churn, connections, rooms and subscriptions are back to the steady clients\'; handles and resources back to where they started', () => {
    expect(report.end.connections).toBe(report.steady.clients);
    expect(report.end.rooms).toBe(report.steady.rooms);
    expect(report.end.subscriptions).toBe(report.steady.subscriptions);
    expect(report.peak.rooms).toBeGreaterThan(report.steady.rooms);
    // Tolerance 10: a few timers or sockets may be mid-flight at the moment of the scrape.
    expect(report.end.handles).toBeLessThanOrEqual(report.start.handles + 10);
    expect(report.end.resources).toBeLessThanOrEqual(report.start.resources + 10);
    expect(report.end.timers).toBeLessThanOrEqual(report.start.timers + 10);
  });

  it('[F12] the server\'s RSS and heap are sampled on its own process and their slopes reported', () => {
    expect(report.samples.length).toBeGreaterThan(20);
    expect(report.samples.every((s) => s.rssBytes > 0 && s.heapUsedBytes > 0)).toBe(true);
    // The heap floor (lowest heap of each 15 s) is what the slope is fitted to.
    expect(report.heapFloor.length).toBeGreaterThan(0);
    // Start and end heap follow a full GC forced through the server's inspector.
    expect(report.start.heapUsedBytes).toBeGreaterThan(0);
    expect(report.end.heapUsedBytes).toBeGreaterThan(0);
    expect(Number.isFinite(report.slopes.rssBytesPerMin)).toBe(true);
    expect(Number.isFinite(report.slopes.heapBytesPerMin)).toBe(true);
  });
});
