import { beforeAll, describe, expect, it } from 'vitest';
import { renderFuzzReport } from '../../src/hardening/fuzz-soak-report.js';
import { runFuzz, type FuzzReport } from '../../src/hardening/run-fuzz.js';
import type { ViolationKind } from '../../src/hardening/ledger.js';

/**
 * One bounded fuzz run (about 20 s of attack) against an in-process feed
 * server; each test checks one rule of SPEC.md on its report (F1–F8, F20–F26).
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

  it('[F20] abrupt closes after the namespace connect leave no count: the gauges return to 0 and every attacker address lets a fresh client in', () => {
    expect(violations('address-locked', 'address-count')).toEqual([]);
    for (const variant of ['reset-after-connect', 'reset-after-40', 'close-after-40', 'junk-after-40', 'polling-40-close']) {
      expect(requests(`abrupt ${variant}`), variant).toBeGreaterThan(0);
    }
    expect(requests('abrupt fresh client')).toBeGreaterThan(0);
    expect(report.edge.addressConnections).toBe(0);
    expect(report.edge.pendingSessions).toBe(0);
    expect(report.edge.addressesChecked).toBeGreaterThan(5);
    expect(report.edge.readmitted).toBe(report.edge.addressesChecked);
  });

  it('[F21] rotating X-Forwarded-For entries never get past MAX_CONNECTIONS_PER_IP, and a foreign Host is refused', () => {
    expect(violations('cap-bypassed', 'host-accepted')).toEqual([]);
    // The cap was reached: connections and streams past it were refused RATE_LIMITED.
    expect(report.refusals['spoof consumer: RATE_LIMITED'] ?? 0).toBeGreaterThan(0);
    expect(requests('foreign host')).toBeGreaterThan(0);
  });

  it('[F22] Engine.IO sessions that never join are capped per address and closed after CONNECT_TIMEOUT_MS', () => {
    expect(violations('pending-unbounded')).toEqual([]);
    expect(requests('pending session')).toBeGreaterThan(report.edge.limits!.pendingPerIp);
    expect(Object.keys(report.refusals).some((r) => r.startsWith('pending session:') && r.includes('RATE_LIMITED'))).toBe(true);
  });

  it('[F23] clients that resume far back and stop reading leave the server within its memory budget, the healthy clients undisturbed', () => {
    expect(violations('memory-unbounded')).toEqual([]);
    expect(requests('resume-flood sse')).toBeGreaterThan(0);
    expect(requests('resume-flood websocket')).toBeGreaterThan(0);
    expect(report.edge.rssPeakMb - report.edge.rssBaselineMb).toBeLessThanOrEqual(report.edge.rssBudgetMb);
    expect(report.healthy.problems).toEqual([]);
  });

  it('[F24] health and metrics answer whatever the query while the address is rate limited; control without the admin token is 401', () => {
    expect(violations('ops-rate-limited', 'control-not-401', 'cap-bypassed')).toEqual([]);
    expect(requests('rest-edge ops')).toBeGreaterThan(0);
    expect(requests('rest-edge control without token')).toBeGreaterThan(0);
    expect(report.restStatus['429'] ?? 0).toBeGreaterThan(0);
  });

  it('[F25] out-of-range and off-grid numbers are refused and every aggregate stays finite and equal to the valid ticks\'', () => {
    expect(violations('hostile-number-accepted', 'publisher-failed')).toEqual([]);
    expect(report.replies['numbers: INVALID_TICK'] ?? 0).toBeGreaterThan(50);
    expect(Object.keys(report.requests).filter((k) => k.startsWith('numbers declare ')).length).toBeGreaterThan(0);
    // The hostile publisher's symbols are in the state check (F4) besides the steady ones.
    expect(report.state.symbols).toBeGreaterThan(20);
    expect(report.state.snapshotsEqual).toBe(report.state.symbols);
  });

  it('[F26] another publisher cannot declare, publish or announce the feed status for the steady publisher\'s symbols; no control reaches it', () => {
    expect(violations('owner-bypassed')).toEqual([]);
    expect(report.replies['usurper: NOT_OWNER'] ?? 0).toBeGreaterThan(0);
    expect(requests('usurper status')).toBeGreaterThan(0);
    expect(report.edge.feedSourceAfter).toBe(report.edge.feedSourceBefore);
  });

  it('[F8] every kind of attack ran: socket.io-client on both namespaces, raw frames, floods, REST', () => {
    for (const prefix of ['consumer subscribe', 'consumer unsubscribe', 'consumer (unknown event)', 'ingest declare', 'ingest publish', 'ingest status', 'raw bad-json', 'raw oversize', 'flood', 'rest POST /api/feed/control', 'abrupt', 'spoof', 'pending session', 'resume-flood', 'rest-edge', 'numbers publish', 'usurper']) {
      expect(requests(prefix), prefix).toBeGreaterThan(0);
    }
    expect(report.requestTotal).toBeGreaterThan(10_000);
  });
});
