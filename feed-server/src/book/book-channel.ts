import { ErrorCode, Events, errorReply, type BookPublish, type BookSides, type BookSubscribeRequest, type ErrorReply } from '@tickfeed/protocol';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ServerConfig } from '../config.js';
import type { MarketState } from '../market/market-state.js';
import type { ConsumerNamespace, ConsumerSocket } from '../types.js';
import type { ConsumerAuth } from '../auth/socket-auth.js';
import type { RestAccess } from '../auth/rest-auth.js';
import type { SymbolOwners } from '../ingest/symbol-owners.js';
import { splitRequestArgs } from '../consumer/request-args.js';
import type { BookState } from './book-state.js';
import type { Journal } from '../store/journal.js';
import { BookFanout } from './book-fanout.js';
import { BookIngest } from './book-ingest.js';
import { BookDepths, bookRoom, booksOf } from './book-rooms.js';
import { createBookMetrics } from './book-metrics.js';
import { isBookSubscribeRequest, planBookSubscribe, planBookUnsubscribe, type BookSubscriberHandle } from './book-subscribe.js';
import { inOrder, mayWait } from '../consumer/request-order.js';
import { bookRoutes } from './book-routes.js';
import { BookSse } from './book-sse.js';
import type { SseHub } from '../delivery/sse-hub.js';

/** Consumer events the book channel answers (the namespace's catch-all leaves them alone). */
export const BOOK_CONSUMER_EVENTS: ReadonlySet<unknown> = new Set([Events.bookSubscribe, Events.bookUnsubscribe]);

export interface BookChannelDeps {
  config: ServerConfig;
  market: MarketState;
  consumers: ConsumerNamespace;
  owners: SymbolOwners;
  auth: ConsumerAuth;
  /** The client's tick frames in flight: book frames are held to SLOW_CONSUMER_MAX_FRAMES together with them. */
  tickFramesInflight: (socketId: string) => number;
  registry: Registry;
  /** Counts refused requests like the rest of the consumer API. */
  requestRejected: (event: string, code: ErrorCode) => void;
  log: Logger;
  now: () => number;
  /** Every symbol's book (made with the feed, restored by the durable store). */
  state: BookState;
  /** Where accepted book messages are recorded before delivery (the durable store with DATA_DIR). */
  journal: () => Journal;
  /** The Server-Sent-Events streams: those opened with `book=1` follow books too. */
  sse: SseHub;
}

/** The order-book channel of a server: state, publishing, the consumer events, REST, resets. */
export interface BookChannel {
  readonly state: BookState;
  readonly ingest: BookIngest;
  /** Book updates for SSE streams (`GET /api/stream?book=1`). */
  readonly sse: BookSse;
  /** A tick's quote must be its book's best: the refusal's message, or null. */
  quoteMismatch(symbol: string, bid: number, ask: number): string | null;
  /** After the `reset` of symbols whose epoch changed: their book followers get `book:reset` with the empty book. */
  resets(symbols: readonly string[], reason: string): void;
  routes(access: RestAccess): ReturnType<typeof bookRoutes>;
  /** Writes what is pending for one client now (before an `auth:refresh` ack that ends subscriptions). */
  flushClient(socketId: string): void;
  /**
   * A message another instance accepted (REDIS_URL), for the book of epoch `bookEpoch`: applied
   * and delivered when it continues this instance's book; 'stale' when already held; 'sync' when
   * it does not fit (another epoch, a gap, refused) and the book must be read from the store.
   */
  applyRemote(message: BookPublish, bookEpoch: string): 'applied' | 'stale' | 'sync';
  /** Replaces a book with the store's (no history) and sends its followers `book:reset` with it. */
  replace(symbol: string, seq: number, ts: number, sides: BookSides, reason: string): void;
  flushAllNow(): void;
  /**
   * Cluster mode (REDIS_URL): runs before a valid `book:subscribe` is answered. A resume point
   * may be ahead of this instance's book (the client followed it on another instance); the
   * promise settles once the book caught up from the store, or gave up (bounded). Undefined
   * when nothing is behind. Never rejects.
   */
  prepareSubscribe: ((request: BookSubscribeRequest) => Promise<void> | undefined) | undefined;
  /** Book updates were queued outside a publish (an SSE resume's missed updates): flush them soon. */
  requestFlush(): void;
  stop(): void;
}

