import { TypeCompiler } from '@sinclair/typebox/compiler';
import {
  DEFAULT_LIMITS,
  DeclareRequestSchema,
  ErrorCode,
  FeedStatusSchema,
  PublishRequestSchema,
  checkTick,
  errorReply,
  normalizeTick,
  roundDeclaration,
  roundTick,
  type DeclareReply,
  type DeclareRequest,
  type FeedStatus,
  type ErrorReply,
  type PublishReply,
  type RejectedSymbol,
  type RejectedTick,
  type SymbolDeclaration,
  type Tick,
} from '@tickfeed/protocol';
import type { Logger } from 'pino';
import type { FeedCore } from '../feed-core.js';
import type { StoredTick } from '../market/tick-ring.js';
import type { FeedMetrics } from '../observability/metrics.js';
import { describeSchemaError } from '../validation.js';
import type { ControlSender, FeedController } from './feed-controller.js';
import { SymbolOwners } from './symbol-owners.js';

const declareCheck = TypeCompiler.Compile(DeclareRequestSchema);
const publishCheck = TypeCompiler.Compile(PublishRequestSchema);
const statusCheck = TypeCompiler.Compile(FeedStatusSchema);

/** What the server remembers of one publisher connection. */
export class PublisherSession {
  /** Symbols this connection declared: the only ones it may publish (while its owner owns them). */
  readonly declared = new Set<string>();
  /** A declare still waiting for the shared store (cluster mode): later requests wait for it, in order. */
  pending: Promise<unknown> | undefined;
  /** The last valid feed status this connection announced, and when (an ordering number). */
  lastStatus: FeedStatus | undefined;
  lastStatusOrder = 0;
  /** Sends a control command to this publisher; unset when it takes none. */
  control: ControlSender | undefined;
  private warnedStatus = false;

  /**
   * @param name    for logs
   * @param owner   the publisher's identity: its `publisherId`, or one of this connection alone
   * @param graceMs how long the owner keeps its symbols after its last connection closed
   */
  constructor(
    readonly name: string,
    readonly owner: string,
    readonly graceMs: number,
  ) {}

  /** True the first time only: a refused status is logged once per connection (it comes about once a second). */
  firstRefusedStatus(): boolean {
    const first = !this.warnedStatus;
    this.warnedStatus = true;
    return first;
  }
}

export interface IngestOptions {
  /** MAX_SYMBOLS: symbols this server holds at most. */
  maxSymbols: number;
  /** MAX_TICK_CLOCK_SKEW_MS: how far a tick's ts may lie ahead of max(server clock, replay clock). */
  maxTickClockSkewMs: number;
  /** Wall clock, epoch ms. */
  now: () => number;
}

/**
 * Validates what publishers send and hands what is valid to the feed core.
 * Every tick is checked (shape and bounds, time window, declared by this
 * publisher and owned by it, seq + 1); an invalid one is rejected with a code
 * and counted, never applied. A symbol and the feed status belong to one
 * publisher at a time (SymbolOwners).
 */
export class IngestService {
  readonly owners = new SymbolOwners();
  private readonly sessions = new Set<PublisherSession>();
  private readonly graceTimers = new Map<string, ReturnType<typeof setTimeout>>();
  /** New symbols admitted by declares still waiting for the shared store: they count against MAX_SYMBOLS. */
  private reservedSymbols = 0;
  private statusOrder = 0;
  /** Why a tick's bid/ask is not its order book's best at this instant, or null (SPEC L20); set by the book channel. */
  quoteMismatch: (symbol: string, bid: number, ask: number) => string | null = () => null;

  constructor(
    private readonly core: FeedCore,
    private readonly controller: FeedController,
    private readonly metrics: FeedMetrics,
    private readonly log: Logger,
    private readonly options: IngestOptions,
  ) {}

  /** A publisher connection opened: its owner keeps what it holds (a grace period ends here). */
  open(session: PublisherSession): void {
    this.sessions.add(session);
    this.owners.connect(session.owner);
    const timer = this.graceTimers.get(session.owner);
    if (timer !== undefined) {
      clearTimeout(timer);
      this.graceTimers.delete(session.owner);
    }
  }

