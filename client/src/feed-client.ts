import { io, type Socket } from 'socket.io-client';
import {
  DEFAULT_LIMITS,
  ErrorCode,
  Events,
  SOCKET_PATH,
  type BookReset,
  type BookSides,
  type BookSubscribeReply,
  type BookUpdate,
  type ClientToServerEvents,
  type FeedStatus,
  type Notice,
  type ProtocolError,
  type Quotes,
  type RandomSource,
  type RejectedSymbol,
  type ResumePoint,
  type ServerToClientEvents,
  type Shutdown,
  type Snapshot,
  type SubscribeReply,
  type Tick,
  type Welcome,
} from '@tickfeed/protocol';
import { renewDelay, resolveToken, tokenExpiry, type AccessTokenSource } from './access-token.js';
import { DEFAULT_BACKOFF, backoffDelay, validateBackoff, type BackoffPolicy } from './backoff.js';
import {
  INITIAL_CONNECTION_STATE,
  transition,
  type ConnectionEvent,
  type ConnectionState,
} from './connection-state.js';
import { BookFollower, type BookState } from './book-follower.js';
import { TypedEmitter } from './emitter.js';
import { SequenceTracker, type GapInfo } from './sequence-tracker.js';

export type FeedSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Shortest wait between two renewal attempts when one failed or the token source had nothing newer, ms. */
const RENEW_RETRY_MS = 1_000;

/** Timer functions, injectable so tests can drive time; defaults to the global ones. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface FeedClientOptions {
  /** Server base URL, e.g. http://127.0.0.1:3000; in a browser '' or location.origin. */
  readonly url: string;
  /** Socket.IO path. Default '/socket.io/'. */
  readonly path?: string;
  /** Engine.IO transports, in order of preference. Default ['websocket']. */
  readonly transports?: ('websocket' | 'polling')[];
  /** Reconnect backoff; missing fields take DEFAULT_BACKOFF's. */
  readonly backoff?: Partial<BackoffPolicy>;
  /** Uniform random source in [0, 1) for jitter. Default Math.random. */
  readonly random?: RandomSource;
  /** Wall clock, epoch ms. Default Date.now. */
  readonly now?: () => number;
  readonly timers?: Timers;
  /** How long one connection attempt may take before it counts as failed, ms. Default 5,000. */
  readonly connectTimeoutMs?: number;
  /** How long to wait for a subscribe/unsubscribe ack, ms. Default 10,000. */
  readonly ackTimeoutMs?: number;
  /**
   * Access token for servers with AUTH_MODE=jwt, or a function fetching a current one: it is called
   * on every connect and, `renewBeforeMs` before the held token expires, to renew it on the open
   * connection (`auth:refresh`), so the connection is never dropped for an expired token.
   */
  readonly token?: AccessTokenSource;
  /** How long before expiry a token from a callback is renewed, ms (halfway for shorter tokens). Default 30,000. */
  readonly renewBeforeMs?: number;
}

/**
 * Why a symbol's state (re)starts from a snapshot:
 * - `subscribed`: first subscription;
 * - `recovered`: after a reconnect or a gap, the server replays what was missed (nothing to reload);
 * - `reloaded`: after a reconnect or a gap the history could not be recovered: reload everything;
 * - `reset`: the feed started a new epoch (replay seek or loop): clear and reload.
 */
export type SymbolCause = 'subscribed' | 'recovered' | 'reloaded' | 'reset';

export interface SymbolEvent {
  readonly symbol: string;
  readonly epoch: string;
  readonly snapshot: Snapshot;
  readonly cause: SymbolCause;
  /** Set for `reset`: the server's reason (e.g. 'seek', 'loop'). */
  readonly reason?: string;
}

export interface QuoteOptions {
  /** Longest rate of quotes per symbol: at most one per this many ms (100 to 60,000; the server may round or raise it). Default 250. */
  readonly throttleMs?: number;
}

/** The interval subscribeQuotes uses when none is given, ms. */
export const DEFAULT_QUOTE_THROTTLE_MS = 250;

export interface SubscribeOutcome {
  readonly subscribed: string[];
  readonly rejected: RejectedSymbol[];
  /** Set when the request as a whole failed (and was not retried). */
  readonly error?: ProtocolError;
}

/**
 * Why a followed book's state is what it is now:
 * - `subscribed`: the first snapshot;
 * - `update`: updates applied (`changed` holds their levels);
 * - `recovered`: after a reconnect or a gap, the missed updates follow;
 * - `reloaded`: the book started over from a fresh snapshot (nothing could be resumed, or the copy was wrong);
 * - `reset`: the server restarted the book (`book:reset`: a new epoch, or updates dropped for a slow consumer).
 */
export type BookCause = 'subscribed' | 'update' | 'recovered' | 'reloaded' | 'reset';

export interface BookEvent {
  readonly symbol: string;
  readonly cause: BookCause;
  /** The book held now: exactly the server's top `depth` levels at `book.seq`. */
  readonly book: BookState;
  /** For `update`: every level the applied updates set, in order (size 0: removed). Empty otherwise. */
  readonly changed: BookSides;
  /** For `reset`: the server's reason. */
  readonly reason?: string;
}

