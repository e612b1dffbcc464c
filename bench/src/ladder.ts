/**
 * The rate ladder (B5): climb geometrically from `start` until a rate fails,
 * then bisect between the highest pass and the lowest fail. Pure: the
 * measurement is injected, so the search is tested with fake servers.
 */
export interface LadderPlan {
  /** First rate tried, ticks/s. */
  start: number;
  /** Each climbing step multiplies the rate by this (> 1). */
  factor: number;
  /** Never try above this rate. */
  maxRate: number;
  /** Never try below this rate when the start fails and the ladder descends. */
  minRate: number;
  /** Stop bisecting once (fail - pass) / pass is at most this. */
  resolution: number;
  /** Rates are rounded to a multiple of this. */
  granularity: number;
  /** Hard cap on measurements (keeps --quick under its time budget). */
  maxSteps: number;
}

export interface LadderStep<M> {
  rate: number;
  pass: boolean;
  measurement: M;
}

export interface LadderResult<M> {
  steps: LadderStep<M>[];
  /** Highest rate that passed; null when none did. */
  sustained: number | null;
  /** Lowest rate that failed; null when every rate tried passed. */
  lowestFail: number | null;
  /** The measurement taken at `sustained`. */
  best: M | null;
}

export type MeasureRate<M> = (rate: number) => Promise<{ pass: boolean; measurement: M }>;

export async function runLadder<M>(plan: LadderPlan, measure: MeasureRate<M>): Promise<LadderResult<M>> {
  validatePlan(plan);
  const steps: LadderStep<M>[] = [];
  const best: { pass: { rate: number; measurement: M } | null; fail: number | null } = { pass: null, fail: null };
  const tried = new Set<number>();

  const attempt = async (rate: number): Promise<boolean> => {
    tried.add(rate);
    const r = await measure(rate);
    steps.push({ rate, pass: r.pass, measurement: r.measurement });
    if (r.pass) {
      if (!best.pass || rate > best.pass.rate) best.pass = { rate, measurement: r.measurement };
    } else if (best.fail === null || rate < best.fail) {
      best.fail = rate;
    }
    return r.pass;
  };

  // Climb from the start, or descend when the start already fails.
  let rate = roundRate(plan.start, plan);
  const startPassed = await attempt(rate);
  while (steps.length < plan.maxSteps) {
    const next = roundRate(startPassed ? rate * plan.factor : rate / plan.factor, plan);
    if (startPassed ? next > plan.maxRate : next < plan.minRate) break;
    if (next === rate || tried.has(next)) break;
    rate = next;
    const ok = await attempt(rate);
    if (ok !== startPassed) break;
  }

  // Bisect the bracket, if there is one.
  while (steps.length < plan.maxSteps) {
    const lo = best.pass?.rate ?? null;
    const hi = best.fail;
    if (lo === null || hi === null || hi <= lo) break;
    if ((hi - lo) / lo <= plan.resolution) break;
    const mid = roundRate((lo + hi) / 2, plan);
    if (mid <= lo || mid >= hi || tried.has(mid)) break;
    await attempt(mid);
  }

  return {
    steps,
    sustained: best.pass?.rate ?? null,
    lowestFail: best.fail,
    best: best.pass?.measurement ?? null,
  };
}

export function roundRate(rate: number, plan: Pick<LadderPlan, 'granularity' | 'minRate' | 'maxRate'>): number {
  const r = Math.round(rate / plan.granularity) * plan.granularity;
  return Math.max(plan.granularity, r);
}

function validatePlan(plan: LadderPlan): void {
  if (!(plan.factor > 1)) throw new Error(`ladder factor must be > 1, got ${plan.factor}`);
  if (!(plan.start > 0) || !(plan.granularity > 0)) throw new Error('ladder start and granularity must be > 0');
  if (!(plan.maxSteps >= 1)) throw new Error('ladder maxSteps must be >= 1');
}
