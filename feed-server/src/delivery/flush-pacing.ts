/**
 * When the fan-out flushes (SPEC R35): latency first. A flush starts as soon
 * as there is something to send and the previous flush is done, so an idle
 * server delivers a tick on the next turn of the event loop; under load the
 * batch is whatever arrived while the previous flush ran, and frames grow by
 * themselves instead of multiplying (smart batching). `minGapMs` (the
 * FLUSH_INTERVAL_MS setting, 0 by default) keeps the starts of two flushes at
 * least that far apart, for deployments that trade latency for bigger frames.
 *
 * Pure: no timers. The fan-out reports work and the start and end of each
 * flush; the answer is the delay before the next flush should start, or null
 * when none should be scheduled now (one is already due or running: the work
 * waits for it, or for the one after it).
 */
export class FlushPacer {
  private scheduled = false;
  private running = false;
  private lastStart = Number.NEGATIVE_INFINITY;

  constructor(private readonly minGapMs: number) {}

  /** A flush is due or running: new work needs no scheduling. */
  get busy(): boolean {
    return this.scheduled || this.running;
  }

  /** Something arrived to send at `now` (ms): the delay before a flush, or null when one is already due or running. */
  onWork(now: number): number | null {
    if (this.scheduled || this.running) return null;
    this.scheduled = true;
    return this.delay(now);
  }

  /** The scheduled flush starts at `now`. */
  onStart(now: number): void {
    this.scheduled = false;
    this.running = true;
    this.lastStart = now;
  }

  /** The flush ended at `now`; `pending` says whether work arrived while it ran: then the delay before the next one. */
  onEnd(now: number, pending: boolean): number | null {
    this.running = false;
    if (!pending) return null;
    this.scheduled = true;
    return this.delay(now);
  }

  private delay(now: number): number {
    return Math.max(0, this.lastStart + this.minGapMs - now);
  }
}