/** A followed book is being resubscribed: `gap` resumes from the last applied update, `checksum` starts from a fresh snapshot. */
export interface BookResyncInfo {
  readonly symbol: string;
  readonly reason: 'gap' | 'checksum';
  /** The seq held when it was found. */
  readonly seq: number;
}

/** Symbol metadata a book follower needs: its decimals build the checksum. */
export interface BookMeta {
  readonly tickSize: number;
  readonly lotSize?: number | undefined;
}

/** The depth followBook uses when none is given (the server's default). */
export const DEFAULT_BOOK_DEPTH = 10;

export interface FeedClientEvents {
  /** A followed book changed (once per symbol per server event) or started over. */
  book: [event: BookEvent];
  /** A followed book is being resynchronised after a gap or a checksum mismatch. */
  bookResync: [info: BookResyncInfo];
  /** Books the server refused to follow (NO_BOOK, UNKNOWN_SYMBOL, FORBIDDEN...); they are dropped. */
  bookRejected: [rejected: RejectedSymbol[]];
  /** The connection state changed. */
  state: [state: ConnectionState];
  /** Ticks applied in this socket event, each symbol's in ascending seq, no gap, no duplicate. */
  ticks: [ticks: Tick[]];
  /** Latest snapshots of symbols subscribed with subscribeQuotes that changed (one `quotes` event of the server). */
  quotes: [quotes: Quotes];
  /** A symbol (re)starts from a snapshot; on anything but `recovered` consumers reload its history. */
  symbol: [event: SymbolEvent];
  /** Symbols the server refused (e.g. UNKNOWN_SYMBOL); they are dropped from the subscription set. */
  rejected: [rejected: RejectedSymbol[]];
  welcome: [welcome: Welcome];
  feedStatus: [status: FeedStatus];
  notice: [notice: Notice];
  /** A seq gap was detected; the symbol is being resubscribed with its resume point. */
  gap: [gap: GapInfo];
  /** A request failed as a whole (BAD_REQUEST, TOO_MANY_SYMBOLS...) or a listener threw. */
  error: [error: ProtocolError];
}

interface Waiter {
  readonly symbols: ReadonlySet<string>;
  readonly resolve: (outcome: SubscribeOutcome) => void;
}

/**
 * The one owner of a feed socket. It keeps the set of wanted symbols across
 * connections, drives the connection state machine with its own backoff
 * (Socket.IO's built-in reconnection is off), resubscribes with resume points
 * on every connect, and checks every tick's seq so consumers see each tick
 * exactly once and in order, or are told to reload.
 */
export class FeedClient {
  private readonly emitter = new TypedEmitter<FeedClientEvents>((error) =>
    this.emitter.emit('error', { code: ErrorCode.INTERNAL, message: `listener threw: ${String(error)}` }),
  );
  private readonly tracker = new SequenceTracker();
  private readonly wanted = new Set<string>();
  /** Wanted symbols delivered as quotes, with their throttleMs; the others get every tick. */
  private readonly quoteModes = new Map<string, number>();
  private readonly policy: BackoffPolicy;
  private readonly random: RandomSource;
  private readonly now: () => number;
  private readonly timers: Timers;
  private readonly ackTimeoutMs: number;
  private readonly socket: FeedSocket;
  private current: ConnectionState = INITIAL_CONNECTION_STATE;
  private retryTimer: unknown = undefined;
  /** Bumped per connection; acks of an older connection are ignored. */
  private generation = 0;
  private waiters: Waiter[] = [];
  private recoverQueue = new Set<string>();
  private recoverScheduled = false;
  private welcomeInfo: Welcome | undefined;
  private feed: FeedStatus | undefined;
  private readonly token: AccessTokenSource | undefined;
  private readonly renewBeforeMs: number;
  /** The token the current connection was opened or last renewed with. */
  private heldToken: string | undefined;
  private renewTimer: unknown = undefined;
  /** Followed books, by symbol. */
  private readonly books = new Map<string, BookFollower>();
  private bookWaiters: Waiter[] = [];
  private bookResyncQueue = new Set<string>();
  private bookResyncScheduled = false;

  constructor(options: FeedClientOptions) {
    this.policy = validateBackoff({ ...DEFAULT_BACKOFF, ...options.backoff });
    this.random = options.random ?? { next: Math.random };
    this.now = options.now ?? Date.now;
    this.timers = options.timers ?? {
      setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
      clearTimeout: (handle) => globalThis.clearTimeout(handle as Parameters<typeof globalThis.clearTimeout>[0]),
    };
    this.ackTimeoutMs = options.ackTimeoutMs ?? 10_000;
    this.token = options.token;
    this.renewBeforeMs = options.renewBeforeMs ?? 30_000;
    const token = this.token;
    this.socket = io(options.url, {
      // Called on every connect, so each one carries a current token.
      ...(token === undefined
        ? {}
        : {
            auth: (callback: (data: object) => void) => {
              resolveToken(token).then(
                (value) => {
                  this.heldToken = value;
                  callback({ token: value });
                },
                (error: unknown) => {
                  this.emitter.emit('error', { code: ErrorCode.UNAUTHORIZED, message: `token callback failed: ${String(error)}` });
                  callback({});
                },
              );
            },
          }),
      path: options.path ?? SOCKET_PATH,
      transports: options.transports ?? ['websocket'],
      autoConnect: false,
      // One connection per client: never share a multiplexed Manager with another client of the same URL.
      forceNew: true,
      // Our state machine and backoff decide when to retry, not Socket.IO's.
      reconnection: false,
      timeout: options.connectTimeoutMs ?? 5_000,
    });
    this.wireSocket();
  }

