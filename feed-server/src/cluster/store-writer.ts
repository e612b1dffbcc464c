import type { Logger } from 'pino';
import type { FeedCore } from '../feed-core.js';
import { parseStored, type StoredTick } from '../market/tick-ring.js';
import type { SharedStore } from './shared-store.js';
import { appendItem, type AppendItem, type StoreHead } from './store-codec.js';

export interface StoreWriterHooks {
  /** Whether Redis is usable now. */
  healthy(): boolean;
  /** Announces stored ticks to the other instances (one message per call). */
  announce(epochs: Record<string, string>, tickJsons: string[]): void;
  /** Tells the other instances that symbols moved in the store in a way ticks do not describe (a whole-book write). */
  announceHeads(heads: Record<string, StoreHead>): void;
  /** The store holds another history of a symbol than this instance: take the store's. */
  diverged(symbol: string): void;
  /** Some ticks could not be stored: reconcile soon. */
  behind(): void;
  noteFailure(error: unknown): void;
}

export interface StoreWriterOptions {
  candlesPerInterval: number;
  /** Longest a publisher's ack waits for the store, ms; after it the ack goes out and the write completes (or is redone) later. */
  ackTimeoutMs: number;
}

/** Rounds of catching the store up on one symbol before leaving the rest to the next reconcile. */
const MAX_PUSH_ROUNDS = 20;

/**
 * Writes what this instance ingests to the shared store, then announces it
 * to the other instances (so an announced tick is always already stored),
 * and brings the store up to date after an outage.
 *
 * A symbol whose write failed is "behind": its next ticks are not sent one
 * batch at a time (they would only be refused as a gap) but pushed from the
 * local tick ring by `push`, during the reconcile that follows.
 */
export class StoreWriter {
  private readonly behindSymbols = new Set<string>();
  private inflight = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly core: FeedCore,
    private readonly store: SharedStore,
    private readonly hooks: StoreWriterHooks,
    private readonly options: StoreWriterOptions,
    private readonly log: Logger,
  ) {}

  /** Stores ticks just accepted here (in acceptance order); resolves when stored, failed, or after the ack timeout. */
  write(entries: readonly StoredTick[]): Promise<void> | undefined {
    const bySymbol = new Map<string, StoredTick[]>();
    for (const entry of entries) {
      const symbol = entry.tick.symbol;
      if (this.behindSymbols.has(symbol)) continue;
      let list = bySymbol.get(symbol);
      if (list === undefined) bySymbol.set(symbol, (list = []));
      list.push(entry);
    }
    if (bySymbol.size === 0) return undefined;
    if (!this.hooks.healthy()) {
      for (const symbol of bySymbol.keys()) this.behindSymbols.add(symbol);
      return undefined;
    }
    const items: AppendItem[] = [];
    for (const [symbol, ticks] of bySymbol) {
      const book = this.core.market.get(symbol);
      if (book !== undefined) items.push(appendItem(book, ticks, this.options.candlesPerInterval));
    }
    const done = this.track(this.appendAndAnnounce(items, entries));
    return this.capped(done);
  }

  /**
   * Brings the store's copy of a symbol up to this instance's when this
   * instance is ahead (it stored nothing during an outage, or Redis lost its
   * data): appends the missing ticks from the ring, or writes the whole book
   * when the ring no longer reaches back to the store's seq.
   * Returns false when the store holds another history (take the store's).
   */
  async push(symbol: string, head: StoreHead | undefined): Promise<boolean> {
    this.behindSymbols.add(symbol);
    let current = head;
    try {
      for (let round = 0; round < MAX_PUSH_ROUNDS; round++) {
        const book = this.core.market.get(symbol);
        if (book === undefined) return true;
        if (current !== undefined && current.epoch !== book.epoch) return false;
        if (current !== undefined && current.seq >= book.stats.seq) {
          // Caught up; from here each batch is appended as it comes (nothing runs between this check and that).
          this.behindSymbols.delete(symbol);
          return true;
        }
        const missingJson = current === undefined ? null : book.ring.after(current.seq);
        const missing = missingJson === null ? null : missingJson.map(parseStored);
        if (missing === null) {
          const { written, head: after } = await this.track(this.store.seed(book, book.ring.latest(book.ring.capacity).map(parseStored)));
          if (written) {
            this.log.info({ symbol, epoch: after.epoch, seq: after.seq }, 'shared store rebuilt from this instance');
            this.hooks.announceHeads({ [symbol]: after });
          }
          current = after;
          continue;
        }
        const [result] = await this.track(this.store.append([appendItem(book, missing, this.options.candlesPerInterval)]));
        if (result === undefined) return true;
        if (result.status === 'EPOCH' || result.status === 'CONFLICT') return false;
        if (result.status === 'OK') {
          this.hooks.announce({ [symbol]: book.epoch }, missing.map((t) => t.json));
          current = { epoch: book.epoch, seq: result.seq };
        } else {
          current = result.status === 'MISSING' ? undefined : { epoch: book.epoch, seq: result.seq };
        }
      }
      return true;
    } catch (error) {
      this.hooks.noteFailure(error);
      return true;
    }
  }

  /** Resolves when no write is in flight, or after `timeoutMs`. */
  async idle(timeoutMs: number): Promise<void> {
    if (this.inflight === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.idleWaiters.push(resolve);
      timer = setTimeout(resolve, timeoutMs);
    });
    clearTimeout(timer);
  }

  /** Symbols whose last write failed (pushed by the next reconcile). */
  behindList(): string[] {
    return [...this.behindSymbols];
  }

  private async appendAndAnnounce(items: AppendItem[], entries: readonly StoredTick[]): Promise<void> {
    let results;
    try {
      results = await this.store.append(items);
    } catch (error) {
      for (const item of items) this.behindSymbols.add(item.symbol);
      this.hooks.noteFailure(error);
      return;
    }
    const stored = new Map<string, string>();
    results.forEach((result, i) => {
      const item = items[i]!;
      if (result.status === 'OK') {
        stored.set(item.symbol, item.epoch);
      } else if (result.status === 'EPOCH' || result.status === 'CONFLICT') {
        this.log.warn({ symbol: item.symbol, status: result.status }, 'the shared store holds another history of this symbol');
        this.hooks.diverged(item.symbol);
      } else {
        this.behindSymbols.add(item.symbol);
        this.hooks.behind();
      }
    });
    if (stored.size === 0) return;
    const jsons: string[] = [];
    for (const entry of entries) if (stored.has(entry.tick.symbol)) jsons.push(entry.json);
    this.hooks.announce(Object.fromEntries(stored), jsons);
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.inflight++;
    return promise.finally(() => {
      if (--this.inflight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    });
  }

  private capped(done: Promise<void>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.options.ackTimeoutMs);
    });
    return Promise.race([done, timeout]).finally(() => clearTimeout(timer));
  }
}
