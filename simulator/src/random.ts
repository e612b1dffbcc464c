/**
 * Seeded pseudo-random numbers: sfc32 (Chris Doty-Humphrey's Small Fast
 * Counting generator, 128-bit state, passes PractRand to 2^45+ bytes), seeded
 * from a string hash so each named stream (`seed:symbol:AAPL`) is independent.
 * No Math.random() anywhere in the simulator: every random draw comes from here.
 */
export interface RandomSource {
  /** Uniform in the open interval (0, 1), 32 bits of resolution. */
  next(): number;
}

const TWO_POW_32 = 4_294_967_296;

export class Sfc32 implements RandomSource {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(a: number, b: number, c: number, d: number) {
    this.a = a >>> 0;
    this.b = b >>> 0;
    this.c = c >>> 0;
    this.d = d >>> 0;
    // Mix the state away from the seed before the first draw.
    for (let i = 0; i < 15; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  next(): number {
    // Centre of the 2^-32 cell: never exactly 0 or 1, so log(u) is always finite.
    return (this.nextUint32() + 0.5) / TWO_POW_32;
  }
}

/** cyrb128: a fast 128-bit string hash, used only to derive generator state from a seed and stream name. */
export function hash128(text: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/** A generator for one named stream of one seed; the same (seed, stream) always gives the same sequence. */
export function createRandom(seed: number, stream: string): Sfc32 {
  const [a, b, c, d] = hash128(`${seed}:${stream}`);
  return new Sfc32(a, b, c, d);
}

/**
 * Distributions over a RandomSource. Kept as a class holding the spare
 * Box-Muller normal so a normal costs one log, one sqrt and one sin/cos.
 */
export class Distributions {
  private spare = 0;
  private hasSpare = false;

  constructor(readonly source: RandomSource) {}

  uniform(): number {
    return this.source.next();
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    const r = Math.sqrt(-2 * Math.log(this.source.next()));
    const theta = 2 * Math.PI * this.source.next();
    this.spare = r * Math.sin(theta);
    this.hasSpare = true;
    return r * Math.cos(theta);
  }

  /** Exponential with the given rate (mean 1/rate). */
  exponential(rate: number): number {
    return -Math.log(this.source.next()) / rate;
  }

  /**
   * Student-t with 4 degrees of freedom, scaled to unit variance. With ν = 4
   * the chi-square denominator is -2·ln(u1·u2), so a draw costs one normal and
   * one log; its tails are those of real tick returns (power law, index ≈ 4).
   */
  studentT4(): number {
    const chi2 = -2 * Math.log(this.source.next() * this.source.next());
    // Var(t4) = ν/(ν-2) = 2, hence the 1/√2.
    return (this.normal() / Math.sqrt(chi2 / 4)) * Math.SQRT1_2;
  }

  /**
   * Discrete power law on 1, 2, 3, ...: P(X ≥ k) ≈ k^-alpha, capped at `max`.
   * Heavy-tailed trade sizes in lots.
   */
  powerLawInt(alpha: number, max: number): number {
    const x = Math.floor(Math.pow(this.source.next(), -1 / alpha));
    return x > max ? max : x;
  }

  /** Bernoulli with probability p. */
  chance(p: number): boolean {
    return this.source.next() < p;
  }
}