  /* ------------------------------- public API ------------------------------- */

  get state(): ConnectionState {
    return this.current;
  }

  /** Welcome of the current (or last) connection. */
  get welcome(): Welcome | undefined {
    return this.welcomeInfo;
  }

  get feedStatus(): FeedStatus | undefined {
    return this.feed;
  }

  /** The symbols the client wants, whether or not they are acknowledged yet. */
  get symbols(): string[] {
    return [...this.wanted];
  }

  /** Epoch and last applied seq of a symbol, when known. */
  position(symbol: string): ResumePoint | undefined {
    const entry = this.tracker.get(symbol);
    return entry === undefined || entry.epoch === '' ? undefined : { epoch: entry.epoch, seq: entry.seq };
  }

  /** Tick bookkeeping counters (applied, duplicates, gaps, ignored). */
  get counters(): Readonly<SequenceTracker['counters']> {
    return this.tracker.counters;
  }

  on<K extends keyof FeedClientEvents>(event: K, listener: (...args: FeedClientEvents[K]) => void): () => void {
    return this.emitter.on(event, listener);
  }

  /** Starts connecting (also from offline after close or giving up). */
  connect(): void {
    this.dispatch({ type: 'start' });
  }

  /** Skips the wait of `reconnecting` and tries now. */
  reconnectNow(): void {
    this.dispatch({ type: 'retry' });
  }

  /** Stops: disconnects, cancels retries, keeps the subscription set for a later connect(). */
  close(reason = 'closed by client'): void {
    this.dispatch({ type: 'stop', reason });
  }

  /** Stops for good and drops every listener. */
  dispose(): void {
    this.close('disposed');
    this.emitter.removeAll();
    for (const waiter of [...this.waiters, ...this.bookWaiters]) waiter.resolve({ subscribed: [], rejected: [] });
    this.waiters = [];
    this.bookWaiters = [];
  }

  /**
   * Adds symbols to the subscription set. Resolves with the server's answer
   * for them: at once when connected, else after the next connect.
   */
  subscribe(symbols: readonly string[]): Promise<SubscribeOutcome> {
    return this.want(symbols, 0);
  }

  /**
   * Adds symbols as conflated quotes: the server sends each one's latest
   * snapshot at most once per `throttleMs` (event `quotes`), not every tick.
   * A symbol already subscribed switches; `subscribe` switches it back.
   * Resolves like subscribe.
   */
  subscribeQuotes(symbols: readonly string[], options: QuoteOptions = {}): Promise<SubscribeOutcome> {
    return this.want(symbols, options.throttleMs ?? DEFAULT_QUOTE_THROTTLE_MS);
  }

  /** How a wanted symbol is delivered: 0 every tick, else its quotes interval (ms); undefined when not wanted. */
  throttleOf(symbol: string): number | undefined {
    return this.wanted.has(symbol) ? (this.quoteModes.get(symbol) ?? 0) : undefined;
  }

  private want(symbols: readonly string[], throttleMs: number): Promise<SubscribeOutcome> {
    const fresh = unique(symbols);
    for (const symbol of fresh) {
      this.wanted.add(symbol);
      if (throttleMs === 0) this.quoteModes.delete(symbol);
      else this.quoteModes.set(symbol, throttleMs);
    }
    if (fresh.length === 0) return Promise.resolve({ subscribed: [], rejected: [] });
    if (this.current.kind !== 'connected') {
      return new Promise((resolve) => this.waiters.push({ symbols: new Set(fresh), resolve }));
    }
    return this.sendSubscribe(fresh, this.generation, throttleMs);
  }

  /**
   * Follows a symbol's order book at `depth` levels a side (1..BOOK_MAX_DEPTH):
   * subscribes (now or at the next connect), applies every update, checks each
   * seq and, at depth ≥ 10, each checksum (with `meta`'s decimals); on a gap it
   * resumes from the last applied update, on a mismatch it starts over from a
   * fresh snapshot, and after a reconnect it resumes exactly (or reloads when
   * the server cannot replay). Listen to `book`. Following it again at another
   * depth replaces the subscription. Resolves with the server's answer.
   */
  followBook(symbol: string, meta: BookMeta, depth = DEFAULT_BOOK_DEPTH): Promise<SubscribeOutcome> {
    const held = this.books.get(symbol);
    if (held !== undefined && held.depth === depth && held.book !== undefined) return Promise.resolve({ subscribed: [symbol], rejected: [] });
    this.books.set(symbol, new BookFollower(symbol, depth, meta));
    if (this.current.kind !== 'connected') {
      return new Promise((resolve) => this.bookWaiters.push({ symbols: new Set([symbol]), resolve }));
    }
    return this.sendBookSubscribe([symbol], this.generation);
  }

