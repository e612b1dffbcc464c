import type { ModelTrade } from '../symbol-model.js';
import type { FeedEvent } from './book-source.js';
import type { BookUpdate } from './levels.js';

/** What a publisher queues: a source's events, or a whole book (`update` then lists every level) that replaces the held one. */
export type PublishEvent = FeedEvent | { kind: 'snapshot'; update: BookUpdate };

export type BookEvent = Extract<PublishEvent, { kind: 'book' | 'snapshot' }>;

export interface Segment {
  /** How many events of the input the segment holds (a prefix). */
  taken: number;
  /** Its book messages, in order: sent first. */
  books: BookEvent[];
  /** Its trades, in order: sent after the books. */
  trades: ModelTrade[];
}

/**
 * The longest prefix of `events` (at most `max`) that can go as one book
 * publish followed by one tick publish without changing any symbol's order:
 * it ends before the first book event of a symbol that already has a trade in
 * it. Events of different symbols are independent (a tick quotes only its own
 * book), so each symbol still sees its books and ticks in their given order.
 * Pure.
 */
export function bookSegment(events: readonly PublishEvent[], max: number): Segment {
  const books: BookEvent[] = [];
  const trades: ModelTrade[] = [];
  const traded = new Set<string>();
  let taken = 0;
  for (const event of events) {
    if (taken >= max) break;
    if (event.kind === 'trade') {
      trades.push(event.trade);
      traded.add(event.trade.symbol);
    } else {
      if (traded.has(event.update.symbol)) break;
      books.push(event);
    }
    taken++;
  }
  return { taken, books, trades };
}
