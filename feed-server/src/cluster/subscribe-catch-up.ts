import { isValidSymbol, type BookSubscribeRequest, type SubscribeRequest } from '@tickfeed/protocol';
import type { BookState } from '../book/book-state.js';
import { usable, type ClusterContext } from './cluster-context.js';
import { within } from './within.js';

/**
 * The Replicator's prepareSubscribe (C1, C10). A checked subscribe may name
 * what this instance has not heard of yet: a symbol just declared on another
 * instance, or a resume point from a client that was on another instance a
 * moment ago. Those symbols are synced from the store before the subscribe is
 * answered, for at most `timeoutMs`; undefined when nothing is behind.
 */
export function catchUpForSubscribe(ctx: ClusterContext, request: SubscribeRequest, timeoutMs: number): Promise<void> | undefined {
  if (!usable(ctx)) return undefined;
  const { market } = ctx.core;
  const unknown = request.symbols.filter((symbol) => isValidSymbol(symbol) && !market.has(symbol));
  const lagging: string[] = [];
  for (const [symbol, point] of Object.entries(request.resume ?? {})) {
    const book = market.get(symbol);
    if (book !== undefined && (book.epoch !== point.epoch || book.stats.seq < point.seq)) lagging.push(symbol);
  }
  if (unknown.length === 0 && lagging.length === 0) return undefined;
  const work = (async () => {
    // One membership check for all unknown names, so made-up symbols cost one command.
    const known = await ctx.store.inUniverse(unknown);
    await Promise.allSettled([...lagging, ...known].map((symbol) => ctx.sync.sync(symbol, 'resync')));
  })();
  return within(work.catch(() => undefined), timeoutMs).then(() => undefined);
}

/**
 * The book channel's prepareSubscribe (C34): a `book:subscribe` whose resume point is
 * ahead of this instance's book, or of another book epoch, waits for that book to sync
 * from the store, for at most `timeoutMs`; undefined when nothing is behind.
 */
export function catchUpForBookSubscribe(
  ctx: ClusterContext,
  books: BookState,
  sync: (symbol: string) => Promise<void>,
  request: BookSubscribeRequest,
  timeoutMs: number,
): Promise<void> | undefined {
  if (!usable(ctx)) return undefined;
  const lagging: string[] = [];
  for (const [symbol, point] of Object.entries(request.resume ?? {})) {
    if (!request.symbols.includes(symbol)) continue;
    const book = books.get(symbol);
    if (book !== undefined && (book.epoch !== point.epoch || book.seq < point.seq)) lagging.push(symbol);
  }
  if (lagging.length === 0) return undefined;
  const work = Promise.allSettled(lagging.map((symbol) => sync(symbol)));
  return within(work, timeoutMs).then(() => undefined);
}
