import type { BookChange } from '@tickfeed/protocol';

/** One applied book message: what it changed (enough to undo it) and the checksum after it. */
export interface BookHistoryEntry {
  readonly seq: number;
  readonly ts: number;
  readonly change: BookChange;
  readonly checksum: number;
}

/**
 * The last `capacity` updates of one book and epoch, addressed by seq (seqs
 * are contiguous, so lookups are O(1)). A resume reads it backwards from the
 * current book to the client's seq, then forwards at the client's depth.
 */
export class BookHistory {
  private slots: (BookHistoryEntry | undefined)[] = [];
  private first = 0;
  private last = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`BookHistory: capacity must be a positive integer, got ${capacity}`);
  }

  get firstSeq(): number {
    return this.first;
  }

  get lastSeq(): number {
    return this.last;
  }

  /** Appends the entry numbered lastSeq + 1 (or any seq when empty). */
  push(entry: BookHistoryEntry): void {
    if (this.last !== 0 && entry.seq !== this.last + 1) throw new Error(`BookHistory.push: seq ${entry.seq} does not follow ${this.last}`);
    if (this.last === 0) this.first = entry.seq;
    else if (entry.seq - this.first + 1 > this.capacity) this.first++;
    this.last = entry.seq;
    // The array grows to the capacity only as updates arrive: most books never fill it.
    if (this.slots.length < this.capacity && this.last - this.first + 1 > this.slots.length) this.regrow();
    this.slots[entry.seq % this.slots.length] = entry;
  }

  /** Whether every entry with seq > after is held. */
  holdsAfter(after: number): boolean {
    return after >= this.last || (this.last !== 0 && after + 1 >= this.first);
  }

  /** The entry numbered seq; the caller checked it is held. */
  get(seq: number): BookHistoryEntry {
    const entry = this.slots[seq % this.slots.length];
    if (entry === undefined || entry.seq !== seq) throw new Error(`BookHistory.get: seq ${seq} is not held`);
    return entry;
  }

  clear(): void {
    this.slots = [];
    this.first = 0;
    this.last = 0;
  }

  private regrow(): void {
    const size = Math.min(this.capacity, Math.max(16, this.slots.length * 2));
    const next: (BookHistoryEntry | undefined)[] = new Array(size);
    for (let seq = this.first; seq < this.last; seq++) next[seq % size] = this.slots[seq % this.slots.length];
    this.slots = next;
  }
}
