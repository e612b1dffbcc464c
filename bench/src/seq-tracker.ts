/**
 * Per-connection sequence bookkeeping: every symbol's ticks must arrive
 * exactly once and in order, starting right after the subscribe ack's
 * snapshot seq. Pure: the load generator feeds it what it receives.
 */
export type SeqVerdict = 'ok' | 'gap' | 'duplicate' | 'pending' | 'unexpected';

export interface SeqCounts {
  /** Ticks that continued their symbol's sequence. */
  inOrder: number;
  /** Times a symbol's seq jumped ahead (ticks were lost). */
  gaps: number;
  /** Ticks that were never delivered, summed over the gaps. */
  missing: number;
  /** Ticks at or below a seq already delivered. */
  duplicates: number;
  /** Ticks of a symbol this connection never subscribed to. */
  unexpected: number;
}

export class SeqTracker {
  /** Next expected seq of each acknowledged subscription. */
  private readonly expected = new Map<string, number>();
  /** Ticks of symbols whose subscribe ack has not arrived yet, in arrival order. */
  private readonly pending = new Map<string, number[]>();
  private counts: SeqCounts = emptyCounts();

  /** The subscribe request for `symbol` was sent; ticks may precede the ack. */
  expect(symbol: string): void {
    if (!this.expected.has(symbol) && !this.pending.has(symbol)) this.pending.set(symbol, []);
  }

  /**
   * The ack (or a `reset`) says the stream continues after `snapshotSeq`.
   * Ticks that arrived before the ack and are covered by the snapshot are
   * dropped; later ones are checked as if they had come after it.
   */
  start(symbol: string, snapshotSeq: number): void {
    const early = this.pending.get(symbol) ?? [];
    this.pending.delete(symbol);
    this.expected.set(symbol, snapshotSeq + 1);
    for (const seq of early) if (seq > snapshotSeq) this.observe(symbol, seq);
  }

  /** The symbol was refused or dropped: its ticks are no longer expected. */
  forget(symbol: string): void {
    this.pending.delete(symbol);
    this.expected.delete(symbol);
  }

  observe(symbol: string, seq: number): SeqVerdict {
    const next = this.expected.get(symbol);
    if (next === undefined) {
      const early = this.pending.get(symbol);
      if (early) {
        early.push(seq);
        return 'pending';
      }
      this.counts.unexpected += 1;
      return 'unexpected';
    }
    if (seq === next) {
      this.expected.set(symbol, next + 1);
      this.counts.inOrder += 1;
      return 'ok';
    }
    if (seq < next) {
      this.counts.duplicates += 1;
      return 'duplicate';
    }
    // Count the hole, then follow the stream again so one gap is reported once.
    this.counts.gaps += 1;
    this.counts.missing += seq - next;
    this.expected.set(symbol, seq + 1);
    return 'gap';
  }

  /** Counts since the last reset. */
  snapshot(): SeqCounts {
    return { ...this.counts };
  }

  resetCounts(): void {
    this.counts = emptyCounts();
  }

  get subscribedSymbols(): string[] {
    return [...this.expected.keys()];
  }
}

export function emptyCounts(): SeqCounts {
  return { inOrder: 0, gaps: 0, missing: 0, duplicates: 0, unexpected: 0 };
}

export function addCounts(a: SeqCounts, b: SeqCounts): SeqCounts {
  return {
    inOrder: a.inOrder + b.inOrder,
    gaps: a.gaps + b.gaps,
    missing: a.missing + b.missing,
    duplicates: a.duplicates + b.duplicates,
    unexpected: a.unexpected + b.unexpected,
  };
}