export function createBookChannel(deps: BookChannelDeps): BookChannel {
  const { config, market, consumers, auth, log } = deps;
  const metrics = createBookMetrics(deps.registry);
  const { state } = deps;
  const depths = new BookDepths(consumers);
  const fanout = new BookFanout(
    state,
    depths,
    { flushIntervalMs: config.flushIntervalMs, slowConsumerMaxFrames: config.slowConsumerMaxFrames, slowConsumerPolicy: config.slowConsumerPolicy },
    deps.tickFramesInflight,
    metrics,
    log,
  );
  const sse = new BookSse(state, deps.sse);
  fanout.afterFlush = () => sse.flush();
  const sink = {
    publish(book: Parameters<BookFanout['publish']>[0], prev: Parameters<BookFanout['publish']>[1]): void {
      fanout.publish(book, prev);
      sse.publish(book, prev);
    },
  };
  const ingest = new BookIngest(state, sink, deps.owners, metrics, log, { maxTickClockSkewMs: config.maxTickClockSkewMs, now: deps.now, journal: deps.journal });

  function handle(socket: ConsumerSocket): BookSubscriberHandle {
    return {
      held: () => Math.max(0, socket.rooms.size - 1),
      books: () => booksOf(socket),
      follow(symbol, depth, previousDepth) {
        if (previousDepth !== undefined && previousDepth !== depth) void socket.leave(bookRoom(symbol, previousDepth));
        void socket.join(bookRoom(symbol, depth));
        depths.joined(symbol, depth);
        fanout.forget(socket.id, symbol);
      },
      unfollow(symbol, depth) {
        void socket.leave(bookRoom(symbol, depth));
        fanout.forget(socket.id, symbol);
      },
    };
  }

  /** Finds the ack and applies the rate limit; the answer comes later, in the connection's order (request-order.ts). */
  function admit(socket: ConsumerSocket, event: string, args: unknown[]): { raw: unknown; reply: (value: unknown) => void } | undefined {
    const { payload: raw, ack } = splitRequestArgs(args);
    if (ack === undefined) {
      deps.requestRejected(event, ErrorCode.BAD_REQUEST);
      return undefined;
    }
    if (!socket.data.bucket.take() || !auth.takeUserToken(socket)) {
      reject(ack, event, errorReply(ErrorCode.RATE_LIMITED, 'too many subscribe/unsubscribe requests; slow down'));
      return undefined;
    }
    return { raw, reply: ack };
  }

  function reject(reply: (value: unknown) => void, event: string, error: ErrorReply): void {
    deps.requestRejected(event, error.error.code);
    reply(error);
  }

  function onSubscribe(this: ConsumerSocket, ...args: unknown[]): void {
    const request = admit(this, Events.bookSubscribe, args);
    if (request === undefined) return;
    const prepare = channel.prepareSubscribe;
    const wait = prepare !== undefined && mayWait(this) && isBookSubscribeRequest(request.raw) ? prepare(request.raw) : undefined;
    inOrder(this, wait, () => answerSubscribe(this, request.raw, request.reply));
  }

  /** What is queued for this client goes out first, so nothing older follows the ack. */
  function answerSubscribe(socket: ConsumerSocket, raw: unknown, reply: (value: unknown) => void): void {
    fanout.flushClient(socket.id);
    const plan = planBookSubscribe(raw, handle(socket), state, auth.limitsFor(socket), socket.data.entitlement, (s) => market.has(s));
    if (!plan.reply.ok) return reject(reply, Events.bookSubscribe, plan.reply);
    reply(plan.reply);
    for (const { symbol, updates } of plan.replay) fanout.enqueue(socket.id, symbol, updates);
  }

  function onUnsubscribe(this: ConsumerSocket, ...args: unknown[]): void {
    const request = admit(this, Events.bookUnsubscribe, args);
    if (request === undefined) return;
    inOrder(this, undefined, () => {
      fanout.flushClient(this.id);
      const result = planBookUnsubscribe(request.raw, handle(this));
      if (!result.ok) return reject(request.reply, Events.bookUnsubscribe, result);
      request.reply(result);
    });
  }

  function onDisconnect(this: ConsumerSocket): void {
    fanout.unregister(this.id);
  }

  consumers.on('connection', (socket) => {
    fanout.register(socket);
    socket.on(Events.bookSubscribe, onSubscribe);
    socket.on(Events.bookUnsubscribe, onUnsubscribe);
    socket.on('disconnect', onDisconnect);
  });
  fanout.start();

  function resets(symbols: readonly string[], reason: string): void {
    fanout.flushAllNow();
    for (const symbol of symbols) {
      const book = state.get(symbol);
      if (book === undefined) continue;
      depths.forEach(symbol, (depth) => {
        const reset = { symbol, epoch: book.epoch, depth, book: state.snapshot(book, depth), reason };
        consumers.local.to(bookRoom(symbol, depth)).emit(Events.bookReset, reset);
      });
      sse.reset(symbol, reason);
    }
  }

  const channel: BookChannel = {
    state,
    ingest,
    sse,
    prepareSubscribe: undefined,
    quoteMismatch: (symbol, bid, ask) => state.quoteMismatch(symbol, bid, ask),
    resets,
    applyRemote(message, bookEpoch) {
      const book = state.get(message.symbol);
      if (book === undefined || book.epoch !== bookEpoch) return 'sync';
      if (message.seq <= book.seq) return 'stale';
      if (message.seq !== book.seq + 1) return 'sync';
      const result = state.apply(book, message);
      if (!result.ok) return 'sync';
      sink.publish(result.book, result.prev);
      return 'applied';
    },
    replace(symbol, seq, ts, sides, reason) {
      if (state.restore(symbol, seq, ts, sides) !== undefined) resets([symbol], reason);
    },
    routes: (access) => bookRoutes(state, (s) => market.has(s), access),
    flushClient: (id) => fanout.flushClient(id),
    flushAllNow: () => fanout.flushAllNow(),
    requestFlush: () => fanout.requestFlush(),
    stop: () => fanout.stop(),
  };
  return channel;
}
