import type { Tick } from '@tickfeed/protocol';

/** A tick with its JSON text, serialized once at ingest and reused for every delivery. */
export interface StoredTick {
  readonly tick: Tick;
  readonly json: string;
}

/**
 * The last `capacity` ticks of one symbol and epoch, addressed by seq. Seqs in
 * an epoch are contiguous, so a slot is seq % capacity and lookups are O(1).
 */
export class TickRing {
  private readonly slots: (StoredTick | undefined)[];
  private first = 0;
  private last = 0;

  constructor(readonly capacity: number) {
    this.slots = new Array<StoredTick | undefined>(capacity);
  }

  /** Seq of the oldest tick held (0 when empty). */
  get firstSeq(): number {
    return this.first;
  }

  /** Seq of the newest tick held (0 when empty). */
  get lastSeq(): number {
    return this.last;
  }

  get size(): number {
    return this.last === 0 ? 0 : this.last - this.first + 1;
  }

  /** Appends the tick numbered lastSeq + 1 (or any seq when empty). */
  push(entry: StoredTick): void {
    const seq = entry.tick.seq;
    if (this.last !== 0 && seq !== this.last + 1) {
      throw new Error(`TickRing.push: seq ${seq} does not follow ${this.last}`);
    }
    this.slots[seq % this.capacity] = entry;
    if (this.last === 0) this.first = seq;
    this.last = seq;
    if (this.last - this.first + 1 > this.capacity) this.first = this.last - this.capacity + 1;
  }

  /**
   * Every tick with seq > after, oldest first, at most `limit` of them; or null
   * when some of those ticks are no longer held (the caller must start over).
   */
  after(after: number, limit = Number.MAX_SAFE_INTEGER): StoredTick[] | null {
    if (after >= this.last) return [];
    if (this.last === 0 || after + 1 < this.first) return null;
    const out: StoredTick[] = [];
    const end = Math.min(this.last, after + limit);
    for (let seq = after + 1; seq <= end; seq++) out.push(this.slots[seq % this.capacity]!);
    return out;
  }

  /** The newest `limit` ticks, oldest first. */
  latest(limit: number): StoredTick[] {
    if (this.last === 0) return [];
    const from = Math.max(this.first, this.last - limit + 1);
    return this.after(from - 1) ?? [];
  }

  clear(): void {
    this.slots.fill(undefined);
    this.first = 0;
    this.last = 0;
  }
}
