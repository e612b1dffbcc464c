import type { Tick } from '@tickfeed/protocol';

/** A tick with its JSON text, serialized once at ingest and reused for every delivery. */
export interface StoredTick {
  readonly tick: Tick;
  readonly json: string;
}

/** The stored form back: for the paths (REST, shared-store repair) that need the tick's fields. */
export function parseStored(json: string): StoredTick {
  return { tick: JSON.parse(json) as Tick, json };
}

const INITIAL_BYTES = 4_096;
const INITIAL_SLOTS = 32;

/**
 * The last `capacity` ticks of one symbol and epoch, as JSON texts addressed
 * by seq (seqs in an epoch are contiguous, so lookups are O(1)).
 *
 * The texts live as UTF-8 bytes in one growable circular buffer, outside
 * the JS heap: with 10,000 ticks of history for each of hundreds of symbols,
 * a heap object (or several) per tick means millions of objects for every
 * major GC to mark, and every tick would be promoted to old space and later
 * collected there; both showed as delivery stalls of 100 ms and more.
 * Texts are decoded again only when history is read (resume, REST).
 */
export class TickRing {
  private bytes: Buffer | null = null;
  /** Byte offset and length of each held tick, at slot seq % slots. */
  private starts = new Int32Array(0);
  private lengths = new Int32Array(0);
  private first = 0;
  private last = 0;
  /** Where the newest tick ends in `bytes`. */
  private end = 0;
  private bytesHeld = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`TickRing: capacity must be a positive integer, got ${capacity}`);
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
  push(seq: number, json: string): void {
    if (this.last !== 0 && seq !== this.last + 1) {
      throw new Error(`TickRing.push: seq ${seq} does not follow ${this.last}`);
    }
    const length = Buffer.byteLength(json);
    if (this.size === this.capacity) this.dropOldest();
    let at = this.placeFor(length);
    while (at < 0) {
      if (this.size < this.capacity) this.grow(length);
      else this.dropOldest();
      at = this.placeFor(length);
    }
    if (this.last === 0) this.first = seq;
    this.last = seq;
    if (this.size > this.starts.length) this.growSlots();
    const bytes = this.bytes!;
    bytes.write(json, at, length, 'utf8');
    const slot = seq % this.starts.length;
    this.starts[slot] = at;
    this.lengths[slot] = length;
    this.end = at + length;
    this.bytesHeld += length;
  }

  /** Whether every tick with seq > after is still held (what `after` would return without null), without reading them. */
  holdsAfter(after: number): boolean {
    return after >= this.last || (this.last !== 0 && after + 1 >= this.first);
  }

  /**
   * The JSON texts of every tick with seq > after, oldest first, at most
   * `limit` of them; or null when some of those ticks are no longer held
   * (the caller must start over).
   */
  after(after: number, limit = Number.MAX_SAFE_INTEGER): string[] | null {
    if (after >= this.last) return [];
    if (this.last === 0 || after + 1 < this.first) return null;
    const end = Math.min(this.last, after + limit);
    const bytes = this.bytes!;
    const slots = this.starts.length;
    const out: string[] = [];
    for (let seq = after + 1; seq <= end; seq++) {
      const slot = seq % slots;
      const start = this.starts[slot]!;
      out.push(bytes.toString('utf8', start, start + this.lengths[slot]!));
    }
    return out;
  }

  /** The JSON texts of the newest `limit` ticks, oldest first. */
  latest(limit: number): string[] {
    if (this.last === 0) return [];
    const from = Math.max(this.first, this.last - limit + 1);
    return this.after(from - 1) ?? [];
  }

  clear(): void {
    this.bytes = null;
    this.starts = new Int32Array(0);
    this.lengths = new Int32Array(0);
    this.first = 0;
    this.last = 0;
    this.end = 0;
    this.bytesHeld = 0;
  }

  /** Where `length` bytes fit after the newest tick without touching held ones; -1 when they do not. */
  private placeFor(length: number): number {
    const bytes = this.bytes;
    if (bytes === null) return -1;
    if (this.last === 0) return length <= bytes.length ? 0 : -1;
    const start = this.starts[this.first % this.starts.length]!;
    if (this.end > start) {
      // Held bytes are [start, end): free space is after end, then before start.
      if (this.end + length <= bytes.length) return this.end;
      return length < start ? 0 : -1;
    }
    // Held bytes wrap around: free space is [end, start).
    return this.end + length < start ? this.end : -1;
  }

  private dropOldest(): void {
    this.bytesHeld -= this.lengths[this.first % this.starts.length]!;
    if (this.first === this.last) {
      this.first = 0;
      this.last = 0;
      this.end = 0;
      this.bytesHeld = 0;
      return;
    }
    this.first++;
  }

  /** A larger buffer with the held ticks moved to its start, sized for `capacity` ticks of the average length seen. */
  private grow(incoming: number): void {
    const current = this.bytes?.length ?? 0;
    const held = this.size;
    const average = held === 0 ? incoming : this.bytesHeld / held;
    const target = Math.ceil(average * this.capacity * 1.1) + incoming;
    const size = Math.max(INITIAL_BYTES, current + incoming, Math.min(current * 2, target));
    const next = Buffer.allocUnsafeSlow(size);
    let at = 0;
    if (held > 0) {
      const old = this.bytes!;
      for (let seq = this.first; seq <= this.last; seq++) {
        const slot = seq % this.starts.length;
        const start = this.starts[slot]!;
        const length = this.lengths[slot]!;
        old.copy(next, at, start, start + length);
        this.starts[slot] = at;
        at += length;
      }
    }
    this.bytes = next;
    this.end = at;
  }

  private growSlots(): void {
    const count = Math.min(this.capacity, Math.max(INITIAL_SLOTS, this.starts.length * 2));
    const starts = new Int32Array(count);
    const lengths = new Int32Array(count);
    const old = this.starts.length;
    // The newest seq is already counted in size but not yet stored; move the held ones.
    for (let seq = this.first; seq < this.last; seq++) {
      starts[seq % count] = this.starts[seq % old]!;
      lengths[seq % count] = this.lengths[seq % old]!;
    }
    this.starts = starts;
    this.lengths = lengths;
  }
}
