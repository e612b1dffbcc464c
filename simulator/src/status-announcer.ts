import type { FeedStatus, IngestPort } from '@tickfeed/protocol';
import type { Clock, TimerHandle } from './clock.js';

/** How often the status is repeated while a feed plays, ms. */
export const STATUS_INTERVAL_MS = 1_000;

/**
 * Sends the feed's status through the port whenever the runner says it
 * changed, and about once a second while it plays (the replay clock moves).
 * A marker (completed, looped, seeked) goes out once, on the status sent at
 * that moment.
 */
export class StatusAnnouncer {
  private timer: TimerHandle | null = null;
  private stopped = false;
  private lastSent: FeedStatus | null = null;

  constructor(
    private readonly port: IngestPort,
    private readonly clock: Clock,
    private readonly build: () => FeedStatus,
  ) {}

  get last(): FeedStatus | null {
    return this.lastSent;
  }

  /** Sends the current status now, with a marker if given, and restarts the periodic timer. */
  announce(marker: FeedStatus['marker'] = null): FeedStatus {
    const status = { ...this.build(), marker };
    this.lastSent = status;
    if (!this.stopped) {
      this.port.status(status);
      this.schedule();
    }
    return status;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      if (this.stopped) return;
      // Paused or ended: nothing moves; the next change announces (and re-arms) again.
      if (this.build().state === 'playing') this.announce();
    }, STATUS_INTERVAL_MS);
  }
}