  /**
   * A publisher connection closed: its control ends now; its symbols and feed status when its
   * owner has no connection left, after the grace period, or at once when the publisher
   * disconnected on purpose (`deliberate`: a lost connection may come back, a goodbye does not).
   */
  close(session: PublisherSession, deliberate: boolean): void {
    if (!this.sessions.delete(session)) return;
    this.controller.unregister(session);
    if (this.owners.feedOwner === session.owner && this.core.feedStatus.controllable && !this.controller.hasLocal) {
      this.setStatus({ ...this.core.feedStatus, controllable: false });
    }
    if (!this.owners.disconnect(session.owner)) return;
    if (session.graceMs === 0 || deliberate) {
      this.expire(session.owner);
      return;
    }
    const owner = session.owner;
    const timer = setTimeout(() => {
      this.graceTimers.delete(owner);
      this.expire(owner);
    }, session.graceMs);
    timer.unref();
    this.graceTimers.set(owner, timer);
  }

  /** Stops the grace timers (server shutdown). */
  stop(): void {
    for (const timer of this.graceTimers.values()) clearTimeout(timer);
    this.graceTimers.clear();
  }

  private expire(owner: string): void {
    const { released, feedFreed } = this.owners.expire(owner);
    if (!released) return;
    this.log.info({ owner, feed: feedFreed }, 'publisher gone: its symbols are free');
    if (!feedFreed) return;
    // The feed status passes to the publisher that announced one most recently, if any is connected.
    let next: PublisherSession | undefined;
    for (const session of this.sessions) {
      if (session.lastStatus !== undefined && (next === undefined || session.lastStatusOrder > next.lastStatusOrder)) next = session;
    }
    if (next !== undefined && this.owners.claimFeed(next.owner)) this.announce(next, next.lastStatus!);
  }

  async declare(session: PublisherSession, raw: unknown): Promise<DeclareReply> {
    if (!declareCheck.Check(raw)) {
      return errorReply(ErrorCode.BAD_REQUEST, `declare: ${describeSchemaError(declareCheck.Errors(raw))}`);
    }
    const refusal = this.core.journal.refusal();
    if (refusal !== null) return errorReply(ErrorCode.STORE_UNAVAILABLE, `declare: ${refusal}`);
    // Ownership and the symbol cap are settled before anything waits, so concurrent declares see each other.
    const { request, rejected, reserved } = this.admit(session, raw);
    if (rejected.length > 0) {
      for (const r of rejected) this.metrics.requestsRejected.inc({ event: 'declare', code: r.code });
      this.log.warn({ publisher: session.name, rejected: rejected.length, first: rejected[0] }, 'declared symbols refused');
    }
    if (request === null) return { ok: true, declared: [], rejected };
    try {
      const prepare = this.core.replicator.prepareDeclare;
      if (prepare === undefined) return await this.durable(this.applyDeclare(session, request, undefined, rejected));
      // Cluster mode: the store answers first; requests of this session that come meanwhile wait (see publish).
      const previous = session.pending;
      const run = (async () => {
        await previous;
        const prepared = await prepare.call(this.core.replicator, request).catch(() =>
          errorReply(ErrorCode.STORE_UNAVAILABLE, 'declare: the shared store did not answer; retry shortly'),
        );
        return prepared.ok ? this.applyDeclare(session, request, prepared.epochs, rejected) : prepared;
      })();
      session.pending = run;
      try {
        return await run;
      } finally {
        if (session.pending === run) session.pending = undefined;
      }
    } finally {
      this.reservedSymbols -= reserved;
    }
  }

