import type { Distributions } from './distributions.js';
import type { ModelParams } from './universe.js';

/** Seconds in the model's year: 365 days of 24 h of continuous trading. */
export const SECONDS_PER_YEAR = 365 * 86_400;

/**
 * Stochastic volatility with jumps, in continuous time, for one return process
 * (a market factor or a symbol's idiosyncratic part):
 *
 *   dX = σ_t dW − ½σ_t² dt + J dN
 *   σ_t = exp(μ + A·tanh(y_t)),   y_t = √(1−w)·z_t + √w·c_t
 *   dz = −κ z dt + √(2κ) dB,      κ = ln 2 / half-life   (z stationary N(0, 1))
 *   N: Poisson with rate λ, J ~ Normal(0, σ_J²)
 *
 * z is an Ornstein-Uhlenbeck process stepped exactly over any Δt, so the law
 * of the path does not depend on how often it is sampled. c_t is the factor's
 * own z (weight w): volatility moves together across symbols. The tanh keeps
 * ln σ within μ ± A: a bounded volatility gives strong volatility clustering
 * for little variance of σ², which keeps the sample autocorrelation of raw
 * returns close to zero; the fat tails come from the jumps. μ and σ_J are set
 * so that the long-run variance of X per unit time is vol²: a share
 * `jumpShare` from jumps, the rest diffusive (E[e^{2A·tanh(Y)}] is integrated
 * numerically once per process).
 */
export class VolatilityProcess {
  /** Own unit OU state. */
  z: number;
  /** Log-volatility (per √second) at the last step. */
  h: number;
  readonly mu: number;
  private readonly amplitude: number;
  private readonly kappa: number;
  private readonly jumpRate: number;
  private readonly jumpSd: number;
  private readonly ownWeight: number;
  private readonly commonWeight: number;

  /** @param commonWeight w: share of the volatility state that comes from the common (factor) state. */
  constructor(
    annualVol: number,
    params: ModelParams,
    jumpsPerDay: number,
    private readonly dist: Distributions,
    commonWeight = 0,
  ) {
    const totalVarPerSec = (annualVol * annualVol) / SECONDS_PER_YEAR;
    const jumpShare = jumpsPerDay > 0 ? params.jumpShare : 0;
    this.amplitude = params.volOfVol;
    this.kappa = Math.LN2 / (params.volHalfLifeMin * 60);
    this.jumpRate = jumpsPerDay / 86_400;
    this.jumpSd = this.jumpRate > 0 ? Math.sqrt((jumpShare * totalVarPerSec) / this.jumpRate) : 0;
    this.ownWeight = Math.sqrt(1 - commonWeight);
    this.commonWeight = Math.sqrt(commonWeight);
    this.mu = 0.5 * Math.log(((1 - jumpShare) * totalVarPerSec) / meanExpTanh(2 * this.amplitude));
    // Start from the stationary law so a run has no warm-up transient.
    this.z = dist.normal();
    this.h = this.mu + this.amplitude * Math.tanh(this.ownWeight * this.z);
  }

  /** Volatility relative to its median level. */
  get relativeVol(): number {
    return Math.exp(this.h - this.mu);
  }

  /**
   * Advances by dt seconds and returns the log-return over the step.
   * @param common the common OU state (the factor's z) at the end of the step.
   */
  step(dt: number, heavyTails: boolean, common = 0): number {
    const a = Math.exp(-this.kappa * dt);
    this.z = this.z * a + Math.sqrt(1 - a * a) * this.dist.normal();
    this.h = this.mu + this.amplitude * Math.tanh(this.ownWeight * this.z + this.commonWeight * common);
    const sigma = Math.exp(this.h);
    const shock = heavyTails ? this.dist.studentT4() : this.dist.normal();
    let r = sigma * Math.sqrt(dt) * shock - 0.5 * sigma * sigma * dt;
    if (this.jumpRate > 0 && this.dist.uniform() < 1 - Math.exp(-this.jumpRate * dt)) {
      r += this.jumpSd * this.dist.normal();
    }
    return r;
  }
}

/** E[exp(c·tanh(Y))] for Y ~ N(0, 1), by the midpoint rule on [-8, 8]. */
export function meanExpTanh(c: number): number {
  const steps = 1_600;
  const width = 16 / steps;
  let sum = 0;
  for (let i = 0; i < steps; i++) {
    const y = -8 + (i + 0.5) * width;
    sum += Math.exp(c * Math.tanh(y) - 0.5 * y * y);
  }
  return (sum * width) / Math.sqrt(2 * Math.PI);
}
