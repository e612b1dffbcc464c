import {
  DEFAULT_LIMITS,
  ErrorCode,
  Events,
  PROTOCOL_VERSION,
  errorReply,
  type ErrorReply,
} from '@tickfeed/protocol';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config.js';
import type { Fanout } from '../delivery/fanout.js';
import type { FeedCore } from '../feed-core.js';
import type { FeedMetrics } from '../observability/metrics.js';
import type { ConsumerNamespace, ConsumerSocket } from '../types.js';
import { TokenBucket } from './token-bucket.js';
import { checkSubscribe, planSubscribe, planUnsubscribe, type CheckedSubscribe, type SubscriberHandle } from './subscriptions.js';
import type { EdgeGate } from '../edge/edge-gate.js';
import { clientIp } from '../edge/client-address.js';
import { splitRequestArgs } from './request-args.js';
import type { ConsumerAuth } from '../auth/socket-auth.js';
import { connectionCap } from '../auth/entitlements.js';
import type { QuoteHub } from '../delivery/quote-hub.js';
import { parseSubscriptionRoom, subscriptionRoom } from './subscription-rooms.js';
import { BOOK_CONSUMER_EVENTS } from '../book/book-channel.js';
import { inOrder, mayWait } from './request-order.js';

/** Wires the consumer API onto the default namespace: connection limits, subscribe, unsubscribe. */
export function attachConsumerNamespace(
  nsp: ConsumerNamespace,
  deps: {
    config: ServerConfig;
    core: FeedCore;
    fanout: Fanout;
    /** Conflated delivery (`throttleMs`); its subscriptions are rooms too. */
    quotes: QuoteHub;
    gate: EdgeGate;
    metrics: FeedMetrics;
    log: Logger;
    isDraining: () => boolean;
    auth: ConsumerAuth;
  },
): void {
  const { config, core, fanout, quotes, gate, metrics, log, auth } = deps;

  nsp.use(auth.middleware);
  nsp.use((socket, next) => {
    const ip = clientIp(socket, config.trustProxy);
    if (deps.isDraining()) {
      next(new Error(ErrorCode.SHUTTING_DOWN));
      return;
    }
    const admitted = gate.admitConsumer(socket.conn, ip);
    if (admitted === 'closed') {
      // Socket.IO discards a socket whose connection closed before this ran; nothing was counted.
      next(new Error(`${ErrorCode.BAD_REQUEST}: connection closed`));
      return;
    }
    if (admitted === 'full') {
      next(new Error(`${ErrorCode.RATE_LIMITED}: too many connections from this address`));
      return;
    }
    socket.data.ip = ip;
    socket.data.bucket = new TokenBucket(config.subscribeBurst, config.subscribeRatePerSec, Date.now);
    socket.data.waiting = 0;
    socket.data.queue = undefined;
    next();
  });

  /*
   * The handlers are created once and shared by every socket (Socket.IO calls
   * them with `this` set to the socket): closures per connection would cost
   * memory on every idle connection.
   */
  /**
   * What subscribe and unsubscribe do first: find the ack to answer and apply the rate limit
   * (before anything waits, so waiting requests are bounded by the bucket). Undefined when
   * the request was answered or dropped here.
   */
  function admit(socket: ConsumerSocket, event: 'subscribe' | 'unsubscribe', args: unknown[]): { raw: unknown; reply: (value: unknown) => void } | undefined {
    const { payload: raw, ack } = splitRequestArgs(args);
    const reply = guard(socket, event, ack);
    if (reply === undefined) return undefined;
    if (!socket.data.bucket.take() || !auth.takeUserToken(socket)) {
      reject(reply, event, errorReply(ErrorCode.RATE_LIMITED, 'too many subscribe/unsubscribe requests; slow down'));
      return undefined;
    }
    return { raw, reply };
  }

  function onSubscribe(this: ConsumerSocket, ...args: unknown[]): void {
    const request = admit(this, 'subscribe', args);
    if (request === undefined) return;
    const checked = checkSubscribe(request.raw, config.maxSymbolsPerRequest);
    const prepare = core.replicator.prepareSubscribe;
    const wait = checked.ok && prepare !== undefined && mayWait(this) ? prepare.call(core.replicator, checked.request) : undefined;
    inOrder(this, wait, () => answerSubscribe(this, checked, request.reply));
  }

  /** Sends the ticks already queued for this client first, so none can follow the ack (or precede a snapshot). */
  function answerSubscribe(socket: ConsumerSocket, checked: CheckedSubscribe, reply: (value: unknown) => void): void {
    fanout.flushClient(socket.id);
    const limits = { ...auth.limitsFor(socket), quotesMinThrottleMs: config.quotesMinThrottleMs };
    const plan = planSubscribe(checked, roomsHandle(socket), core.market, limits, socket.data.entitlement);
    if (!plan.reply.ok) return reject(reply, 'subscribe', plan.reply);
    reply(plan.reply);
    const symbols = plan.reply.subscribed.map((entry) => entry.symbol);
    // Conflated symbols left their tick room: no replay or conflated tick of theirs may follow.
    if (plan.throttleMs === 0) fanout.subscribed(socket.id, symbols, plan.replay);
    else fanout.unsubscribed(socket.id, symbols);
  }

  function onUnsubscribe(this: ConsumerSocket, ...args: unknown[]): void {
    const request = admit(this, 'unsubscribe', args);
    if (request === undefined) return;
    inOrder(this, undefined, () => answerUnsubscribe(this, request.raw, request.reply));
  }

  function answerUnsubscribe(socket: ConsumerSocket, raw: unknown, reply: (value: unknown) => void): void {
    fanout.flushClient(socket.id);
    const result = planUnsubscribe(raw, roomsHandle(socket));
    if (!result.ok) return reject(reply, 'unsubscribe', result);
    reply(result);
    fanout.unsubscribed(socket.id, result.unsubscribed);
  }

  function onDisconnect(this: ConsumerSocket): void {
    fanout.unregister(this.id);
    quotes.unregister(this.id);
  }

  /** Every other event name is answered (when it has an ack) and counted, never silently dropped. */
  function onAnyEvent(event: unknown, ...args: unknown[]): void {
    if (event === Events.subscribe || event === Events.unsubscribe || event === Events.authRefresh || BOOK_CONSUMER_EVENTS.has(event)) return;
    metrics.requestsRejected.inc({ event: 'unknown', code: ErrorCode.BAD_REQUEST });
    splitRequestArgs(args).ack?.(errorReply(ErrorCode.BAD_REQUEST, 'unknown event'));
  }

  nsp.on('connection', (socket) => {
    fanout.register(socket);
    socket.emit(Events.welcome, {
      protocolVersion: PROTOCOL_VERSION,
      serverId: config.serverId,
      limits: {
        // The cap this connection has: the server's, lowered by its token's maxSubscriptions claim.
        maxSubscriptionsPerConnection: connectionCap(config.maxSubscriptions, socket.data.entitlement),
        maxSymbolsPerRequest: Math.min(config.maxSymbolsPerRequest, DEFAULT_LIMITS.maxSymbolsPerRequest),
        flushIntervalMs: config.flushIntervalMs,
      },
      feed: core.feedStatus,
    });
    socket.on(Events.subscribe, onSubscribe);
    socket.on(Events.unsubscribe, onUnsubscribe);
    socket.on('disconnect', onDisconnect);
    socket.onAny(onAnyEvent);
    auth.attach(socket);
  });

  function guard(socket: ConsumerSocket, event: string, ack: ((value: unknown) => void) | undefined): ((value: unknown) => void) | undefined {
    if (ack !== undefined) return ack;
    metrics.requestsRejected.inc({ event, code: ErrorCode.BAD_REQUEST });
    log.debug({ socketId: socket.id, event }, 'request without an ack callback dropped');
    return undefined;
  }

  function reject(reply: (value: unknown) => void, event: string, error: ErrorReply): void {
    metrics.requestsRejected.inc({ event, code: error.error.code });
    if (error.error.code === ErrorCode.RATE_LIMITED || error.error.code === ErrorCode.TOO_MANY_SYMBOLS) {
      metrics.limitHits.inc({ limit: error.error.code === ErrorCode.RATE_LIMITED ? 'subscribe_rate' : 'subscriptions' });
    }
    reply(error);
  }
}

/** Subscriptions are the socket's rooms: every room but its own id holds a symbol, for every tick or as quotes (subscription-rooms.ts). */
function roomsHandle(socket: ConsumerSocket): SubscriberHandle {
  let held: Map<string, number> | undefined;
  const subscribed = (): Map<string, number> => {
    if (held !== undefined) return held;
    held = new Map();
    for (const room of socket.rooms) {
      if (room === socket.id) continue;
      const { symbol, throttleMs } = parseSubscriptionRoom(room);
      held.set(symbol, throttleMs);
    }
    return held;
  };
  return {
    subscribed,
    join(symbol, throttleMs) {
      const current = subscribed().get(symbol);
      if (current === throttleMs) return;
      if (current !== undefined) void socket.leave(subscriptionRoom(symbol, current));
      void socket.join(subscriptionRoom(symbol, throttleMs));
      held!.set(symbol, throttleMs);
    },
    leave(symbol) {
      const current = subscribed().get(symbol);
      if (current === undefined) return;
      void socket.leave(subscriptionRoom(symbol, current));
      held!.delete(symbol);
    },
  };
}

/** Publishers read the client's address the same way. */
export { clientIp };
