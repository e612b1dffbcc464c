import { parseBookRoom } from '../book/book-rooms.js';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { AuthRefreshRequestSchema, ErrorCode, Events, errorReply, type AuthRefreshReply } from '@tickfeed/protocol';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config.js';
import type { FeedMetrics } from '../observability/metrics.js';
import type { ConsumerSocket } from '../types.js';
import type { SubscriptionLimits } from '../consumer/subscriptions.js';
import { splitRequestArgs } from '../consumer/request-args.js';
import { ANONYMOUS, connectionCap } from './entitlements.js';
import { ExpiryWheel } from './expiry-wheel.js';
import type { TokenVerifier } from './token-verifier.js';
import { UserLimits, type RemoteUsage } from './user-limits.js';
import { symbolOfRoom } from '../consumer/subscription-rooms.js';

const refreshCheck = TypeCompiler.Compile(AuthRefreshRequestSchema);

/** How often expired connections are looked for; a connection outlives its token by less than this. */
export const EXPIRY_SWEEP_MS = 1_000;

type AuthConfig = Pick<ServerConfig, 'maxSubscriptions' | 'maxSymbolsPerRequest' | 'userMaxSubscriptions' | 'userSubscribeBurst' | 'userSubscribeRatePerSec'>;

/** Symbols a socket holds: its rooms but its own id. */
function held(socket: ConsumerSocket): number {
  return Math.max(0, socket.rooms.size - 1);
}

/**
 * Access control of the consumer namespace. With a verifier (AUTH_MODE=jwt):
 * the handshake's `auth.token` is verified before the connection exists, the
 * entitlement rides on `socket.data`, `auth:refresh` swaps it at once, one
 * shared sweep closes connections whose token expired, and per-user limits
 * span the user's connections. Without one, every consumer is ANONYMOUS.
 */
export class ConsumerAuth {
  private readonly wheel: ExpiryWheel<ConsumerSocket>;
  private readonly users: UserLimits<ConsumerSocket>;
  private readonly sweep: NodeJS.Timeout | undefined;
  // Shared handlers (Socket.IO calls them with `this` set to the socket), so an idle connection costs no closures.
  private readonly onRefresh: (this: ConsumerSocket, ...args: unknown[]) => void;
  private readonly onDisconnect: (this: ConsumerSocket) => void;

  constructor(
    private readonly verifier: TokenVerifier | undefined,
    private readonly config: AuthConfig,
    private readonly deps: {
      metrics: FeedMetrics;
      log: Logger;
      now: () => number;
      /** Sends what is queued for the client, so nothing queued before a change follows its ack. */
      flushClient: (socketId: string) => void;
    },
  ) {
    this.wheel = new ExpiryWheel(EXPIRY_SWEEP_MS, deps.now());
    this.users = new UserLimits(
      { maxSubscriptions: config.userMaxSubscriptions, burst: config.userSubscribeBurst, ratePerSec: config.userSubscribeRatePerSec },
      held,
      deps.now,
    );
    const auth = this;
    this.onRefresh = function (this: ConsumerSocket, ...args: unknown[]) {
      auth.refresh(this, args);
    };
    this.onDisconnect = function (this: ConsumerSocket) {
      auth.detach(this);
    };
    if (verifier !== undefined) {
      this.sweep = setInterval(() => this.closeExpired(), EXPIRY_SWEEP_MS);
      this.sweep.unref();
    }
  }

  /** Connection middleware: refuses a missing or invalid token with `UNAUTHORIZED: <reason>` (also in `err.data.code`). */
  readonly middleware = (socket: ConsumerSocket, next: (err?: Error) => void): void => {
    if (this.verifier === undefined) {
      socket.data.entitlement = ANONYMOUS;
      next();
      return;
    }
    const token: unknown = (socket.handshake.auth as Record<string, unknown> | undefined)?.token;
    void this.verifier.verify(token).then((result) => {
      if (!result.ok) {
        this.deps.metrics.limitHits.inc({ limit: 'unauthorized' });
        // Whatever made the token fail (expired too), the connection is refused as unauthorized.
        const error = new Error(`${ErrorCode.UNAUTHORIZED}: ${result.reason}`) as Error & { data: unknown };
        error.data = { code: ErrorCode.UNAUTHORIZED, reason: result.reason };
        next(error);
        return;
      }
      socket.data.entitlement = result.entitlement;
      next();
    });
  };

  /** Called on `connection`: tracks expiry and the user's connections, answers `auth:refresh`. */
  attach(socket: ConsumerSocket): void {
    socket.on(Events.authRefresh, this.onRefresh);
    const { sub, expiresAt } = socket.data.entitlement;
    if (sub === undefined) return;
    this.users.add(sub, socket);
    if (expiresAt !== undefined) this.wheel.schedule(socket, expiresAt);
    socket.on('disconnect', this.onDisconnect);
  }

  /** One request token of the user (subscribe, unsubscribe, refresh); anonymous consumers have only their connection's. */
  takeUserToken(socket: ConsumerSocket): boolean {
    const sub = socket.data.entitlement.sub;
    if (sub === undefined || this.users.take(sub)) return true;
    this.deps.metrics.limitHits.inc({ limit: 'user_subscribe_rate' });
    return false;
  }

