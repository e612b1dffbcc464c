import { createRandom } from '@tickfeed/protocol';
import { Distributions } from './distributions.js';
import type { FactorSpec, ModelParams } from './universe.js';
import { VolatilityProcess } from './volatility.js';

/** Grid step of market factors, seconds. */
export const FACTOR_STEP_SEC = 1;

/**
 * A market factor: a cumulative log-return F(t) on a 1-second grid, with its
 * own stochastic volatility and jumps, drawn from its own random stream. Its
 * path depends only on the seed and its name, so a symbol's path is the same
 * whichever other symbols are simulated. Queries must come in non-decreasing
 * time (the market model merges symbols in time order).
 */
export class FactorProcess {
  private readonly process: VolatilityProcess;
  private index = 0;
  private value = 0;

  constructor(name: string, spec: FactorSpec, params: ModelParams, seed: number) {
    const dist = new Distributions(createRandom(seed, `factor:${name}`));
    this.process = new VolatilityProcess(spec.vol, params, params.factorJumpsPerDay, dist);
  }

  /** The factor's log-volatility deviation at the last grid point reached by valueAt. */
  get volDeviation(): number {
    return this.process.z;
  }

  /** F at the grid point at or before t (seconds from the model's start); F(0) = 0. */
  valueAt(t: number): number {
    const target = Math.floor(t / FACTOR_STEP_SEC);
    while (this.index < target) {
      this.value += this.process.step(FACTOR_STEP_SEC, false);
      this.index++;
    }
    return this.value;
  }
}
