import { describe, expect, it } from 'vitest';
import { createRandom, hash128 } from '@tickfeed/protocol';
import { Distributions } from '../src/distributions.js';

describe('seeded random source', () => {
  it('[S1] the same seed and stream give the same sequence; another seed or stream a different one', () => {
    const draw = (seed: number, stream: string) => {
      const r = createRandom(seed, stream);
      return Array.from({ length: 1_000 }, () => r.nextUint32());
    };
    expect(draw(42, 'symbol:AAPL')).toEqual(draw(42, 'symbol:AAPL'));
    expect(draw(42, 'symbol:AAPL')).not.toEqual(draw(43, 'symbol:AAPL'));
    expect(draw(42, 'symbol:AAPL')).not.toEqual(draw(42, 'symbol:MSFT'));
  });

  it('[S1] the sfc32 stream and the seed hash are pinned (a change would silently change every seeded run)', () => {
    expect(hash128('42:symbol:AAPL')).toEqual(hash128('42:symbol:AAPL'));
    const r = createRandom(1, 'pin');
    const first = Array.from({ length: 4 }, () => r.nextUint32());
    expect(first).toEqual([3898769667, 2757494257, 3426485362, 825923361]);
  });

  it('[S1] uniforms lie in the open interval (0, 1) with mean 1/2; normals and t4 draws have unit variance', () => {
    const d = new Distributions(createRandom(7, 'moments'));
    const n = 200_000;
    let min = 1;
    let max = 0;
    let sum = 0;
    let sumN = 0;
    let sumN2 = 0;
    let sumT2 = 0;
    for (let i = 0; i < n; i++) {
      const u = d.uniform();
      min = Math.min(min, u);
      max = Math.max(max, u);
      sum += u;
      const z = d.normal();
      sumN += z;
      sumN2 += z * z;
      const t = d.studentT4();
      sumT2 += t * t;
    }
    expect(min).toBeGreaterThan(0);
    expect(max).toBeLessThan(1);
    expect(sum / n).toBeCloseTo(0.5, 2);
    expect(sumN / n).toBeCloseTo(0, 1);
    expect(sumN2 / n).toBeCloseTo(1, 1);
    // t4 has infinite kurtosis, so its sample variance converges slowly: a loose bound.
    expect(sumT2 / n).toBeGreaterThan(0.85);
    expect(sumT2 / n).toBeLessThan(1.15);
  });

  it('[S4] power-law sizes: P(X >= k) is about k^-alpha and the cap holds', () => {
    const d = new Distributions(createRandom(3, 'sizes'));
    const n = 100_000;
    let atLeast10 = 0;
    let max = 0;
    let min = Infinity;
    for (let i = 0; i < n; i++) {
      const x = d.powerLawInt(1.6, 500);
      min = Math.min(min, x);
      if (x >= 10) atLeast10++;
      max = Math.max(max, x);
    }
    expect(atLeast10 / n).toBeGreaterThan(0.8 * 10 ** -1.6);
    expect(atLeast10 / n).toBeLessThan(1.2 * 10 ** -1.6);
    expect(min).toBe(1);
    expect(max).toBe(500);
  });
});
