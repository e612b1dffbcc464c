/**
 * Samples over a sliding time window (e.g. the last 5 s), for the status bar:
 * median latency and ticks per second. Time is passed in, never read here.
 */
export class RollingWindow {
  private times: number[] = [];
  private values: number[] = [];
  private head = 0;

  constructor(readonly windowMs: number) {}

  add(now: number, value: number): void {
    this.times.push(now);
    this.values.push(value);
  }

  /** Drops samples older than the window; compacts now and then so memory stays bounded. */
  prune(now: number): void {
    const cutoff = now - this.windowMs;
    while (this.head < this.times.length && this.times[this.head]! < cutoff) this.head++;
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.values = this.values.slice(this.head);
      this.head = 0;
    }
  }

  count(now: number): number {
    this.prune(now);
    return this.times.length - this.head;
  }

  sum(now: number): number {
    this.prune(now);
    let total = 0;
    for (let i = this.head; i < this.values.length; i++) total += this.values[i]!;
    return total;
  }

  /** Median of the values in the window, or null when empty. */
  median(now: number): number | null {
    this.prune(now);
    const live = this.values.slice(this.head);
    if (live.length === 0) return null;
    live.sort((a, b) => a - b);
    const mid = live.length >> 1;
    return live.length % 2 === 1 ? live[mid]! : (live[mid - 1]! + live[mid]!) / 2;
  }
}

/** Seconds since the last update, when it is stale (older than thresholdMs); else null. */
export function staleSeconds(lastUpdateAt: number, now: number, thresholdMs: number): number | null {
  if (lastUpdateAt <= 0) return null;
  const age = now - lastUpdateAt;
  return age > thresholdMs ? Math.floor(age / 1000) : null;
}
