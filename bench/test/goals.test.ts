import { describe, expect, it } from 'vitest';
import { cpuPairOf, goalTableRows, judgeGoals, medianRatio, stepAt } from '../src/goals.js';
import type { StepMeasurement, ServerKind } from '../src/rig.js';
import type { FanoutResult } from '../src/suites.js';

interface StepSpec {
  rate: number;
  p99: number;
  /** Server CPU, % of one core. */
  cpu?: number;
  deliveriesPerSec?: number;
  saturated?: boolean;
  others?: number;
  gaps?: number;
  pass?: boolean;
}

function step(kind: ServerKind, s: StepSpec): StepMeasurement {
  const deliveriesPerSec = s.deliveriesPerSec ?? s.rate * 20;
  return {
    kind,
    rate: s.rate,
    windowSec: 1,
    ticksInPerSec: s.rate,
    deliveriesPerSec,
    framesPerSec: deliveriesPerSec / 2,
    ticksPerFrame: 2,
    latency: { count: 100, p50Ms: s.p99 / 2, p99Ms: s.p99, maxMs: s.p99 * 2 },
    expected: deliveriesPerSec,
    delivered: deliveriesPerSec,
    seq: { inOrder: deliveriesPerSec, gaps: s.gaps ?? 0, missing: s.gaps ?? 0, duplicates: 0, unexpected: 0 },
    disconnects: 0,
    notices: {},
    publisher: {} as StepMeasurement['publisher'],
    servers: [{ label: kind, cpuPct: s.cpu ?? 20, rssMb: 100, rssMaxMb: 100 }],
    clientSide: [],
    clientSideCpuPct: s.saturated ? 97 : 50,
    clientSideSaturated: s.saturated ?? false,
    coreBusyPct: [],
    othersCpuPct: s.others ?? 0,
    groups: [],
    verdict: { pass: s.pass ?? true, reasons: s.pass === false ? ['p99 150.0 ms >= 100 ms'] : [] },
  };
}

function fanout(kind: ServerKind, def: StepSpec, steps: StepSpec[], sustained: number | null, lowestFail: number | null): FanoutResult {
  return {
    kind,
    scenario: { clients: 1_000, symbols: 500, perClient: 10, seed: 1 },
    mode: 'ladder',
    sustained,
    lowestFail,
    best: null,
    steps: steps.map((s) => step(kind, s)),
    atDefaultRate: step(kind, def),
  };
}

const naive = fanout('baseline', { rate: 81, p99: 2 }, [{ rate: 1_000, p99: 5 }, { rate: 2_000, p99: 10, cpu: 74 }, { rate: 4_000, p99: 400, pass: false }, { rate: 5_000, p99: 900, pass: false }], 3_000, 4_000);

