/**
 * The bench's check of what one connection received (B2, F3, F9): every
 * symbol's ticks must arrive exactly once and in order, starting right after
 * the subscribe ack's snapshot seq. It counts (the load generator's figures)
 * and describes the first problems (the fuzz and soak consumers' report).
 * Pure: the caller feeds it what arrives.
 *
 * Ours, and not the feed client's SequenceTracker: that one is a recovery
 * policy (drop duplicates, stop at a gap and resubscribe); this one audits,
 * following the stream past a gap so each fault is counted once.
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

export class DeliveryAudit {
  /** Next expected seq of each acknowledged subscription. */
  private readonly expected = new Map<string, number>();
  /** Ticks of symbols whose subscribe ack has not arrived yet, in arrival order. */
  private readonly pending = new Map<string, number[]>();
  private counts: SeqCounts = emptyCounts();
  /** Ticks received, all symbols, since construction. */
  received = 0;
  /** Problems seen since construction (the first `keep` are described in `problems`). */
  problemCount = 0;
  readonly problems: string[] = [];

  /** @param keep how many problems to describe; the rest are only counted. */
  constructor(private readonly keep = 20) {}

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
    for (const seq of early) if (seq > snapshotSeq) this.check(symbol, seq);
  }

  /** The symbol was refused or dropped: its ticks are no longer expected. */
  forget(symbol: string): void {
    this.pending.delete(symbol);
    this.expected.delete(symbol);
  }

  observe(symbol: string, seq: number): SeqVerdict {
    this.received++;
    return this.check(symbol, seq);
  }

  private check(symbol: string, seq: number): SeqVerdict {
    const next = this.expected.get(symbol);
    if (next === undefined) {
      const early = this.pending.get(symbol);
      if (early) {
        early.push(seq);
        return 'pending';
      }
      this.counts.unexpected += 1;
      if (this.describes()) this.problems.push(`tick ${symbol}#${seq} of a symbol not subscribed`);
      return 'unexpected';
    }
    if (seq === next) {
      this.expected.set(symbol, next + 1);
      this.counts.inOrder += 1;
      return 'ok';
    }
    if (seq < next) {
      this.counts.duplicates += 1;
      if (this.describes()) this.problems.push(`${symbol}: repeat or out of order, expected #${next}, got #${seq}`);
      return 'duplicate';
    }
    // Count the hole, then follow the stream again so one gap is reported once.
    if (this.describes()) this.problems.push(`${symbol}: gap, expected #${next}, got #${seq}`);
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

  /** Last seq received of a symbol (the snapshot's seq before any tick); undefined when not subscribed. */
  lastSeq(symbol: string): number | undefined {
    const next = this.expected.get(symbol);
    return next === undefined ? undefined : next - 1;
  }

  /** Records a problem of this connection (also one its owner saw, e.g. a refused request). */
  problem(description: string): void {
    if (this.describes()) this.problems.push(description);
  }

  /** Counts a problem; whether it is among the first `keep`, to be described (the load generator's hot path builds no string past those). */
  private describes(): boolean {
    this.problemCount++;
    return this.problems.length < this.keep;
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
