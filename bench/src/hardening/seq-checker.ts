/**
 * Continuity of one client's ticks (F3, F9): after a subscribe ack with
 * snapshot seq s, the symbol's ticks must be s + 1, s + 2, ... with nothing
 * missing, repeated or out of order. Pure bookkeeping.
 */
export class SeqChecker {
  private readonly expected = new Map<string, number>();
  /** Ticks received, all symbols. */
  received = 0;
  /** Problems seen (the first `keep` are described). */
  problemCount = 0;
  readonly problems: string[] = [];

  constructor(private readonly keep = 20) {}

  /** The subscribe ack's snapshot covers ticks up to `snapshotSeq`. */
  subscribed(symbol: string, snapshotSeq: number): void {
    this.expected.set(symbol, snapshotSeq + 1);
  }

  tick(symbol: string, seq: number): void {
    this.received++;
    const next = this.expected.get(symbol);
    if (next === undefined) {
      this.problem(`tick ${symbol}#${seq} of a symbol not subscribed`);
      return;
    }
    if (seq !== next) {
      this.problem(seq > next ? `${symbol}: gap, expected #${next}, got #${seq}` : `${symbol}: repeat or out of order, expected #${next}, got #${seq}`);
    }
    // Continue from what arrived, so one gap is reported once, not for every later tick.
    this.expected.set(symbol, Math.max(next, seq + 1));
  }

  /** Last seq received of a symbol (the snapshot's seq before any tick); undefined when not subscribed. */
  lastSeq(symbol: string): number | undefined {
    const next = this.expected.get(symbol);
    return next === undefined ? undefined : next - 1;
  }

  get symbols(): string[] {
    return [...this.expected.keys()];
  }

  problem(description: string): void {
    this.problemCount++;
    if (this.problems.length < this.keep) this.problems.push(description);
  }
}
