/**
 * A publisher's schedule at a constant rate (B2): tick k (0-based) is due at
 * startAt + (k + 1) / rate. Lag is how late the oldest due tick goes out.
 * Pure.
 */
export class RateSchedule {
  /** Ticks the run should publish in total. */
  readonly target: number;

  constructor(
    readonly rate: number,
    readonly startAt: number,
    readonly durationMs: number,
  ) {
    if (!(rate > 0)) throw new Error(`rate must be > 0, got ${rate}`);
    this.target = Math.floor((rate * durationMs) / 1000);
  }

  /** How many ticks should have gone out by `now`. */
  dueBy(now: number): number {
    if (now <= this.startAt) return 0;
    return Math.min(this.target, Math.floor(((now - this.startAt) * this.rate) / 1000));
  }

  /** When tick k became due, epoch ms. */
  dueAt(k: number): number {
    return this.startAt + ((k + 1) * 1000) / this.rate;
  }

  /** How late tick k goes out at `now`, ms (never negative). */
  lagOf(k: number, now: number): number {
    return Math.max(0, now - this.dueAt(k));
  }

  get endsAt(): number {
    return this.startAt + this.durationMs;
  }
}
