import { performance } from 'node:perf_hooks';

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

/**
 * FlushPacer on real timers: a fan-out calls `request()` when it has
 * something to send, and the loop calls `run` when a flush should start;
 * `run` calls `done(pending)` when that flush ended (at once, or after it
 * yielded to the event loop), saying whether work arrived meanwhile.
 */
export class FlushLoop {
  private readonly pacer: FlushPacer;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private started = false;
  private stopped = false;

  constructor(
    minGapMs: number,
    private readonly run: () => void,
  ) {
    this.pacer = new FlushPacer(minGapMs);
  }

  /** A flush is due or running: work queued now is taken by it or the one after it. */
  get busy(): boolean {
    return this.pacer.busy;
  }

  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    // The first flush keeps the gap from start-up too, like any later one.
    const now = performance.now();
    this.pacer.onStart(now);
    this.pacer.onEnd(now, false);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }

  /** There is something to send: start a flush unless one is due or running. */
  request(): void {
    if (!this.started || this.stopped || this.pacer.busy) return;
    this.schedule(this.pacer.onWork(performance.now()));
  }

  /** The flush `run` started has ended; `pending`: something arrived to send meanwhile. */
  done(pending: boolean): void {
    this.schedule(this.pacer.onEnd(performance.now(), pending));
  }

  private schedule(delayMs: number | null): void {
    if (delayMs === null || this.stopped) return;
    const flush = () => {
      this.timer = undefined;
      this.immediate = undefined;
      this.pacer.onStart(performance.now());
      this.run();
    };
    // setImmediate, not a 0 ms timer: I/O (ingest) that arrived meanwhile runs first, and no 1 ms timer floor.
    if (delayMs <= 0) this.immediate = setImmediate(flush);
    else this.timer = setTimeout(flush, delayMs);
  }
}