describe('goal verdicts beside the naive server', () => {
  it('[B31] every goal met: the figures of both servers side by side', () => {
    // 2,000/s × 20 subscribers = 40,000 deliveries/s: 20% CPU is 5 µs each, naive's 74% is 18.5 µs: 0.27×.
    const feed = fanout('feed', { rate: 81, p99: 8 }, [{ rate: 2_000, p99: 20, cpu: 20 }, { rate: 5_000, p99: 40 }, { rate: 10_000, p99: 80 }, { rate: 20_000, p99: 300, pass: false }], 10_000, 20_000);
    const rows = judgeGoals(feed, naive);
    expect(rows.map((r) => r.verdict)).toEqual(['met', 'met', 'met', 'met', 'met']);
    expect(rows[0]).toMatchObject({ feed: 'p99 8.0 ms', naive: 'p99 2.0 ms', note: '' });
    expect(rows[0]?.goal).toContain('(81 ticks/s)');
    expect(rows[2]).toMatchObject({ feed: '5.0 µs/delivery (0.27× naive\'s)', naive: '18.5 µs/delivery' });
    expect(rows[4]).toMatchObject({ feed: '10,000 ticks/s', naive: '3,000 ticks/s' });
    const table = goalTableRows(rows);
    expect(table[0]).toEqual(['goal', 'feed server', 'naive Socket.IO', 'verdict']);
    expect(table).toHaveLength(6);
  });

  it('[B31] goals missed on a clean machine say by how much; the limits themselves are met (≤)', () => {
    const feed = fanout('feed', { rate: 81, p99: 10 }, [{ rate: 2_000, p99: 26, cpu: 60 }, { rate: 5_000, p99: 50.1 }, { rate: 8_000, p99: 150, pass: false }], 5_000, 8_000);
    const rows = judgeGoals(feed, naive);
    expect(rows.map((r) => r.verdict)).toEqual(['met', 'missed', 'missed', 'missed', 'missed']);
    expect(rows[1]?.note).toBe('p99 26.0 ms > 25 ms');
    expect(rows[2]?.note).toBe('0.81× naive\'s');
    expect(rows[3]?.note).toBe('p99 50.1 ms > 50 ms');
    expect(rows[4]?.note).toBe('fails at 8,000/s: p99 150.0 ms >= 100 ms');
  });

  it('[B32] a miss measured with the client side saturated or the machine busy is not judged, with why; a met goal stands', () => {
    const feed = fanout(
      'feed',
      { rate: 81, p99: 30, others: 40 },
      [{ rate: 2_000, p99: 12, saturated: true }, { rate: 5_000, p99: 70, saturated: true }, { rate: 8_000, p99: 150, pass: false, saturated: true }],
      5_000,
      8_000,
    );
    const rows = judgeGoals(feed, naive);
    expect(rows.map((r) => r.verdict)).toEqual(['not judged', 'met', 'met', 'not judged', 'not judged']);
    expect(rows[0]?.note).toBe('p99 30.0 ms > 10 ms, but machine busy (other processes 40% CPU)');
    expect(rows[3]?.note).toBe('p99 70.0 ms > 50 ms, but client side saturated (97% of its core)');
    expect(rows[4]?.note).toContain('fails at 8,000/s');
    expect(rows[4]?.note).toContain('but client side saturated');
  });

  it("[B32] a CPU ratio over the goal is not judged when either server's step was disturbed", () => {
    const feed = fanout('feed', { rate: 81, p99: 5 }, [{ rate: 2_000, p99: 20, cpu: 60, others: 170 }], null, null);
    expect(judgeGoals(feed, naive)[2]).toMatchObject({ verdict: 'not judged', note: "0.81× naive's, but machine busy (other processes 170% CPU)" });
  });

  it('[B32] lost ticks miss a latency goal on a clean machine whatever the p99; rates not measured are not judged', () => {
    const feed = fanout('feed', { rate: 81, p99: 1, gaps: 2 }, [], null, null);
    const rows = judgeGoals(feed, undefined);
    expect(rows[0]).toMatchObject({ verdict: 'missed', note: '2 gap(s)' });
    expect(rows.slice(1).map((r) => r.verdict)).toEqual(['not judged', 'not judged', 'not judged', 'not judged']);
    expect(rows[1]).toMatchObject({ feed: 'not measured', naive: 'not measured', note: 'rate not measured' });
    expect(judgeGoals(undefined, undefined).every((r) => r.verdict === 'not judged')).toBe(true);
  });

  it('[B31] a goal rate measured before the ladder counts, the latest measurement of a rate wins', () => {
    const feed = fanout('feed', { rate: 81, p99: 5 }, [{ rate: 5_000, p99: 90 }], null, null);
    feed.atGoalRates = [step('feed', { rate: 2_000, p99: 15 })];
    expect(stepAt(feed, 2_000)?.latency.p99Ms).toBe(15);
    feed.steps.push(step('feed', { rate: 5_000, p99: 45 }));
    expect(stepAt(feed, 5_000)?.latency.p99Ms).toBe(45);
    expect(judgeGoals(feed, naive)[1]?.verdict).toBe('met');
  });

  it('[B46] with interleaved pairs the CPU goal is the median ratio of the clean pairs, each server its median figure', () => {
    const feed = fanout('feed', { rate: 81, p99: 5 }, [{ rate: 2_000, p99: 20, cpu: 60 }], null, null);
    // 40,000 deliveries/s: 30% CPU is 7.5 µs, 40% is 10 µs.
    const pairs = [
      cpuPairOf(step('feed', { rate: 2_000, p99: 20, cpu: 30 }), step('baseline', { rate: 2_000, p99: 4, cpu: 32 }), true),
      cpuPairOf(step('feed', { rate: 2_000, p99: 20, cpu: 28 }), step('baseline', { rate: 2_000, p99: 4, cpu: 40 }), false),
      cpuPairOf(step('feed', { rate: 2_000, p99: 20, cpu: 29 }), step('baseline', { rate: 2_000, p99: 4, cpu: 44 }), true),
    ];
    expect(pairs.map((p) => p.ratio?.toFixed(3))).toEqual(['0.938', '0.700', '0.659']);
    expect(medianRatio(pairs)).toBeCloseTo(0.7, 6);
    // The fan-out's own 2,000/s step (0.81× here) no longer judges the goal.
    const row = judgeGoals(feed, naive, undefined, pairs)[2]!;
    expect(row).toMatchObject({ verdict: 'met', naive: '10.0 µs/delivery', note: '' });
    expect(row.feed).toBe("7.3 µs/delivery (median 0.70× naive's over 3 of 3 interleaved pairs (0.94, 0.70, 0.66))");
    expect(judgeGoals(feed, naive, undefined, pairs.slice(0, 1))[2]).toMatchObject({ verdict: 'missed', note: "median 0.94× naive's" });
    // An even count: the mean of the middle two.
    expect(medianRatio(pairs.slice(0, 2))).toBeCloseTo((0.9375 + 0.7) / 2, 6);
  });

  it('[B46][B32] a disturbed pair or one with lost deliveries is not counted; none left: not judged', () => {
    const clean = cpuPairOf(step('feed', { rate: 2_000, p99: 20, cpu: 36 }), step('baseline', { rate: 2_000, p99: 4, cpu: 40 }), true);
    const busy = cpuPairOf(step('feed', { rate: 2_000, p99: 20, cpu: 10 }), step('baseline', { rate: 2_000, p99: 4, cpu: 40, others: 60 }), false);
    const lossy = cpuPairOf(step('feed', { rate: 2_000, p99: 20, cpu: 10, gaps: 3 }), step('baseline', { rate: 2_000, p99: 4, cpu: 40 }), true);
    expect(busy).toMatchObject({ ratio: 0.25, disturbed: 'machine busy (other processes 60% CPU)' });
    expect(lossy).toMatchObject({ ratio: null, disturbed: 'deliveries incomplete (3 gap(s))' });
    expect(medianRatio([clean, busy, lossy])).toBeCloseTo(0.9, 6);
    const row = judgeGoals(undefined, undefined, undefined, [clean, busy, lossy])[2]!;
    expect(row).toMatchObject({ verdict: 'missed', note: "median 0.90× naive's" });
    expect(row.feed).toContain('over 1 of 3 interleaved pairs (0.90, 0.25, -)');
    expect(judgeGoals(undefined, undefined, undefined, [busy, lossy])[2]).toMatchObject({
      verdict: 'not judged',
      note: 'no clean pair of 2: machine busy (other processes 60% CPU)',
    });
  });
});
