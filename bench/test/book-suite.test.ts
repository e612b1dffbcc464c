import { describe, expect, it } from 'vitest';
import { buildPlan, parseOptions } from '../src/bench-options.js';
import { formatBookSummary, runBook } from '../src/book-suite.js';

/** The book suite in miniature against the real feed server (built: bench/dist and feed-server/dist), in its own processes. */
describe('book suite end to end', () => {
  it('[B40][B42][B43][B45] a few clients at a low rate: every update arrives in seq order and verifies, every figure filled', async () => {
    const plan = buildPlan(parseOptions(['--only', 'book']));
    plan.timing = { warmupMs: 500, measureMs: 1_500, drainMs: 3_000 };
    const lines: string[] = [];
    const r = await runBook(plan, (line) => lines.push(line), { clients: 10, rates: [200, 400] });

    expect(r).toMatchObject({ clients: 10, booksPerClient: 2, symbols: 100, depth: 10 });
    expect(r.steps.map((s) => s.rate)).toEqual([200, 400]);
    for (const s of r.steps) {
      expect(s).toMatchObject({ gaps: 0, resets: 0, checksumFailures: 0, booksBehind: 0, lostClients: 0, refused: 0, publisherAborted: false });
      expect(s.checksumsVerified).toBeGreaterThan(0);
      expect(s.updates).toBeGreaterThan(0);
      expect(s.inPerSec).toBeGreaterThan(s.rate * 0.8);
      expect(s.bytesPerUpdate).toBeGreaterThan(40);
      expect(s.serverCpuPerDeliveryUs).toBeGreaterThan(0);
      expect(s.latency.p50Ms).toBeLessThanOrEqual(s.latency.p99Ms);
    }
    expect(r.goal.status).toBe('not judged');
    expect(formatBookSummary(r, undefined)).toContain('tick fan-out: not measured in this run');
    expect(lines.some((l) => l.startsWith('book @ 200/s'))).toBe(true);
  }, 60_000);
});
