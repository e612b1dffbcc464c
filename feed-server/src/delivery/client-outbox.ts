/**
 * The ticks waiting to be sent to one consumer, and its slow-consumer state.
 * Pure bookkeeping: the fan-out decides when to flush and what to write.
 */
export class ClientOutbox {
  /** Pre-serialized ticks in arrival order (each symbol's in ascending seq). */
  pending: string[] = [];
  /** Frames handed to the transport and not yet written to the network (those written while the client's socket held unsent bytes, or every frame where the fan-out cannot see the socket). */
  inflight = 0;
  /** While set, only the latest tick per symbol is kept (the client fell behind). */
  conflated: Map<string, string> | null = null;
  /** Symbols whose ticks were dropped while conflating, for the client's notice (created when first needed: most clients never fall behind). */
  private dropped: Set<string> | null = null;
  /** Whether the outbox is in the fan-out's list of outboxes to flush. */
  queued = false;
  closed = false;

  add(symbol: string, json: string): void {
    if (this.conflated === null) {
      this.pending.push(json);
      return;
    }
    if (this.conflated.has(symbol)) this.markDropped(symbol);
    this.conflated.set(symbol, json);
  }

  get isEmpty(): boolean {
    return this.pending.length === 0 && (this.conflated === null || this.conflated.size === 0);
  }

  /** Takes everything pending, oldest first, leaving the outbox empty. */
  take(): string[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }

  /**
   * Drops what is held for a symbol while conflating (its subscription was
   * replaced by a new ack, or ended). Pending ticks need nothing: the fan-out
   * sends them before any ack.
   */
  forget(symbol: string): void {
    if (this.conflated === null) return;
    this.conflated.delete(symbol);
    this.dropped?.delete(symbol);
  }

  /** Switches to conflation: keeps the newest pending tick of each symbol. */
  startConflating(symbolOf: (json: string) => string): void {
    if (this.conflated !== null) return;
    const latest = new Map<string, string>();
    for (const json of this.pending) {
      const symbol = symbolOf(json);
      if (latest.has(symbol)) this.markDropped(symbol);
      latest.set(symbol, json);
    }
    this.pending = [];
    this.conflated = latest;
  }

  /** Leaves conflation: returns the newest tick of each symbol and the symbols that lost ticks. */
  stopConflating(): { latest: string[]; dropped: string[] } {
    const latest = this.conflated === null ? [] : [...this.conflated.values()];
    const dropped = this.dropped === null ? [] : [...this.dropped];
    this.conflated = null;
    this.dropped = null;
    return { latest, dropped };
  }

  private markDropped(symbol: string): void {
    (this.dropped ??= new Set()).add(symbol);
  }
}
