/**
 * Token bucket: `burst` requests at once, refilled at `ratePerSec`.
 * The clock is injected (milliseconds), so the policy is testable exactly.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly burst: number,
    private readonly ratePerSec: number,
    private readonly now: () => number,
  ) {
    this.tokens = burst;
    this.updatedAt = now();
  }

  /** Takes `cost` tokens (default one); false when fewer are left (the request is over the rate). */
  take(cost = 1): boolean {
    const now = this.now();
    const elapsed = Math.max(0, now - this.updatedAt);
    this.updatedAt = now;
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.ratePerSec) / 1000);
    if (this.tokens < cost) return false;
    this.tokens -= cost;
    return true;
  }
}
