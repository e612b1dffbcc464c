import { TypeCompiler } from '@sinclair/typebox/compiler';
import {
  BookSubscribeRequestSchema,
  DEFAULT_LIMITS,
  ErrorCode,
  UnsubscribeRequestSchema,
  errorReply,
  isValidSymbol,
  type BookSubscribeReply,
  type BookSubscribeRequest,
  type BookSubscribed,
  type BookUpdate,
  type RejectedSymbol,
  type UnsubscribeReply,
} from '@tickfeed/protocol';
import { describeSchemaError } from '../validation.js';
import type { SubscriptionLimits } from '../consumer/subscriptions.js';
import type { BookState } from './book-state.js';

const subscribeCheck = TypeCompiler.Compile(BookSubscribeRequestSchema);
const unsubscribeCheck = TypeCompiler.Compile(UnsubscribeRequestSchema);

/** Whether a `book:subscribe` request is well formed (the plan says why not). */
export function isBookSubscribeRequest(raw: unknown): raw is BookSubscribeRequest {
  return subscribeCheck.Check(raw);
}

/** What a connection holds, and how it joins and leaves book rooms. */
export interface BookSubscriberHandle {
  /** Subscriptions of every kind this connection holds (tick and book rooms). */
  held(): number;
  /** The symbols this connection follows as books, with their depths. */
  books(): ReadonlyMap<string, number>;
  follow(symbol: string, depth: number, previousDepth: number | undefined): void;
  unfollow(symbol: string, depth: number): void;
}

export interface BookSubscribePlan {
  reply: BookSubscribeReply;
  /** Per symbol, the missed updates that follow the ack (recovered: true). */
  replay: { symbol: string; updates: BookUpdate[] }[];
}

/**
 * The rules of one `book:subscribe`, apart from any socket: validation, the
 * depth, entitlement (the `book` claim), unknown and bookless symbols, the
 * subscription cap shared with ticks, snapshots and exact resume.
 */
export function planBookSubscribe(
  raw: unknown,
  handle: BookSubscriberHandle,
  books: BookState,
  limits: SubscriptionLimits,
  entitlement: { allows(symbol: string): boolean; readonly book: boolean },
  known: (symbol: string) => boolean,
): BookSubscribePlan {
  if (!subscribeCheck.Check(raw)) {
    return { reply: errorReply(ErrorCode.BAD_REQUEST, `book:subscribe: ${describeSchemaError(subscribeCheck.Errors(raw))}`), replay: [] };
  }
  const depth = raw.depth ?? DEFAULT_LIMITS.bookDefaultDepth;
  if (depth > books.options.maxDepth) {
    return { reply: errorReply(ErrorCode.BAD_REQUEST, `book:subscribe: depth must be from 1 to ${books.options.maxDepth} (BOOK_MAX_DEPTH)`), replay: [] };
  }
  const symbols = [...new Set(raw.symbols)];
  if (symbols.length > limits.maxSymbolsPerRequest) {
    return { reply: errorReply(ErrorCode.TOO_MANY_SYMBOLS, `at most ${limits.maxSymbolsPerRequest} symbols per request`), replay: [] };
  }
  const rejected: RejectedSymbol[] = [];
  const accepted: string[] = [];
  for (const symbol of symbols) {
    if (!isValidSymbol(symbol)) rejected.push({ symbol: symbol.slice(0, 40), code: ErrorCode.BAD_REQUEST, message: 'not a valid symbol name' });
    else if (!entitlement.allows(symbol) || !entitlement.book) {
      // Before the universe lookup, so a refusal says nothing about whether the symbol exists.
      rejected.push({ symbol, code: ErrorCode.FORBIDDEN, message: `your access does not cover the order book of ${symbol}` });
    } else if (!known(symbol)) rejected.push({ symbol, code: ErrorCode.UNKNOWN_SYMBOL, message: `${symbol} is not in the universe` });
    else if (books.get(symbol) === undefined) rejected.push({ symbol, code: ErrorCode.NO_BOOK, message: `${symbol} has no order book` });
    else accepted.push(symbol);
  }
  const following = handle.books();
  const added = accepted.filter((s) => !following.has(s)).length;
  if (handle.held() + added > limits.maxSubscriptions) {
    return {
      reply: errorReply(
        ErrorCode.TOO_MANY_SYMBOLS,
        `this connection may hold at most ${limits.maxSubscriptions} subscriptions, books included (holds ${handle.held()}, asked for ${added} more)`,
      ),
      replay: [],
    };
  }
  const subscribed: BookSubscribed[] = [];
  const replay: BookSubscribePlan['replay'] = [];
  // One request replays at most one symbol's worth of history in all, so a resume of many books stays bounded.
  let budget = books.options.historyUpdates;
  for (const symbol of accepted) {
    const book = books.get(symbol)!;
    handle.follow(symbol, depth, following.get(symbol));
    const entry: BookSubscribed = { symbol, epoch: book.epoch, depth, book: books.snapshot(book, depth) };
    const point = raw.resume?.[symbol];
    if (point !== undefined) {
      const missed = book.seq - point.seq;
      const updates = point.epoch === book.epoch && missed <= budget ? books.replay(book, point.seq, depth) : null;
      entry.recovered = updates !== null;
      if (updates !== null && updates.length > 0) {
        budget -= updates.length;
        replay.push({ symbol, updates });
      }
    }
    subscribed.push(entry);
  }
  return { reply: { ok: true, subscribed, rejected }, replay };
}

export function planBookUnsubscribe(raw: unknown, handle: BookSubscriberHandle): UnsubscribeReply {
  if (!unsubscribeCheck.Check(raw)) {
    return errorReply(ErrorCode.BAD_REQUEST, `book:unsubscribe: ${describeSchemaError(unsubscribeCheck.Errors(raw))}`);
  }
  const following = handle.books();
  const unsubscribed: string[] = [];
  for (const symbol of new Set(raw.symbols)) {
    const depth = following.get(symbol);
    if (depth !== undefined) {
      handle.unfollow(symbol, depth);
      unsubscribed.push(symbol);
    }
  }
  return { ok: true, unsubscribed };
}
