import { beforeAll, describe, expect, it } from 'vitest';
import { renderFuzzReport } from '../../src/hardening/fuzz-soak-report.js';
import { runFuzz, type FuzzReport } from '../../src/hardening/run-fuzz.js';
import type { ViolationKind } from '../../src/hardening/ledger.js';

/**
 * One bounded fuzz run (about 20 s of attack) against an in-process feed
 * server; each test checks one rule of SPEC.md on its report.
 * `npm run fuzz -- --minutes N --seed S` runs the same thing longer.
 */
const SEED = 20_260_522;
let report: FuzzReport;

beforeAll(async () => {
  report = await runFuzz({ durationMs: 20_000, seed: SEED, ackTimeoutMs: 5_000 });
  console.info(renderFuzzReport(report));
}, 90_000);

function violations(...kinds: ViolationKind[]) {
  return report.violations.filter((v) => kinds.includes(v.kind));
}

function count(...kinds: ViolationKind[]): number {
  return kinds.reduce((n, k) => n + (report.violationCounts[k] ?? 0), 0);
}

function requests(prefix: string): number {
  return Object.entries(report.requests).reduce((n, [k, v]) => (k.startsWith(prefix) ? n + v : n), 0);
}

describe(`fuzz (seed ${SEED})`, () => {
  it('[F1] the server is up after the fuzz and no exception escaped it', () => {
    expect(report.state.healthz).toBe(200);
    expect(violations('server-down', 'uncaught')).toEqual([]);
  });

  it('[F2] every request with an ack got a reply with a catalog code, or a disconnect; oversize messages closed the connection', () => {
    expect(violations('no-reply', 'bad-reply', 'oversize-accepted')).toEqual([]);
    expect(count('no-reply', 'bad-reply', 'oversize-accepted')).toBe(0);
    // The fuzz did reach the error paths: malformed requests answered, oversize ones cut off.
    expect(report.replies.BAD_REQUEST ?? 0).toBeGreaterThan(100);
    expect(Object.keys(report.disconnects).some((reason) => reason.includes('oversize') || reason.startsWith('raw: 1009'))).toBe(true);
  });

  it('[F2] thousands of requests per second from one socket are rate limited', () => {
    expect(violations('rate-limit-missing')).toEqual([]);
    expect(report.replies.RATE_LIMITED ?? 0).toBeGreaterThan(1_000);
    const rates = [...report.floodRates].sort((a, b) => a - b);
    expect(rates.at(-1) ?? 0).toBeGreaterThan(1_000);
  });

  it('[F3] healthy clients received every tick, in order, undisturbed; the steady publisher had nothing rejected', () => {
    expect(violations('healthy-gap', 'healthy-incomplete', 'healthy-disturbed', 'publisher-failed')).toEqual([]);
    expect(report.healthy.published).toBeGreaterThan(1_000);
    expect(report.healthy.delivered).toBe(report.healthy.expected);
  });

  it('[F4] snapshots, candles at every interval and recent ticks equal what the published ticks make', () => {
    expect(violations('state-snapshot', 'state-candles', 'state-ticks')).toEqual([]);
    expect(report.state.snapshotsEqual).toBe(report.state.symbols);
    expect(report.state.candleSeriesEqual).toBe(report.state.candleSeriesChecked);
    expect(report.state.tickListsEqual).toBe(report.state.symbols);
  });

  it('[F5] once the attackers are gone, connections, subscriptions and rooms are the healthy clients\'', () => {
    expect(violations('state-subscriptions')).toEqual([]);
    expect(report.state.connectionsMetric).toBe(report.healthy.clients);
    expect(report.state.subscriptionsMetric).toBe(report.healthy.subscriptions);
  });

  it('[F6] REST answered hostile requests without 5xx, and every API 4xx with a catalog code', () => {
    expect(violations('rest-5xx', 'rest-uncoded')).toEqual([]);
    expect(requests('rest ')).toBeGreaterThan(200);
  });

  it('[F7] wrong ingest tokens never connect, control needs the admin token, undeclared symbols are refused', () => {
    expect(violations('unauthorized-accepted', 'undeclared-accepted')).toEqual([]);
    expect(Object.keys(report.refusals).some((r) => r.startsWith('ingest (bad token): UNAUTHORIZED'))).toBe(true);
    expect(requests('bad-token')).toBeGreaterThan(10);
  });

  it('[F8] every kind of attack ran: socket.io-client on both namespaces, raw frames, floods, REST', () => {
    for (const prefix of ['consumer subscribe', 'consumer unsubscribe', 'consumer (unknown event)', 'ingest declare', 'ingest publish', 'ingest status', 'raw bad-json', 'raw oversize', 'flood', 'rest POST /api/feed/control']) {
      expect(requests(prefix), prefix).toBeGreaterThan(0);
    }
    expect(report.requestTotal).toBeGreaterThan(10_000);
  });
});
