import type { Clock, TimerHandle } from '../../src/clock.js';

interface Timer {
  id: number;
  due: number;
  fn: () => void;
}

/**
 * A clock the test moves by hand. advance() fires due timers in time order
 * and, after each, lets every pending microtask and immediate run (the code
 * under test uses no I/O in these tests), so when it returns the code is
 * blocked on the clock or on the fake port again: no sleeps, no guessing.
 */
export class ManualClock implements Clock {
  private current: number;
  private timers: Timer[] = [];
  private nextId = 1;

  constructor(start = Date.UTC(2024, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { id: this.nextId++, due: this.current + Math.max(0, ms), fn };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  /** Moves time forward by ms, firing timers as their time comes. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      await settle();
      const next = this.timers.filter((t) => t.due <= target).sort((a, b) => a.due - b.due || a.id - b.id)[0];
      if (next === undefined) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.current = next.due;
      next.fn();
    }
    this.current = target;
    await settle();
  }

  get pendingTimers(): number {
    return this.timers.length;
  }
}

/** Lets all queued microtasks and immediates run, a few rounds deep. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
