import type { RandomSource } from '@tickfeed/protocol';

/*
 * The model's distributions over the project's one seeded generator
 * (@tickfeed/protocol's sfc32 with named streams). No Math.random() anywhere
 * in the simulator: every random draw comes from a stream of the seed.
 */

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
