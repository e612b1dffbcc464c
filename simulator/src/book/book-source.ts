import type { ModelTrade } from '../symbol-model.js';
import type { BookLevels, BookUpdate } from './levels.js';

/**
 * One event of a symbol with a book, in the order a publisher sends them:
 * a trade (a tick once numbered) or a book update (the changed levels). A
 * trade's bid and ask are the book's best prices just before it, so the
 * update that the trade itself causes comes after it.
 */
export type FeedEvent = { kind: 'trade'; trade: ModelTrade } | { kind: 'book'; update: BookUpdate };

/**
 * What a book publisher needs from a source of books (the live model or an
 * L2 replay): which symbols have a book, at what depth, their current book
 * for a snapshot, and the time-ordered events.
 */
export interface BookSource {
  /** Symbols with a book, and the levels per side each publishes. */
  bookDepths(): ReadonlyMap<string, number>;
  /** The symbol's current published book (best `depth` levels per side), or null when it has none. */
  bookOf(symbol: string): BookLevels | null;
}