  /** The subscription limits of this connection now: the server's, the claim's and what the user has left. */
  limitsFor(socket: ConsumerSocket): SubscriptionLimits {
    const entitlement = socket.data.entitlement;
    let max = connectionCap(this.config.maxSubscriptions, entitlement);
    if (entitlement.sub !== undefined) max = Math.min(max, held(socket) + this.users.room(entitlement.sub));
    return { maxSubscriptions: max, maxSymbolsPerRequest: this.config.maxSymbolsPerRequest };
  }

  /** What each user connected here holds here: reported to the other instances. */
  localUsage(): Map<string, number> {
    return this.users.localUsage();
  }

  /** What the other instances report; their holdings count against each user's cap, and share its rate. */
  setRemoteUsage(remote: RemoteUsage): void {
    this.users.setRemote(remote);
  }

  /** Users with at least one connection on this instance. */
  get userCount(): number {
    return this.users.size;
  }

  stop(): void {
    if (this.sweep !== undefined) clearInterval(this.sweep);
  }

  private closeExpired(): void {
    for (const socket of this.wheel.takeDue(this.deps.now())) {
      socket.emit(Events.notice, { code: ErrorCode.TOKEN_EXPIRED, message: 'the access token expired; reconnect with a new one' });
      socket.disconnect(true);
    }
  }

  private detach(socket: ConsumerSocket): void {
    this.wheel.cancel(socket);
    const sub = socket.data.entitlement.sub;
    if (sub !== undefined) this.users.remove(sub, socket);
  }

  private refresh(socket: ConsumerSocket, args: unknown[]): void {
    const { payload, ack } = splitRequestArgs(args);
    if (ack === undefined) {
      this.deps.metrics.requestsRejected.inc({ event: Events.authRefresh, code: ErrorCode.BAD_REQUEST });
      return;
    }
    const reply = (value: AuthRefreshReply): void => {
      if (!value.ok) this.deps.metrics.requestsRejected.inc({ event: Events.authRefresh, code: value.error.code });
      ack(value);
    };
    if (!refreshCheck.Check(payload)) return reply(errorReply(ErrorCode.BAD_REQUEST, 'auth:refresh takes { token: string }'));
    if (this.verifier === undefined) return reply(errorReply(ErrorCode.BAD_REQUEST, 'access tokens are not used by this server (AUTH_MODE=none)'));
    if (!socket.data.bucket.take() || !this.takeUserToken(socket)) {
      return reply(errorReply(ErrorCode.RATE_LIMITED, 'too many requests; slow down'));
    }
    const before = socket.data.entitlement;
    void this.verifier.verify(payload.token).then((result) => {
      if (!socket.connected) return;
      if (!result.ok) return reply(errorReply(ErrorCode.UNAUTHORIZED, result.reason));
      const next = result.entitlement;
      if (next.sub !== before.sub) return reply(errorReply(ErrorCode.FORBIDDEN, 'the new token is for another user'));
      // A refresh that raced another one must not go back to an older entitlement.
      if (socket.data.entitlement !== before && (socket.data.entitlement.expiresAt ?? 0) > (next.expiresAt ?? 0)) {
        return reply(errorReply(ErrorCode.BAD_REQUEST, 'a newer token is already in use'));
      }
      socket.data.entitlement = next;
      this.wheel.schedule(socket, next.expiresAt ?? 0);
      const removed: string[] = [];
      // Book subscriptions (rooms `book:SYMBOL:DEPTH`) also need the `book` claim; they are reported in a notice of their own.
      const books: { room: string; symbol: string }[] = [];
      const rooms: string[] = [];
      for (const room of socket.rooms) {
        if (room === socket.id) continue;
        const book = parseBookRoom(room);
        if (book !== undefined) {
          if (!next.allows(book.symbol) || !next.book) books.push({ room, symbol: book.symbol });
          continue;
        }
        // A conflated subscription's room is `SYM@ms` (subscription-rooms.ts): the claims speak of the symbol.
        const symbol = symbolOfRoom(room);
        if (!next.allows(symbol)) {
          removed.push(symbol);
          rooms.push(room);
        }
      }
      if (removed.length > 0 || books.length > 0) {
        // Ticks queued under the old claims go first, then the rooms are left: none of these symbols follows the ack.
        this.deps.flushClient(socket.id);
        for (const room of rooms) void socket.leave(room);
        for (const { room } of books) void socket.leave(room);
      }
      if (removed.length > 0) {
        socket.emit(Events.notice, { code: ErrorCode.FORBIDDEN, message: 'the renewed token no longer covers these symbols; they were unsubscribed', symbols: removed });
      }
      if (books.length > 0) {
        socket.emit(Events.notice, {
          code: ErrorCode.FORBIDDEN,
          message: 'the renewed token no longer covers the order books of these symbols; their book subscriptions ended',
          symbols: books.map((b) => b.symbol),
        });
      }
      reply({ ok: true, expiresAt: next.expiresAt ?? 0, unsubscribed: removed });
    });
  }
}
