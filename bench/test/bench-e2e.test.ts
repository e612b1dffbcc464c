import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBench, saveResults } from '../src/bench.js';
import { buildPlan, parseOptions } from '../src/bench-options.js';
import { renderTable, type BenchResults } from '../src/bench-report.js';

/**
 * One tiny bench run against the real feed server (built: bench/dist and
 * feed-server/dist), in separate processes as `npm run bench` runs it.
 */
describe('bench end to end', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tickfeed-bench-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('[B2][B4][B7][B9][B10] a few clients at a low rate: every field filled, no gap, nothing lost', async () => {
    const plan = buildPlan(parseOptions(['--clients', '6', '--symbols', '12', '--per-client', '3', '--rates', '200', '--only', 'fanout,baseline,ingest']));
    plan.timing = { warmupMs: 500, measureMs: 1_500, drainMs: 2_000 };
    plan.ingest = { durationMs: 1_000, batchSize: 500, maxInFlight: 2 };
    plan.quietWaitMs = 0;
    const lines: string[] = [];
    const results: BenchResults = await runBench(plan, (line) => lines.push(line));

    expect(results.errors).toEqual([]);
    const feed = results.fanout.feed;
    expect(feed?.steps).toHaveLength(1);
    const m = feed!.steps[0]!;
    expect(m.kind).toBe('feed');
    expect(m.rate).toBe(200);
    expect(m.seq).toMatchObject({ gaps: 0, duplicates: 0, unexpected: 0 });
    expect(m.disconnects).toBe(0);
    expect(m.expected).toBeGreaterThan(0);
    expect(m.delivered).toBe(m.expected);
    expect(m.latency.count).toBe(m.delivered);
    expect(m.latency.p50Ms).toBeLessThanOrEqual(m.latency.p99Ms);
    expect(m.latency.p99Ms).toBeLessThanOrEqual(m.latency.maxMs);
    expect(m.ticksInPerSec).toBeGreaterThan(150);
    expect(m.deliveriesPerSec).toBeGreaterThan(0);
    expect(m.framesPerSec).toBeGreaterThan(0);
    expect(m.publisher.accepted).toBe(m.publisher.target);
    expect(m.publisher.rejected).toBe(0);
    expect(m.servers[0]?.cpuPct).toBeGreaterThan(0);
    expect(m.servers[0]?.rssMb).toBeGreaterThan(10);
    expect(m.clientSide.map((c) => c.label)).toEqual(['publisher', 'load-gen 1']);
    expect(m.coreBusyPct.length).toBeGreaterThan(0);

    const baseline = results.fanout.baseline!.steps[0]!;
    expect(baseline.kind).toBe('baseline');
    expect(baseline.seq).toMatchObject({ gaps: 0, duplicates: 0, unexpected: 0 });
    expect(baseline.delivered).toBe(baseline.expected);
    // One frame per tick per subscriber: the naive fan-out under comparison.
    expect(baseline.ticksPerFrame).toBeCloseTo(1, 1);

    const ingest = results.ingest!;
    expect(ingest.noLoss).toBe(true);
    expect(ingest.accepted).toBe(ingest.sent);
    expect(ingest.storedSeqTotal).toBe(ingest.sent);
    expect(ingest.acceptedPerSec).toBeGreaterThan(0);

    const table = renderTable(results);
    expect(table).toContain('feed server');
    expect(table).toContain('Ingest over /ingest');
    const path = saveResults(results, dir);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ scenario: { clients: 6, symbols: 12, perClient: 3 } });
    expect(lines.some((l) => /feed @ 200\/s/.test(l))).toBe(true);
  });

  it('[B46] cpu pairs: both servers up at once, alternating windows at the goal rate, and no process left behind', async () => {
    const plan = buildPlan(parseOptions(['--clients', '6', '--symbols', '12', '--per-client', '3', '--only', 'cpu-pairs']));
    plan.goalTiming = { warmupMs: 300, measureMs: 1_000, drainMs: 1_500 };
    plan.cpuPairsWarmup = { warmupMs: 200, measureMs: 500, drainMs: 500 };
    plan.cpuPairs = 2;
    plan.quietWaitMs = 0;
    const lines: string[] = [];
    const results = await runBench(plan, (line) => lines.push(line));
    expect(results.errors).toEqual([]);
    const pairs = results.cpuPairs!.pairs;
    expect(pairs.map((p) => p.feedFirst)).toEqual([true, false]);
    for (const p of pairs) {
      expect([p.feed.kind, p.naive.kind]).toEqual(['feed', 'baseline']);
      for (const m of [p.feed, p.naive]) {
        expect(m.rate).toBe(2_000);
        expect(m.delivered).toBe(m.expected);
        expect(m.seq).toMatchObject({ gaps: 0, duplicates: 0 });
      }
      expect(p.ratio).toBeGreaterThan(0);
    }
    // The windows ran in the order the pairs say.
    expect(lines.filter((l) => / @ 2,000\/s: /.test(l)).map((l) => (l.startsWith('feed @') ? 'f' : 'n')).join('')).toBe('fnnf');
    expect(results.goals?.[2]?.feed).toContain('interleaved pairs');
    expect(renderTable(results)).toContain('pair 2 (naive first)');
    expect(benchChildren()).toEqual([]);
  });

  it('[B8][B12] idle memory per connection for both servers, and no process left behind', async () => {
    const plan = buildPlan(parseOptions(['--symbols', '12', '--per-client', '3', '--idle-clients', '10,20', '--only', 'idle']));
    const results = await runBench(plan, () => undefined);
    expect(results.errors).toEqual([]);
    for (const idle of [results.idle.feed!, results.idle.baseline!]) {
      expect(idle.rows.map((r) => r.clients)).toEqual([10, 20]);
      for (const row of idle.rows) {
        expect(row.gcForced).toBe(true);
        expect(row.rssBaseMb).toBeGreaterThan(10);
        expect(row.rssMb).toBeGreaterThan(10);
        expect(Number.isFinite(row.perConnectionKb)).toBe(true);
      }
      expect(idle.rows[0]!.marginalKb).toBeNull();
      expect(Number.isFinite(idle.rows[1]!.marginalKb)).toBe(true);
    }
    expect(benchChildren()).toEqual([]);
  });
});

/** Live processes this test process started that run a bench script or redis-server. */
function benchChildren(): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (ppid === process.pid && /bench\/dist|redis-server/.test(cmd)) found.push(`${entry} ${cmd}`);
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}
