import type { ResumePoint } from '@tickfeed/protocol';

/**
 * Per-symbol sequence bookkeeping, pure. It knows, for every subscribed
 * symbol, the epoch and the seq of the last tick applied, and classifies each
 * incoming tick:
 * - `apply`: the next one (seq = last + 1): pass it on;
 * - `duplicate`: seq <= last: already applied, drop it;
 * - `gap`: seq > last + 1: ticks are missing; the symbol turns `recovering`
 *   and the caller resubscribes it with its resume point;
 * - `ignored`: no usable position (not tracked, or waiting for a subscribe
 *   ack): drop it, the ack's snapshot or the resume replay covers it.
 */
export type TickVerdict = 'apply' | 'duplicate' | 'gap' | 'ignored';

export type TrackPhase =
  /** Ticks flow; `seq` is the last applied. */
  | 'live'
  /** A subscribe (or resubscribe) is in flight; ticks are dropped until its ack. */
  | 'pending'
  /** A gap was seen; a resubscribe with resume is due. Ticks are dropped. */
  | 'recovering';

export interface TrackedSymbol {
  epoch: string;
  /** Seq of the last tick applied (the snapshot's seq right after a subscribe). */
  seq: number;
  phase: TrackPhase;
}

export interface GapInfo {
  symbol: string;
  expected: number;
  received: number;
}

export class SequenceTracker {
  private readonly symbols = new Map<string, TrackedSymbol>();
  /** Counters for diagnostics and tests. */
  readonly counters = { applied: 0, duplicates: 0, gaps: 0, ignored: 0 };
  private lastGap: GapInfo | undefined;

  /** Starts (or restarts) tracking at a snapshot: the next tick to apply is `seq + 1`. */
  start(symbol: string, epoch: string, seq: number): void {
    const entry = this.symbols.get(symbol);
    if (entry === undefined) this.symbols.set(symbol, { epoch, seq, phase: 'live' });
    else {
      entry.epoch = epoch;
      entry.seq = seq;
      entry.phase = 'live';
    }
  }

  /** A subscribe for `symbol` was sent: drop its ticks until the ack calls start() or resumed(). */
  markPending(symbol: string): void {
    const entry = this.symbols.get(symbol);
    if (entry === undefined) this.symbols.set(symbol, { epoch: '', seq: 0, phase: 'pending' });
    else entry.phase = 'pending';
  }

  /** The server recovered the symbol from our resume point: the missed ticks follow, continue counting. */
  resumed(symbol: string): void {
    const entry = this.symbols.get(symbol);
    if (entry !== undefined) entry.phase = 'live';
  }

  remove(symbol: string): void {
    this.symbols.delete(symbol);
  }

  clear(): void {
    this.symbols.clear();
  }

  get(symbol: string): Readonly<TrackedSymbol> | undefined {
    return this.symbols.get(symbol);
  }

  /** Classifies one tick and, when it is applied, advances the symbol's position. */
  accept(symbol: string, seq: number): TickVerdict {
    const entry = this.symbols.get(symbol);
    if (entry === undefined || entry.phase !== 'live') {
      this.counters.ignored++;
      return 'ignored';
    }
    if (seq === entry.seq + 1) {
      entry.seq = seq;
      this.counters.applied++;
      return 'apply';
    }
    if (seq <= entry.seq) {
      this.counters.duplicates++;
      return 'duplicate';
    }
    entry.phase = 'recovering';
    this.counters.gaps++;
    this.lastGap = { symbol, expected: entry.seq + 1, received: seq };
    return 'gap';
  }

  /** The gap seen by the last accept() that returned 'gap'. */
  lastGapInfo(): GapInfo | undefined {
    return this.lastGap;
  }

  /**
   * Resume points for a resubscribe: every listed symbol we hold a position
   * for (epoch known). Symbols never acknowledged get none: they subscribe fresh.
   */
  resumePoints(symbols: Iterable<string>): Record<string, ResumePoint> {
    const points: Record<string, ResumePoint> = {};
    for (const symbol of symbols) {
      const entry = this.symbols.get(symbol);
      if (entry !== undefined && entry.epoch !== '') points[symbol] = { epoch: entry.epoch, seq: entry.seq };
    }
    return points;
  }
}
