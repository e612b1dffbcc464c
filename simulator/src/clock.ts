/** Time as the simulator sees it; injected so tests can drive it by hand. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Opaque handle of a pending timer. */
export type TimerHandle = unknown;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * A wait that something else can cut short: the replay loop sleeps until the
 * next tape record is due, and a control command (pause, seek, speed) or
 * stop() wakes it at once.
 */
export class Waker {
  private pending: (() => void) | null = null;
  private timer: TimerHandle | null = null;
  private woken = false;

  constructor(private readonly clock: Clock) {}

  /** Resolves after `ms` (never when ms is Infinity), or at the next wake(). */
  wait(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      this.pending = resolve;
      if (Number.isFinite(ms)) this.timer = this.clock.setTimeout(() => this.fire(), Math.max(0, ms));
    });
  }

  /** Ends the current wait, or makes the next one return at once. */
  wake(): void {
    if (this.pending === null) this.woken = true;
    else this.fire();
  }

  private fire(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    const resolve = this.pending;
    this.pending = null;
    resolve?.();
  }
}