  /**
   * Sorts a declare's symbols: another publisher's (NOT_OWNER, unless `takeover`), new ones
   * over MAX_SYMBOLS (TOO_MANY_SYMBOLS), and the rest, which this publisher now owns.
   */
  private admit(
    session: PublisherSession,
    raw: DeclareRequest,
  ): { request: DeclareRequest | null; rejected: RejectedSymbol[]; reserved: number } {
    const takeover = raw.takeover === true;
    const { granted, refused } = this.owners.check(session.owner, raw.symbols.map((d) => d.symbol), takeover);
    const rejected: RejectedSymbol[] = refused.map(({ symbol }) => ({
      symbol,
      code: ErrorCode.NOT_OWNER,
      message: `${symbol} belongs to another publisher; declare it with takeover: true to take it over`,
    }));
    const allowed = new Set(granted);
    const market = this.core.market;
    let room = this.options.maxSymbols - market.size - this.reservedSymbols;
    const fresh = new Set<string>();
    const admitted: SymbolDeclaration[] = [];
    for (const decl of raw.symbols) {
      if (!allowed.has(decl.symbol)) continue;
      if (!market.has(decl.symbol) && !fresh.has(decl.symbol)) {
        if (room <= 0) {
          rejected.push({
            symbol: decl.symbol,
            code: ErrorCode.TOO_MANY_SYMBOLS,
            message: `this server holds its maximum of ${this.options.maxSymbols} symbols (MAX_SYMBOLS)`,
          });
          this.metrics.limitHits.inc({ limit: 'max_symbols' });
          continue;
        }
        room--;
        fresh.add(decl.symbol);
      }
      admitted.push(decl);
    }
    if (admitted.length === 0) return { request: null, rejected, reserved: 0 };
    const { taken, feedMoved } = this.owners.claim(session.owner, admitted.map((d) => d.symbol));
    if (taken.length > 0) {
      this.log.warn(
        { publisher: session.name, owner: session.owner, taken: taken.length, first: taken[0], feed: feedMoved },
        'symbols taken over from another publisher',
      );
    }
    if (feedMoved) this.feedTakenBy(session);
    this.reservedSymbols += fresh.size;
    // Reference prices at the tick size's decimals, so snapshots before the first tick are exact too.
    const request = { ...raw, symbols: admitted.map(roundDeclaration) };
    return { request, rejected, reserved: fresh.size };
  }

  private applyDeclare(
    session: PublisherSession,
    request: DeclareRequest,
    storeEpochs: Record<string, string> | undefined,
    rejected: RejectedSymbol[],
  ): DeclareReply {
    const { declared, epochs } = this.core.declare(request, storeEpochs);
    for (const decl of request.symbols) session.declared.add(decl.symbol);
    this.core.replicator.declare(request, epochs);
    this.log.info({ publisher: session.name, symbols: request.symbols.length, reset: request.reset === true }, 'symbols declared');
    return { ok: true, declared, rejected };
  }

