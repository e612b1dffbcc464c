import { describe, expect, it } from 'vitest';
import { createRandom, type RandomSource } from '@tickfeed/protocol';
import { DEFAULT_BACKOFF, backoffCeiling, backoffDelay, validateBackoff } from '../src/backoff.js';

const always = (value: number): RandomSource => ({ next: () => value });
const seeded = (seed: number): RandomSource => createRandom(seed, 'backoff');

const policy = { baseMs: 100, maxMs: 2_000, factor: 2, jitter: 0.5, maxAttempts: Number.POSITIVE_INFINITY };

describe('backoff policy', () => {
  it('[D1] grows exponentially from baseMs and is capped at maxMs', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffCeiling(policy, n))).toEqual([100, 200, 400, 800, 1600, 2000, 2000]);
    expect(backoffCeiling(policy, 10_000)).toBe(2000);
  });

  it('[D1] jitter spreads a delay over [ceiling * (1 - jitter), ceiling]', () => {
    expect(backoffDelay(policy, 3, always(0))).toBe(400);
    expect(backoffDelay(policy, 3, always(0.5))).toBe(300);
    expect(backoffDelay(policy, 3, always(0.999_999))).toBe(200);
    const random = seeded(7);
    for (let attempt = 1; attempt < 40; attempt++) {
      const delay = backoffDelay(policy, attempt, random);
      const ceiling = backoffCeiling(policy, attempt);
      expect(delay).toBeGreaterThanOrEqual(Math.round(ceiling * 0.5));
      expect(delay).toBeLessThanOrEqual(ceiling);
    }
  });

  it('[D1] a seeded random source reproduces every delay exactly', () => {
    const a = seeded(42);
    const b = seeded(42);
    const run = (random: RandomSource) => Array.from({ length: 10 }, (_, i) => backoffDelay(DEFAULT_BACKOFF, i + 1, random));
    expect(run(a)).toEqual(run(b));
    expect(new Set(run(seeded(1))).size).toBeGreaterThan(1);
  });

  it('[D1] a random source out of range is clamped, never producing NaN or negative delays', () => {
    expect(backoffDelay(policy, 1, always(Number.NaN))).toBe(100);
    expect(backoffDelay(policy, 1, always(5))).toBe(50);
    expect(backoffDelay(policy, 1, always(-1))).toBe(100);
  });

  it('[D1] rejects a policy that cannot produce sane delays', () => {
    expect(() => validateBackoff({ ...policy, factor: 0.5 })).toThrow(/factor/);
    expect(() => validateBackoff({ ...policy, jitter: 2 })).toThrow(/jitter/);
    expect(() => validateBackoff({ ...policy, maxMs: 10 })).toThrow(/maxMs/);
    expect(() => validateBackoff({ ...policy, maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(validateBackoff(policy)).toBe(policy);
  });
});
