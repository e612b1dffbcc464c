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

/** Ticks per sealed chunk: the heap holds one string per chunk instead of one object graph per tick. */
export const RING_CHUNK_TICKS = 256;

interface SealedChunk {
  /** The chunk's ticks' JSON texts, concatenated. */
  readonly text: string;
  /** ends[i]: where tick i of the chunk ends in `text` (it starts where tick i − 1 ends). */
  readonly ends: Uint32Array;
}

/**
 * The last `capacity` ticks of one symbol and epoch, as JSON texts addressed
 * by seq (seqs in an epoch are contiguous, so lookups are O(1)).
 *
 * Why chunks: with 10,000 ticks of history for each of hundreds of symbols,
 * one heap object per tick means millions of objects for every major GC to
 * mark, and the pauses show in delivery latency. The newest ticks are kept
 * as they came; every RING_CHUNK_TICKS of them are sealed into one string
 * with an offset table, so history costs about its text size and a handful
 * of objects per symbol.
 */
export class TickRing {
  private sealed: SealedChunk[] = [];
  /** Seq of the first tick of sealed[0] (or of `open[0]` when nothing is sealed). */
  private base = 0;
  private open: string[] = [];
  private first = 0;
  private last = 0;

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
    if (this.last === 0) {
      this.base = seq;
      this.first = seq;
    } else if (seq !== this.last + 1) {
      throw new Error(`TickRing.push: seq ${seq} does not follow ${this.last}`);
    }
    this.last = seq;
    this.open.push(json);
    if (this.open.length === RING_CHUNK_TICKS) this.seal();
    if (this.last - this.first + 1 > this.capacity) this.first = this.last - this.capacity + 1;
    // Drop sealed chunks that hold nothing at or after `first` any more.
    while (this.sealed.length > 0 && this.base + RING_CHUNK_TICKS <= this.first) {
      this.sealed.shift();
      this.base += RING_CHUNK_TICKS;
    }
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
    const out: string[] = [];
    for (let seq = after + 1; seq <= end; seq++) out.push(this.at(seq));
    return out;
  }

  /** The JSON texts of the newest `limit` ticks, oldest first. */
  latest(limit: number): string[] {
    if (this.last === 0) return [];
    const from = Math.max(this.first, this.last - limit + 1);
    return this.after(from - 1) ?? [];
  }

  clear(): void {
    this.sealed = [];
    this.open = [];
    this.base = 0;
    this.first = 0;
    this.last = 0;
  }

  private at(seq: number): string {
    const offset = seq - this.base;
    const chunk = Math.floor(offset / RING_CHUNK_TICKS);
    if (chunk >= this.sealed.length) return this.open[offset - this.sealed.length * RING_CHUNK_TICKS]!;
    const { text, ends } = this.sealed[chunk]!;
    const i = offset - chunk * RING_CHUNK_TICKS;
    return text.slice(i === 0 ? 0 : ends[i - 1], ends[i]);
  }

  private seal(): void {
    const ends = new Uint32Array(RING_CHUNK_TICKS);
    let end = 0;
    for (let i = 0; i < RING_CHUNK_TICKS; i++) {
      end += this.open[i]!.length;
      ends[i] = end;
    }
    this.sealed.push({ text: this.open.join(''), ends });
    this.open = [];
  }
}