  /** The reply once what was just applied is in the durable store (DATA_DIR); an error reply when it could not be written. */
  private async durable<T>(reply: T, written = this.core.journal.commit()): Promise<T | ErrorReply> {
    if (written === undefined) return reply;
    try {
      await written;
      return reply;
    } catch (error) {
      return errorReply(ErrorCode.STORE_UNAVAILABLE, `not stored: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async publish(session: PublisherSession, raw: unknown): Promise<PublishReply> {
    if (session.pending !== undefined) await session.pending;
    const refusal = this.core.journal.refusal();
    if (refusal !== null) return errorReply(ErrorCode.STORE_UNAVAILABLE, `publish: ${refusal}`);
    if (!publishCheck.Check(raw)) {
      return errorReply(
        ErrorCode.BAD_REQUEST,
        `publish: ${describeSchemaError(publishCheck.Errors(raw))} (1 to ${DEFAULT_LIMITS.maxTicksPerPublish} ticks per batch)`,
      );
    }
    const rejected: RejectedTick[] = [];
    const accepted: StoredTick[] = [];
    const replayClock = session.lastStatus?.mode === 'replay' ? (session.lastStatus.clock ?? 0) : 0;
    // A replay publishes recorded times (2012 tapes), always behind the server's clock; only the future is bounded.
    const latestTs = Math.max(this.options.now(), replayClock) + this.options.maxTickClockSkewMs;
    const ticks = raw.ticks;
    for (let index = 0; index < ticks.length; index++) {
      const value = ticks[index];
      const shapeError = checkTick(value);
      if (shapeError !== null) {
        rejected.push({ index, symbol: symbolOf(value), ...shapeError });
        continue;
      }
      const tick = normalizeTick(value as Tick);
      if (!session.declared.has(tick.symbol)) {
        rejected.push({
          index,
          symbol: tick.symbol,
          code: ErrorCode.NOT_DECLARED,
          message: `${tick.symbol} was not declared on this connection`,
        });
        continue;
      }
      if (!this.owners.owns(session.owner, tick.symbol)) {
        rejected.push({ index, symbol: tick.symbol, code: ErrorCode.NOT_OWNER, message: `${tick.symbol} was taken over by another publisher` });
        continue;
      }
      if (tick.ts > latestTs) {
        rejected.push({
          index,
          symbol: tick.symbol,
          code: ErrorCode.INVALID_TICK,
          message: `ts ${tick.ts} is more than ${this.options.maxTickClockSkewMs} ms (MAX_TICK_CLOCK_SKEW_MS) ahead of the server's clock${replayClock > 0 ? ' and the replay clock' : ''}`,
        });
        continue;
      }
      const seqError = this.core.market.checkSequence(tick);
      if (seqError !== null) {
        rejected.push({ index, symbol: tick.symbol, ...seqError });
        continue;
      }
      // The one place where published numbers are rounded to the symbol's decimals (decimals.ts).
      const exact = roundTick(tick, this.core.market.get(tick.symbol)!.format);
      if (!exact.ok) {
        rejected.push({ index, symbol: tick.symbol, code: ErrorCode.INVALID_TICK, message: exact.message });
        continue;
      }
      const quote = this.quoteMismatch(tick.symbol, exact.tick.bid, exact.tick.ask);
      if (quote !== null) {
        rejected.push({ index, symbol: tick.symbol, code: ErrorCode.INVALID_TICK, message: quote });
        continue;
      }
      const entry: StoredTick = { tick: exact.tick, json: JSON.stringify(exact.tick) };
      // Applied one by one so the next tick of the batch is checked against the updated seq.
      this.core.apply(entry);
      accepted.push(entry);
    }
    // Written before this call returns to the event loop, so before any consumer gets these ticks.
    const written = this.core.journal.commit();
    let stored: void | Promise<void> = undefined;
    if (accepted.length > 0) {
      this.metrics.ticksIn.inc(accepted.length);
      stored = this.core.replicator.ticks(accepted);
    }
    if (rejected.length > 0) {
      for (const r of rejected) this.metrics.ticksRejected.inc({ code: r.code });
      this.log.warn(
        { publisher: session.name, rejected: rejected.length, first: rejected[0] },
        'ticks rejected',
      );
    }
    // Cluster mode: acknowledged means stored, so a publisher that moves to another instance continues from there.
    if (stored !== undefined) await stored;
    return this.durable<PublishReply>({ ok: true, accepted: accepted.length, rejected }, written);
  }

  /**
   * A publisher announces the feed status (it has no ack). It becomes the
   * feed's status only when this publisher owns the feed (the first to
   * announce one, until its grace period ends, or a takeover); otherwise it
   * is kept, counted as NOT_OWNER, and used if the feed passes to it.
   */
  status(session: PublisherSession, raw: unknown): void {
    if (!this.sessions.has(session)) return;
    if (!statusCheck.Check(raw)) {
      this.metrics.requestsRejected.inc({ event: 'status', code: ErrorCode.BAD_REQUEST });
      this.log.warn({ publisher: session.name }, 'invalid feed status ignored');
      return;
    }
    session.lastStatus = raw;
    session.lastStatusOrder = ++this.statusOrder;
    if (!this.owners.claimFeed(session.owner)) {
      this.metrics.requestsRejected.inc({ event: 'status', code: ErrorCode.NOT_OWNER });
      if (session.firstRefusedStatus()) {
        this.log.warn({ publisher: session.name, owner: session.owner, feedOwner: this.owners.feedOwner }, 'feed status of a publisher that does not own the feed ignored');
      }
      return;
    }
    this.announce(session, raw);
  }

  private announce(session: PublisherSession, status: FeedStatus): void {
    if (status.controllable && session.control !== undefined) this.controller.register(session, session.control);
    else this.controller.unregister(session);
    this.setStatus(status);
  }

  /** A takeover moved the feed to this publisher: the previous owner's control ends; this one's status, if any, is the feed's. */
  private feedTakenBy(session: PublisherSession): void {
    this.controller.unregisterAll();
    if (session.lastStatus !== undefined) this.announce(session, session.lastStatus);
    else if (this.core.feedStatus.controllable) this.setStatus({ ...this.core.feedStatus, controllable: false });
  }

  private setStatus(status: FeedStatus): void {
    this.core.setStatus(status);
    this.core.replicator.status(status);
  }
}

function symbolOf(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return null;
  const symbol = (value as { symbol?: unknown }).symbol;
  return typeof symbol === 'string' ? symbol.slice(0, 40) : null;
}