  /** Stops following books; no `book` event of theirs follows. */
  async unfollowBook(symbols: readonly string[]): Promise<void> {
    const gone = unique(symbols).filter((symbol) => this.books.delete(symbol));
    for (const symbol of gone) this.bookResyncQueue.delete(symbol);
    if (gone.length === 0 || this.current.kind !== 'connected') return;
    const generation = this.generation;
    for (const chunk of chunks(gone, this.maxPerRequest())) {
      try {
        await this.socket.timeout(this.ackTimeoutMs).emitWithAck(Events.bookUnsubscribe, { symbols: chunk });
      } catch {
        // No ack in time: the server drops them anyway when this connection ends; their updates are ignored.
      }
      if (generation !== this.generation) return;
    }
  }

  /** The book held for a followed symbol (undefined before its first snapshot). */
  book(symbol: string): BookState | undefined {
    return this.books.get(symbol)?.book;
  }

  /** Symbols whose books are followed. */
  get followedBooks(): string[] {
    return [...this.books.keys()];
  }

  /** A followed book's bookkeeping: updates applied, gaps, checksum mismatches and verifications, stale updates ignored. */
  bookCounters(symbol: string): Readonly<BookFollower['counters']> | undefined {
    return this.books.get(symbol)?.counters;
  }

  /** Removes symbols from the subscription set and leaves their rooms. */
  async unsubscribe(symbols: readonly string[]): Promise<void> {
    const gone = unique(symbols).filter((symbol) => this.wanted.delete(symbol));
    for (const symbol of gone) {
      this.quoteModes.delete(symbol);
      this.tracker.remove(symbol);
      this.recoverQueue.delete(symbol);
    }
    if (gone.length === 0 || this.current.kind !== 'connected') return;
    const generation = this.generation;
    for (const chunk of chunks(gone, this.maxPerRequest())) {
      try {
        await this.socket.timeout(this.ackTimeoutMs).emitWithAck(Events.unsubscribe, { symbols: chunk });
      } catch {
        // No ack in time: the connection is probably going away; a reconnect subscribes only the wanted set.
        if (generation !== this.generation) return;
      }
    }
  }

  /* ------------------------------ state machine ----------------------------- */

  private dispatch(event: ConnectionEvent): void {
    const next = transition(this.current, event, { now: this.now(), random: this.random, policy: this.policy });
    if (next === this.current) return;
    const previous = this.current;
    this.current = next;
    this.clearRetryTimer();
    if (next.kind !== 'connected') this.clearRenewTimer();
    switch (next.kind) {
      case 'connecting':
        if (this.socket.connected || previous.kind === 'connected') this.socket.disconnect();
        this.generation++;
        this.socket.connect();
        break;
      case 'reconnecting':
        if (this.socket.connected || this.socket.active) this.socket.disconnect();
        this.retryTimer = this.timers.setTimeout(
          () => {
            this.retryTimer = undefined;
            this.dispatch({ type: 'retry' });
          },
          Math.max(0, next.nextRetryAt - this.now()),
        );
        break;
      case 'offline':
        this.generation++;
        if (this.socket.connected || this.socket.active) this.socket.disconnect();
        break;
      case 'connected':
        break;
    }
    this.emitter.emit('state', next);
    if (next.kind === 'connected') {
      this.scheduleRenewal();
      this.resubscribeAll();
    }
  }

  /* ------------------------------ token renewal ----------------------------- */

  private clearRenewTimer(): void {
    if (this.renewTimer !== undefined) {
      this.timers.clearTimeout(this.renewTimer);
      this.renewTimer = undefined;
    }
  }

  /**
   * Renews a callback's token on the open connection before it expires; a fixed token cannot be renewed.
   * Tries at most every RENEW_RETRY_MS; once the held token has expired it stops, the server closes the
   * connection, and the reconnect asks the callback again.
   */
  private scheduleRenewal(retry = false): void {
    this.clearRenewTimer();
    if (typeof this.token !== 'function' || this.heldToken === undefined) return;
    const expiresAt = tokenExpiry(this.heldToken);
    const now = this.now();
    if (expiresAt === undefined || expiresAt <= now) return;
    const delay = Math.max(retry ? RENEW_RETRY_MS : 0, renewDelay(expiresAt, now, this.renewBeforeMs));
    if (now + delay >= expiresAt) return;
    const generation = this.generation;
    this.renewTimer = this.timers.setTimeout(() => {
      this.renewTimer = undefined;
      void this.renew(generation);
    }, delay);
  }

  private async renew(generation: number): Promise<void> {
    if (typeof this.token !== 'function') return;
    let reply;
    let token: string;
    try {
      token = await this.token();
      if (generation !== this.generation) return;
      // The source has nothing newer yet: ask again later rather than re-send the same token.
      if (token === this.heldToken) {
        this.scheduleRenewal(true);
        return;
      }
      reply = await this.socket.timeout(this.ackTimeoutMs).emitWithAck(Events.authRefresh, { token });
    } catch (error) {
      reply = { ok: false as const, error: { code: ErrorCode.UNAUTHORIZED, message: `token renewal failed: ${String(error)}` } };
    }
    if (generation !== this.generation) return;
    if (reply.ok) this.heldToken = token!;
    else this.emitter.emit('error', reply.error);
    this.scheduleRenewal(!reply.ok);
  }

