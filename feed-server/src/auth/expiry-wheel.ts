/**
 * Deadlines bucketed by `resolutionMs`, for one shared sweep instead of a
 * timer per connection. A sweep visits only the buckets that came due since
 * the last one, so its cost is the elapsed buckets plus the items expiring.
 * The clock is the caller's (epoch ms), so the wheel is pure and testable.
 */
export class ExpiryWheel<T> {
  private readonly buckets = new Map<number, Set<T>>();
  private readonly bucketOf = new Map<T, number>();
  private cursor: number;

  constructor(
    private readonly resolutionMs: number,
    startMs: number,
  ) {
    this.cursor = Math.floor(startMs / resolutionMs);
  }

  get size(): number {
    return this.bucketOf.size;
  }

  /** Sets (or moves) the item's deadline; one already past is due at the next sweep. */
  schedule(item: T, atMs: number): void {
    this.cancel(item);
    const key = Math.max(this.cursor, Math.floor(atMs / this.resolutionMs));
    let bucket = this.buckets.get(key);
    if (bucket === undefined) this.buckets.set(key, (bucket = new Set()));
    bucket.add(item);
    this.bucketOf.set(item, key);
  }

  cancel(item: T): void {
    const key = this.bucketOf.get(item);
    if (key === undefined) return;
    this.bucketOf.delete(item);
    const bucket = this.buckets.get(key)!;
    bucket.delete(item);
    if (bucket.size === 0) this.buckets.delete(key);
  }

  /** Removes and returns every item whose deadline is at or before `nowMs` (to the wheel's resolution). */
  takeDue(nowMs: number): T[] {
    const due: T[] = [];
    // A deadline inside the current bucket may still lie ahead: that bucket is taken only once it is over.
    const last = Math.floor(nowMs / this.resolutionMs) - 1;
    for (; this.cursor <= last; this.cursor++) {
      const bucket = this.buckets.get(this.cursor);
      if (bucket === undefined) continue;
      this.buckets.delete(this.cursor);
      for (const item of bucket) {
        this.bucketOf.delete(item);
        due.push(item);
      }
    }
    return due;
  }
}
