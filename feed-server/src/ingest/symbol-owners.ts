/** How a declare's symbols fare against their owners. */
export interface OwnershipClaim {
  /** Symbols the publisher may declare: free ones, its own, and those it takes over. */
  granted: string[];
  /** Symbols another publisher owns (declared without takeover). */
  refused: { symbol: string; owner: string }[];
}

interface Owner {
  /** Open connections (sockets, in-process ports) of this publisher. */
  connections: number;
  readonly symbols: Set<string>;
}

/**
 * Who owns each symbol, and the feed status. A symbol belongs to the publisher
 * that declared it first, while that publisher has a connection and, after its
 * last one closed, until its grace period ends (the caller's timer calls
 * `expire`). Others are refused unless they take it over explicitly. The feed
 * status (and so the control commands) belongs to the first publisher that
 * announces one, on the same terms. Pure: no clock, no I/O.
 */
export class SymbolOwners {
  private readonly ownerOf = new Map<string, string>();
  private readonly owners = new Map<string, Owner>();
  private feed: string | undefined;

  /** A connection of `owner` opened. */
  connect(owner: string): void {
    const entry = this.owners.get(owner);
    if (entry === undefined) this.owners.set(owner, { connections: 1, symbols: new Set() });
    else entry.connections++;
  }

  /** A connection of `owner` closed; true when it was the last one (its grace period begins). */
  disconnect(owner: string): boolean {
    const entry = this.owners.get(owner);
    if (entry === undefined || entry.connections === 0) return false;
    entry.connections--;
    return entry.connections === 0;
  }

  isConnected(owner: string): boolean {
    return (this.owners.get(owner)?.connections ?? 0) > 0;
  }

  /**
   * Frees everything of an owner whose connections are all closed (its grace period is over).
   * Returns whether it held the feed status; a connected owner keeps everything.
   */
  expire(owner: string): { released: boolean; feedFreed: boolean } {
    const entry = this.owners.get(owner);
    if (entry === undefined || entry.connections > 0) return { released: false, feedFreed: false };
    for (const symbol of entry.symbols) this.ownerOf.delete(symbol);
    this.owners.delete(owner);
    const feedFreed = this.feed === owner;
    if (feedFreed) this.feed = undefined;
    return { released: true, feedFreed };
  }

  ownerOfSymbol(symbol: string): string | undefined {
    return this.ownerOf.get(symbol);
  }

  owns(owner: string, symbol: string): boolean {
    return this.ownerOf.get(symbol) === owner;
  }

  /** Which of these symbols `owner` may declare; with takeover, every one (the refused list is then what it takes). */
  check(owner: string, symbols: readonly string[], takeover: boolean): OwnershipClaim {
    const granted: string[] = [];
    const refused: { symbol: string; owner: string }[] = [];
    for (const symbol of symbols) {
      const current = this.ownerOf.get(symbol);
      if (current === undefined || current === owner || takeover) granted.push(symbol);
      else refused.push({ symbol, owner: current });
    }
    return { granted, refused };
  }

  /**
   * Gives these symbols to `owner` (after `check`). Returns the ones taken from
   * another owner, and whether the feed status moved with them (it does when
   * its owner lost a symbol to this takeover).
   */
  claim(owner: string, symbols: readonly string[]): { taken: { symbol: string; from: string }[]; feedMoved: boolean } {
    let entry = this.owners.get(owner);
    if (entry === undefined) this.owners.set(owner, (entry = { connections: 0, symbols: new Set() }));
    const taken: { symbol: string; from: string }[] = [];
    let feedMoved = false;
    for (const symbol of symbols) {
      const current = this.ownerOf.get(symbol);
      if (current === owner) continue;
      if (current !== undefined) {
        this.owners.get(current)?.symbols.delete(symbol);
        taken.push({ symbol, from: current });
        if (this.feed === current) feedMoved = true;
      }
      this.ownerOf.set(symbol, owner);
      entry.symbols.add(symbol);
    }
    if (feedMoved) this.feed = owner;
    return { taken, feedMoved };
  }

  get feedOwner(): string | undefined {
    return this.feed;
  }

  /** Whether `owner` may announce the feed status: it holds it, or nobody does (it then takes it). */
  claimFeed(owner: string): boolean {
    if (this.feed === undefined) this.feed = owner;
    return this.feed === owner;
  }

  /** Symbols with an owner. */
  get size(): number {
    return this.ownerOf.size;
  }
}