  private clearRetryTimer(): void {
    if (this.retryTimer !== undefined) {
      this.timers.clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
  }

  private wireSocket(): void {
    const socket = this.socket;
    socket.on('connect', () => this.dispatch({ type: 'opened' }));
    socket.on('connect_error', (error: Error) => this.dispatch({ type: 'failed', reason: error.message }));
    socket.on('disconnect', (reason: string) => {
      // Only this class disconnects on purpose, and it has already moved the state machine.
      if (reason === 'io client disconnect') return;
      this.dispatch({ type: 'lost', reason });
    });
    socket.on(Events.ticks, (ticks) => this.onTicks(ticks));
    socket.on(Events.book, (updates) => this.onBook(updates));
    socket.on(Events.bookReset, (reset) => this.onBookReset(reset));
    socket.on(Events.quotes, (quotes) => this.onQuotes(quotes));
    socket.on(Events.reset, (reset) => {
      if (!this.wanted.has(reset.symbol)) return;
      this.tracker.start(reset.symbol, reset.epoch, reset.snapshot.seq);
      this.recoverQueue.delete(reset.symbol);
      this.emitter.emit('symbol', {
        symbol: reset.symbol,
        epoch: reset.epoch,
        snapshot: reset.snapshot,
        cause: 'reset',
        reason: reset.reason,
      });
    });
    socket.on(Events.welcome, (welcome) => {
      this.welcomeInfo = welcome;
      this.emitter.emit('welcome', welcome);
      this.setFeed(welcome.feed);
    });
    socket.on(Events.feedStatus, (status) => this.setFeed(status));
    socket.on(Events.notice, (notice) => {
      this.emitter.emit('notice', notice);
      // The server dropped ticks of these symbols: recover them now rather than at their next tick.
      if (notice.code === ErrorCode.SLOW_CONSUMER && notice.symbols !== undefined) {
        for (const symbol of notice.symbols) this.queueRecovery(symbol);
      }
      // A renewed token no longer covers these symbols: the server unsubscribed them.
      if (notice.code === ErrorCode.FORBIDDEN && notice.symbols !== undefined) {
        const refused: RejectedSymbol[] = [];
        for (const symbol of notice.symbols) {
          if (!this.wanted.delete(symbol)) continue;
          this.quoteModes.delete(symbol);
          this.tracker.remove(symbol);
          this.recoverQueue.delete(symbol);
          refused.push({ symbol, code: ErrorCode.FORBIDDEN, message: notice.message });
        }
        if (refused.length > 0) this.emitter.emit('rejected', refused);
      }
    });
    socket.on(Events.shutdown, (shutdown: Shutdown) => {
      const suggested = Number.isFinite(shutdown.reconnectAfterMs) ? Math.max(0, shutdown.reconnectAfterMs) : 0;
      // Spread clients over the suggested delay so a restarted server is not hit by all at once.
      const delayMs = Math.min(this.policy.maxMs, Math.round(suggested * this.random.next()));
      this.dispatch({ type: 'shutdown', reason: `server shutting down: ${shutdown.reason}`, delayMs });
    });
  }

  private setFeed(status: FeedStatus): void {
    this.feed = status;
    this.emitter.emit('feedStatus', status);
  }

  /* ------------------------------ subscriptions ----------------------------- */

  private maxPerRequest(): number {
    return this.welcomeInfo?.limits.maxSymbolsPerRequest ?? DEFAULT_LIMITS.maxSymbolsPerRequest;
  }

  private resubscribeAll(): void {
    // One request (or several) per delivery: every tick, and each quotes interval.
    const byThrottle = new Map<number, string[]>();
    for (const symbol of this.wanted) {
      const throttleMs = this.quoteModes.get(symbol) ?? 0;
      const group = byThrottle.get(throttleMs);
      if (group === undefined) byThrottle.set(throttleMs, [symbol]);
      else group.push(symbol);
    }
    if (byThrottle.size === 0) byThrottle.set(0, []);
    const waiters = this.waiters;
    this.waiters = [];
    this.recoverQueue.clear();
    const generation = this.generation;
    this.resubscribeBooks(generation);
    const sent = [...byThrottle].map(([throttleMs, symbols]) => this.sendSubscribe(symbols, generation, throttleMs));
    void Promise.all(sent).then((outcomes) => {
      const error = outcomes.find((o) => o.error !== undefined)?.error;
      const outcome: SubscribeOutcome = {
        subscribed: outcomes.flatMap((o) => o.subscribed),
        rejected: outcomes.flatMap((o) => o.rejected),
        ...(error === undefined ? {} : { error }),
      };
      for (const waiter of waiters) {
        waiter.resolve({
          subscribed: outcome.subscribed.filter((symbol) => waiter.symbols.has(symbol)),
          rejected: outcome.rejected.filter((rejected) => waiter.symbols.has(rejected.symbol)),
          ...(outcome.error === undefined ? {} : { error: outcome.error }),
        });
      }
    });
  }

  /**
   * Sends subscribe requests (in chunks) with resume points for every symbol we
   * hold a position for. Each ack is applied synchronously inside its callback:
   * the replayed ticks that follow it may be parsed from the same network read,
   * before any promise continuation would run.
   */
  private sendSubscribe(symbols: readonly string[], generation: number, throttleMs = 0): Promise<SubscribeOutcome> {
    const parts = chunks(symbols, this.maxPerRequest()).map((chunk) => this.subscribeChunk(chunk, generation, 1, throttleMs));
    return Promise.all(parts).then((outcomes) => {
      const subscribed = outcomes.flatMap((o) => o.subscribed);
      const rejected = outcomes.flatMap((o) => o.rejected);
      const error = outcomes.find((o) => o.error !== undefined)?.error;
      return error === undefined ? { subscribed, rejected } : { subscribed, rejected, error };
    });
  }

  private subscribeChunk(chunk: readonly string[], generation: number, attempt: number, throttleMs: number): Promise<SubscribeOutcome> {
    const none: SubscribeOutcome = { subscribed: [], rejected: [] };
    // A symbol whose delivery changed meanwhile is left to the later request.
    const symbols = chunk.filter((symbol) => this.wanted.has(symbol) && (this.quoteModes.get(symbol) ?? 0) === throttleMs);
    if (symbols.length === 0 || generation !== this.generation) return Promise.resolve(none);
    return new Promise((resolve) => {
      // Quotes are state, not a stream: nothing to resume, no seq to track.
      const resume = throttleMs === 0 ? this.tracker.resumePoints(symbols) : {};
      if (throttleMs === 0) for (const symbol of symbols) this.tracker.markPending(symbol);
      const request =
        throttleMs > 0 ? { symbols, throttleMs } : Object.keys(resume).length > 0 ? { symbols, resume } : { symbols };
      this.socket.timeout(this.ackTimeoutMs).emit(Events.subscribe, request, (timeout: Error | null, reply: SubscribeReply) => {
        // The symbols stay pending (their ticks dropped) until a retry's ack.
        const retry = () => this.subscribeChunk(symbols, generation, attempt + 1, throttleMs);
        if (!this.ackSettled('subscribe', generation, attempt, timeout, reply, resolve, retry)) return;
        const subscribed: string[] = [];
        const rejected: RejectedSymbol[] = [];
        this.applySubscribeReply(reply, resume, subscribed, rejected, throttleMs);
        resolve({ subscribed, rejected });
      });
    });
  }

  /**
   * What every subscribe-like request does with its ack before reading it: a reply to an older
   * connection is dropped, no ack in time starts the connection over (the reconnect resubscribes
   * everything), RATE_LIMITED is retried with backoff, any other error is reported. True when the
   * reply is an ok one for the caller to apply; otherwise `resolve` has been (or will be) called.
   */
  private ackSettled<R extends { ok: true } | { ok: false; error: ProtocolError }>(
    what: string,
    generation: number,
    attempt: number,
    timeout: Error | null,
    reply: R,
    resolve: (outcome: SubscribeOutcome) => void,
    retry: () => Promise<SubscribeOutcome>,
  ): reply is Extract<R, { ok: true }> {
    const none: SubscribeOutcome = { subscribed: [], rejected: [] };
    if (generation !== this.generation) {
      resolve(none);
      return false;
    }
    if (timeout !== null) {
      const error: ProtocolError = { code: ErrorCode.INTERNAL, message: `${what}: no ack in time` };
      this.emitter.emit('error', error);
      this.dispatch({ type: 'lost', reason: `${what} ack timeout` });
      resolve({ ...none, error });
      return false;
    }
    if (reply.ok) return true;
    const failed = reply as Extract<R, { ok: false }>;
    if (failed.error.code === ErrorCode.RATE_LIMITED && attempt < 8) {
      this.timers.setTimeout(() => void retry().then(resolve), backoffDelay(this.policy, attempt + 2, this.random));
      return false;
    }
    this.emitter.emit('error', failed.error);
    resolve({ ...none, error: failed.error });
    return false;
  }

  private applySubscribeReply(
    reply: Extract<SubscribeReply, { ok: true }>,
    resume: Record<string, ResumePoint>,
    subscribed: string[],
    rejected: RejectedSymbol[],
    throttleMs: number,
  ): void {
    for (const entry of reply.subscribed) {
      // Unsubscribed while the request was in flight: the later unsubscribe wins.
      if (!this.wanted.has(entry.symbol)) continue;
      subscribed.push(entry.symbol);
      if (throttleMs > 0) {
        // Its ticks no longer come; a later switch to every tick starts it from that ack's snapshot.
        this.tracker.remove(entry.symbol);
        this.recoverQueue.delete(entry.symbol);
        this.emitter.emit('symbol', { symbol: entry.symbol, epoch: entry.epoch, snapshot: entry.snapshot, cause: 'subscribed' });
        continue;
      }
      const point = resume[entry.symbol];
      if (point !== undefined && entry.recovered === true && entry.epoch === point.epoch) {
        this.tracker.resumed(entry.symbol);
        this.emitter.emit('symbol', { symbol: entry.symbol, epoch: entry.epoch, snapshot: entry.snapshot, cause: 'recovered' });
        continue;
      }
      this.tracker.start(entry.symbol, entry.epoch, entry.snapshot.seq);
      this.emitter.emit('symbol', {
        symbol: entry.symbol,
        epoch: entry.epoch,
        snapshot: entry.snapshot,
        cause: point === undefined ? 'subscribed' : 'reloaded',
      });
    }
    const refused = reply.rejected.filter((entry) => this.wanted.has(entry.symbol));
    for (const entry of refused) {
      this.wanted.delete(entry.symbol);
      this.quoteModes.delete(entry.symbol);
      this.tracker.remove(entry.symbol);
      rejected.push(entry);
    }
    if (refused.length > 0) this.emitter.emit('rejected', refused);
  }

  /* ---------------------------------- books --------------------------------- */

  private resubscribeBooks(generation: number): void {
    const waiters = this.bookWaiters;
    this.bookWaiters = [];
    this.bookResyncQueue.clear();
    const symbols = [...this.books.keys()];
    void this.sendBookSubscribe(symbols, generation).then((outcome) => {
      for (const waiter of waiters) {
        waiter.resolve({
          subscribed: outcome.subscribed.filter((symbol) => waiter.symbols.has(symbol)),
          rejected: outcome.rejected.filter((rejected) => waiter.symbols.has(rejected.symbol)),
          ...(outcome.error === undefined ? {} : { error: outcome.error }),
        });
      }
    });
  }

  /** Sends book:subscribe requests, one per depth (in chunks), each book resuming when its copy can be trusted. */
  private sendBookSubscribe(symbols: readonly string[], generation: number): Promise<SubscribeOutcome> {
    const byDepth = new Map<number, string[]>();
    for (const symbol of symbols) {
      const follower = this.books.get(symbol);
      if (follower === undefined) continue;
      const group = byDepth.get(follower.depth);
      if (group === undefined) byDepth.set(follower.depth, [symbol]);
      else group.push(symbol);
    }
    const parts: Promise<SubscribeOutcome>[] = [];
    for (const [depth, group] of byDepth) {
      for (const chunk of chunks(group, this.maxPerRequest())) parts.push(this.bookSubscribeChunk(chunk, depth, generation, 1));
    }
    return Promise.all(parts).then((outcomes) => {
      const error = outcomes.find((o) => o.error !== undefined)?.error;
      const subscribed = outcomes.flatMap((o) => o.subscribed);
      const rejected = outcomes.flatMap((o) => o.rejected);
      return error === undefined ? { subscribed, rejected } : { subscribed, rejected, error };
    });
  }

  private bookSubscribeChunk(chunk: readonly string[], depth: number, generation: number, attempt: number): Promise<SubscribeOutcome> {
    const none: SubscribeOutcome = { subscribed: [], rejected: [] };
    const followers = chunk.map((symbol) => this.books.get(symbol)).filter((f): f is BookFollower => f !== undefined && f.depth === depth);
    if (followers.length === 0 || generation !== this.generation) return Promise.resolve(none);
    const resume: Record<string, ResumePoint> = {};
    for (const follower of followers) {
      const resync = follower.resync();
      if ('resume' in resync) resume[follower.symbol] = resync.resume;
      follower.markWaiting();
    }
    const symbols = followers.map((f) => f.symbol);
    const request = Object.keys(resume).length > 0 ? { symbols, depth, resume } : { symbols, depth };
    return new Promise((resolve) => {
      this.socket.timeout(this.ackTimeoutMs).emit(Events.bookSubscribe, request, (timeout: Error | null, reply: BookSubscribeReply) => {
        const retry = () => this.bookSubscribeChunk(symbols, depth, generation, attempt + 1);
        if (!this.ackSettled('book:subscribe', generation, attempt, timeout, reply, resolve, retry)) return;
        // Applied here, synchronously: the replayed updates may follow in the same network read.
        const subscribed: string[] = [];
        for (const entry of reply.subscribed) {
          const follower = this.books.get(entry.symbol);
          // Unfollowed (or followed at another depth) while the request was in flight: the later request wins.
          if (follower === undefined || !followers.includes(follower)) continue;
          subscribed.push(entry.symbol);
          const point = resume[entry.symbol];
          if (point !== undefined && entry.recovered === true && entry.epoch === point.epoch) {
            follower.recovered(entry.depth);
            this.emitBook(follower, 'recovered');
            continue;
          }
          const verified = follower.start(entry.epoch, entry.depth, entry.book);
          this.emitBook(follower, point === undefined && follower.counters.applied === 0 ? 'subscribed' : 'reloaded');
          if (!verified) this.queueBookResync(follower, 'checksum');
        }
        const rejected = reply.rejected.filter((entry) => this.books.get(entry.symbol) !== undefined && followers.includes(this.books.get(entry.symbol)!));
        for (const entry of rejected) this.books.delete(entry.symbol);
        if (rejected.length > 0) this.emitter.emit('bookRejected', rejected);
        resolve({ subscribed, rejected });
      });
    });
  }

  private onBook(updates: unknown): void {
    if (!Array.isArray(updates)) return;
    const changed = new Map<string, BookSides>();
    for (const update of updates as unknown[]) {
      if (!isBookUpdateLike(update)) continue;
      const follower = this.books.get(update.symbol);
      if (follower === undefined) continue;
      const seq = follower.book?.seq ?? 0;
      const verdict = follower.apply(update);
      if (verdict === 'applied') {
        const sides = changed.get(update.symbol);
        if (sides === undefined) changed.set(update.symbol, { bids: [...update.bids], asks: [...update.asks] });
        else {
          sides.bids.push(...update.bids);
          sides.asks.push(...update.asks);
        }
      } else if (verdict === 'gap' || verdict === 'checksum') {
        this.queueBookResync(follower, verdict, seq);
      }
    }
    for (const [symbol, sides] of changed) {
      const follower = this.books.get(symbol);
      // A later update of the same event may have found the copy wrong: it is then resynchronised, not shown.
      if (follower !== undefined && !follower.isWaiting && !this.bookResyncQueue.has(symbol)) this.emitBook(follower, 'update', sides);
    }
  }

  private onBookReset(reset: BookReset): void {
    const follower = this.books.get(reset.symbol);
    if (follower === undefined || typeof reset.epoch !== 'string' || typeof reset.book !== 'object' || reset.book === null) return;
    this.bookResyncQueue.delete(reset.symbol);
    const verified = follower.start(reset.epoch, reset.depth, reset.book);
    this.emitBook(follower, 'reset', undefined, reset.reason);
    if (!verified) this.queueBookResync(follower, 'checksum');
  }

  private emitBook(follower: BookFollower, cause: BookCause, changed: BookSides = { bids: [], asks: [] }, reason?: string): void {
    const book = follower.book;
    if (book === undefined) return;
    this.emitter.emit('book', { symbol: follower.symbol, cause, book, changed, ...(reason === undefined ? {} : { reason }) });
  }

  /**
   * Resubscribes a book (batched with others found in the same turn): from its
   * last applied update after a gap, from a fresh snapshot after a mismatch.
   * Updates are ignored meanwhile.
   */
  private queueBookResync(follower: BookFollower, reason: 'gap' | 'checksum', seq = follower.book?.seq ?? 0): void {
    this.emitter.emit('bookResync', { symbol: follower.symbol, reason, seq });
    follower.markWaiting();
    this.bookResyncQueue.add(follower.symbol);
    if (this.bookResyncScheduled) return;
    this.bookResyncScheduled = true;
    const generation = this.generation;
    // Successive mismatches (e.g. metadata with other decimals than the server's) back off instead of looping.
    const failures = follower.counters.checksumMismatches;
    const delay = reason === 'checksum' && failures > 1 ? backoffDelay(this.policy, failures, this.random) : 0;
    const run = () => {
      this.bookResyncScheduled = false;
      const symbols = [...this.bookResyncQueue].filter((s) => this.books.has(s));
      this.bookResyncQueue.clear();
      if (symbols.length === 0 || generation !== this.generation || this.current.kind !== 'connected') return;
      void this.sendBookSubscribe(symbols, generation);
    };
    if (delay === 0) queueMicrotask(run);
    else this.timers.setTimeout(run, delay);
  }

  /* ---------------------------------- ticks --------------------------------- */

  private onTicks(ticks: unknown): void {
    if (!Array.isArray(ticks)) return;
    const applied: Tick[] = [];
    for (const tick of ticks as unknown[]) {
      if (!isTickLike(tick)) continue;
      const verdict = this.tracker.accept(tick.symbol, tick.seq);
      if (verdict === 'apply') applied.push(tick);
      else if (verdict === 'gap') {
        const gap = this.tracker.lastGapInfo();
        if (gap !== undefined) this.emitter.emit('gap', gap);
        this.queueRecovery(tick.symbol);
      }
    }
    if (applied.length > 0) this.emitter.emit('ticks', applied);
  }

  private onQuotes(quotes: unknown): void {
    if (!Array.isArray(quotes)) return;
    const applied: Snapshot[] = [];
    for (const quote of quotes as unknown[]) {
      if (isSnapshotLike(quote) && this.quoteModes.has(quote.symbol) && this.wanted.has(quote.symbol)) applied.push(quote);
    }
    if (applied.length > 0) this.emitter.emit('quotes', applied);
  }

  /** Resubscribes a symbol with its resume point, batched with others found in the same turn. */
  private queueRecovery(symbol: string): void {
    if (!this.wanted.has(symbol)) return;
    this.recoverQueue.add(symbol);
    if (this.recoverScheduled) return;
    this.recoverScheduled = true;
    const generation = this.generation;
    queueMicrotask(() => {
      this.recoverScheduled = false;
      const symbols = [...this.recoverQueue].filter((s) => this.wanted.has(s));
      this.recoverQueue.clear();
      if (symbols.length === 0 || generation !== this.generation || this.current.kind !== 'connected') return;
      void this.sendSubscribe(symbols, generation);
    });
  }
}

function isTickLike(value: unknown): value is Tick {
  if (typeof value !== 'object' || value === null) return false;
  const tick = value as Record<string, unknown>;
  return typeof tick.symbol === 'string' && typeof tick.seq === 'number' && typeof tick.price === 'number';
}

function isBookUpdateLike(value: unknown): value is BookUpdate {
  if (typeof value !== 'object' || value === null) return false;
  const update = value as Record<string, unknown>;
  return (
    typeof update.symbol === 'string' &&
    typeof update.seq === 'number' &&
    typeof update.checksum === 'number' &&
    Array.isArray(update.bids) &&
    Array.isArray(update.asks)
  );
}

function isSnapshotLike(value: unknown): value is Snapshot {
  if (typeof value !== 'object' || value === null) return false;
  const quote = value as Record<string, unknown>;
  return typeof quote.symbol === 'string' && typeof quote.seq === 'number' && typeof quote.last === 'number';
}

function unique(symbols: readonly string[]): string[] {
  return [...new Set(symbols)];
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
