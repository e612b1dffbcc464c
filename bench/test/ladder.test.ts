import { describe, expect, it } from 'vitest';
import { runLadder, type LadderPlan } from '../src/ladder.js';
import { DEFAULT_CRITERIA, judgeStep, type StepEvidence } from '../src/verdict.js';

const plan: LadderPlan = { start: 2_000, factor: 2, maxRate: 200_000, minRate: 100, resolution: 0.05, granularity: 100, maxSteps: 20 };

/** A fake server that sustains anything up to `capacity`. */
function fakeServer(capacity: number) {
  const tried: number[] = [];
  const measure = async (rate: number) => {
    tried.push(rate);
    return { pass: rate <= capacity, measurement: { rate } };
  };
  return { tried, measure };
}

describe('rate ladder', () => {
  it('[B5] climbs geometrically, then bisects to within the resolution', async () => {
    const fake = fakeServer(13_700);
    const r = await runLadder(plan, fake.measure);
    expect(fake.tried.slice(0, 5)).toEqual([2_000, 4_000, 8_000, 16_000, 12_000]);
    expect(r.sustained).not.toBeNull();
    expect(r.sustained!).toBeLessThanOrEqual(13_700);
    expect(r.lowestFail!).toBeGreaterThan(13_700);
    expect((r.lowestFail! - r.sustained!) / r.sustained!).toBeLessThanOrEqual(plan.resolution);
    expect(r.best).toEqual({ rate: r.sustained });
    expect(new Set(fake.tried).size).toBe(fake.tried.length);
  });

  it('[B5] descends when the start already fails', async () => {
    const fake = fakeServer(700);
    const r = await runLadder(plan, fake.measure);
    expect(fake.tried.slice(0, 3)).toEqual([2_000, 1_000, 500]);
    expect(r.sustained!).toBeLessThanOrEqual(700);
    expect(r.sustained!).toBeGreaterThanOrEqual(600);
    expect(r.lowestFail!).toBeGreaterThan(700);
  });

  it('[B5] reports no sustained rate when even the minimum fails', async () => {
    const fake = fakeServer(10);
    const r = await runLadder(plan, fake.measure);
    expect(r.sustained).toBeNull();
    expect(r.best).toBeNull();
    expect(Math.min(...fake.tried)).toBeGreaterThanOrEqual(plan.minRate);
  });

  it('[B5] stops at maxRate when everything passes, and never exceeds maxSteps', async () => {
    const all = fakeServer(Number.POSITIVE_INFINITY);
    const r = await runLadder({ ...plan, maxRate: 20_000 }, all.measure);
    expect(all.tried).toEqual([2_000, 4_000, 8_000, 16_000]);
    expect(r.sustained).toBe(16_000);
    expect(r.lowestFail).toBeNull();

    const capped = fakeServer(13_700);
    const r2 = await runLadder({ ...plan, maxSteps: 3 }, capped.measure);
    expect(capped.tried).toEqual([2_000, 4_000, 8_000]);
    expect(r2.steps).toHaveLength(3);
    expect(r2.sustained).toBe(8_000);
  });

  it('[B5] rounds every rate to the granularity', async () => {
    const fake = fakeServer(3_333);
    await runLadder({ ...plan, start: 1_000, granularity: 250 }, fake.measure);
    for (const rate of fake.tried) expect(rate % 250).toBe(0);
  });
});

describe('step verdict', () => {
  const good: StepEvidence = {
    p99Ms: 40,
    publisherMaxLagMs: 8,
    published: 100_000,
    target: 100_000,
    delivered: 2_000_000,
    expected: 2_000_000,
    gaps: 0,
    duplicates: 0,
    disconnects: 0,
    rejected: 0,
  };

  it('[B4] passes a clean step', () => {
    expect(judgeStep(good)).toEqual({ pass: true, reasons: [] });
  });

  it.each([
    ['p99 at the limit', { p99Ms: 100 }, /p99/],
    ['one gap', { gaps: 1 }, /gap/],
    ['one duplicate', { duplicates: 1 }, /duplicate/],
    ['a lost client', { disconnects: 1 }, /disconnected/],
    ['a rejected tick', { rejected: 1 }, /rejected/],
    ['publisher lag', { publisherMaxLagMs: 100 }, /publisher lag/],
    ['publishing behind target', { published: 97_999 }, /published 98\.0%|published 97/],
    ['deliveries missing', { delivered: 1_959_999 }, /delivered/],
    ['nothing expected', { expected: 0, delivered: 0 }, /measured nothing/],
  ] as const)('[B4] fails on %s', (_, change, reason) => {
    const v = judgeStep({ ...good, ...change }, DEFAULT_CRITERIA);
    expect(v.pass).toBe(false);
    expect(v.reasons.join('\n')).toMatch(reason);
  });

  it('[B4] accepts exactly 98% published and delivered', () => {
    expect(judgeStep({ ...good, published: 98_000, delivered: 1_960_000 }).pass).toBe(true);
  });
});
