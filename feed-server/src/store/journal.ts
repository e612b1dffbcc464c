import type { SymbolBook } from '../market/market-state.js';
import type { StoredTick } from '../market/tick-ring.js';

/**
 * Where the feed core records what it accepts, so that a restart restores it
 * (the durable store; in memory: nothing). Ticks, book messages and declares are recorded
 * as they are applied and written by `commit`, which the ingest path calls
 * before it returns to the event loop: nothing reaches a consumer before it
 * was written.
 */
export interface Journal {
  /** A declare was applied to `book`; `newEpoch` when its history started over. */
  declared(book: SymbolBook, newEpoch: boolean): void;
  /** A tick is about to be applied (called before the market state changes). */
  tick(entry: StoredTick): void;
  /** A book message (its JSON) was applied to the symbol's book, numbered seq. */
  book(symbol: string, seq: number, json: string): void;
  /**
   * Writes what was recorded since the last commit. The promise settles when it is durable by
   * the configured policy (rejects when the write failed); undefined when there was nothing to write.
   */
  commit(): Promise<void> | undefined;
  /** Why ticks and declares are refused now (disk full, a failed write), or null. */
  refusal(): string | null;
}

export const NO_JOURNAL: Journal = {
  declared: () => undefined,
  tick: () => undefined,
  book: () => undefined,
  commit: () => undefined,
  refusal: () => null,
};
