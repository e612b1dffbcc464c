import type { RandomSource } from '@tickfeed/protocol';

/**
 * Reconnect delay policy: exponential backoff with jitter, pure. The random
 * source (the protocol's RandomSource) is injected so a test (or a seed)
 * reproduces every delay exactly.
 */
export interface BackoffPolicy {
  /** Delay before the first retry, ms (before jitter). Default 250. */
  readonly baseMs: number;
  /** Upper bound of any delay, ms (before jitter). Default 10,000. */
  readonly maxMs: number;
  /** Growth per attempt. Default 2. */
  readonly factor: number;
  /**
   * Share of the delay that is randomized, 0..1. With 0.5 a delay d becomes a
   * uniform value in [d/2, d]: clients that lost the same server spread out
   * instead of coming back in lockstep. Default 0.5.
   */
  readonly jitter: number;
  /** Attempts after which the client gives up and goes offline. Default Infinity. */
  readonly maxAttempts: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = Object.freeze({
  baseMs: 250,
  maxMs: 10_000,
  factor: 2,
  jitter: 0.5,
  maxAttempts: Number.POSITIVE_INFINITY,
});

/** Capped exponential delay of retry number `attempt` (1-based), before jitter. */
export function backoffCeiling(policy: BackoffPolicy, attempt: number): number {
  const exponent = Math.max(0, attempt - 1);
  // Bound the exponent so factor ** exponent never overflows to Infinity * 0 = NaN.
  const raw = policy.baseMs * Math.pow(policy.factor, Math.min(exponent, 64));
  return Math.min(policy.maxMs, raw);
}

/** Delay before retry number `attempt` (1-based), jittered; always within [ceiling * (1 - jitter), ceiling]. */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: RandomSource): number {
  const ceiling = backoffCeiling(policy, attempt);
  const r = clamp01(random.next());
  return Math.round(ceiling * (1 - policy.jitter * r));
}

/** Checks a policy once at construction so a bad option fails loudly, not as NaN delays. */
export function validateBackoff(policy: BackoffPolicy): BackoffPolicy {
  const { baseMs, maxMs, factor, jitter, maxAttempts } = policy;
  if (!(baseMs >= 0 && Number.isFinite(baseMs))) throw new RangeError(`backoff.baseMs must be a finite number >= 0, got ${baseMs}`);
  if (!(maxMs >= baseMs && Number.isFinite(maxMs))) throw new RangeError(`backoff.maxMs must be finite and >= baseMs, got ${maxMs}`);
  if (!(factor >= 1 && Number.isFinite(factor))) throw new RangeError(`backoff.factor must be a finite number >= 1, got ${factor}`);
  if (!(jitter >= 0 && jitter <= 1)) throw new RangeError(`backoff.jitter must be within 0..1, got ${jitter}`);
  if (!(maxAttempts >= 1)) throw new RangeError(`backoff.maxAttempts must be >= 1, got ${maxAttempts}`);
  return policy;
}

function clamp01(value: number): number {
  if (!(value >= 0)) return 0;
  return value >= 1 ? 0.999_999 : value;
}
