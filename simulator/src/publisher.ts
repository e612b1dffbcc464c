import {
  DEFAULT_LIMITS,
  ErrorCode,
  checkTick,
  type BookPublish,
  type BookPublishReply,
  type Declared,
  type DeclareReply,
  type IngestPort,
  type PublishReply,
  type SymbolDeclaration,
  type Tick,
} from '@tickfeed/protocol';
import { systemClock, Waker, type Clock } from './clock.js';
import { silentLogger, type Logger } from './logger.js';
import { Sequencer } from './sequencer.js';
import type { ModelTrade } from './symbol-model.js';
import type { FeedEvent } from './book/book-source.js';
import { applyUpdate, EMPTY_BOOK, type BookLevels } from './book/levels.js';
import { bookSegment, type PublishEvent } from './book/book-segments.js';

export interface PublisherOptions {
  /** Ticks (and book messages) per publish request (default 1000, at most the protocol's maxTicksPerPublish). */
  maxBatch?: number;
  /** Ticks and book updates that may wait to be sent before send() makes its caller wait (default 2 × maxBatch). */
  maxQueued?: number;
  /** After a failed request with no reconnect in sight, retry after this long, ms (default 2000). */
  retryMs?: number;
  logger?: Logger;
  clock?: Clock;
  /** Called with the ticks the server accepted, in order (e.g. to record them). */
  onAccepted?: (ticks: Tick[]) => void;
}

export interface PublisherStats {
  /** Ticks sent in publish requests, first attempts only. */
  sent: number;
  accepted: number;
  rejected: number;
  /** Ticks sent again after a reconnect because their batch was never acknowledged. */
  resent: number;
  /** Ticks dropped before sending: failed validation or symbol refused at declare. */
  dropped: number;
  /** Re-declarations after a reconnect (or a seq resync). */
  resyncs: number;
  /** Book snapshots and updates the server accepted. */
  bookAccepted: number;
  /** Book messages the server rejected (each followed by a snapshot of that book). */
  bookRejected: number;
  /** Book snapshots sent to re-synchronise a book (after a reconnect or a rejection). */
  bookResyncs: number;
}

type DeclareJob = {
  kind: 'declare';
  symbols: SymbolDeclaration[];
  reset: boolean;
  reason: string | undefined;
  resolve: (declared: Declared[]) => void;
  reject: (error: Error) => void;
};
type Job = { kind: 'events'; events: PublishEvent[] } | DeclareJob;

/** A numbered segment: its book messages go first, then its ticks (bookSegment keeps each symbol's order). */
interface Pending {
  books: BookPublish[];
  ticks: Tick[];
}

/** Thrown by IngestPort implementations when a request cannot complete because the connection is gone. */
export class ConnectionLostError extends Error {
  override name = 'ConnectionLostError';
}

/**
 * The one path from the simulator to a feed server's ingest. A single sender
 * loop owns the port: it numbers ticks per symbol, publishes one batch at a
 * time and waits for its ack (bounded in-flight), and applies declarations in
 * order with the ticks. Producers call send(), which waits when `maxQueued`
 * ticks are already waiting: backpressure instead of unbounded buffering.
 *
 * After a connection loss it waits for the port's reconnect, re-declares every
 * symbol and uses each reply's lastSeq: ticks of the un-acknowledged batch
 * the server already accepted (seq ≤ lastSeq, same epoch) are dropped, the
 * rest are renumbered from lastSeq + 1 and sent again, so each symbol's seq
 * continues with no gap and no duplicate.
 */
export class Publisher {
  readonly stats: PublisherStats = { sent: 0, accepted: 0, rejected: 0, resent: 0, dropped: 0, resyncs: 0, bookAccepted: 0, bookRejected: 0, bookResyncs: 0 };
  private readonly maxBatch: number;
  private readonly maxQueued: number;
  private readonly retryMs: number;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly onAccepted: ((ticks: Tick[]) => void) | undefined;
  private readonly sequencer = new Sequencer();
  private readonly declared = new Map<string, SymbolDeclaration>();
  private readonly epochs = new Map<string, string>();
  private readonly refused = new Set<string>();
  private readonly queue: Job[] = [];
  private queuedTicks = 0;
  /** The batch in flight or waiting to be resent, already numbered. */
  private pending: Tick[] | null = null;
  /** The book messages that go before `pending`'s ticks; dropped after a connection loss (a snapshot replaces them). */
  private pendingBooks: BookPublish[] = [];
  /** Per book symbol: the last book seq numbered, and the book after every event taken so far. */
  private readonly bookSeqs = new Map<string, number>();
  private readonly books = new Map<string, BookLevels>();
  private readonly bookTs = new Map<string, number>();
  private pendingIsResend = false;
  private needsResync = false;
  private reconnects = 0;
  private closed = false;
  private readonly work: Waker;
  private readonly reconnectWait: Waker;
  private spaceWaiters: Array<() => void> = [];
  private idleWaiters: Array<() => void> = [];
  private resyncListeners: Array<() => void> = [];
  private readonly loopDone: Promise<void>;

  constructor(
    private readonly port: IngestPort,
    options: PublisherOptions = {},
  ) {
    this.maxBatch = Math.min(options.maxBatch ?? 1_000, DEFAULT_LIMITS.maxTicksPerPublish);
    this.maxQueued = options.maxQueued ?? 2 * this.maxBatch;
    this.retryMs = options.retryMs ?? 2_000;
    this.logger = options.logger ?? silentLogger;
    this.clock = options.clock ?? systemClock;
    this.onAccepted = options.onAccepted;
    this.work = new Waker(this.clock);
    this.reconnectWait = new Waker(this.clock);
    port.onReconnect(() => {
      this.reconnects++;
      this.needsResync = true;
      this.reconnectWait.wake();
      this.work.wake();
    });
    this.loopDone = this.loop();
  }

  /**
   * Declares symbols (in order with the ticks already sent). With reset, the
   * server starts a new epoch for them and their seq starts again at 1.
   * Resolves with the server's view of each symbol; rejects when the server
   * refuses the request as a whole.
   */
  declare(symbols: SymbolDeclaration[], options: { reset?: boolean; reason?: string } = {}): Promise<Declared[]> {
    if (this.closed) return Promise.reject(new Error('publisher is closed'));
    return new Promise<Declared[]>((resolve, reject) => {
      this.queue.push({ kind: 'declare', symbols, reset: options.reset ?? false, reason: options.reason, resolve, reject });
      this.work.wake();
    });
  }

  /** Queues trades for publishing; waits while the queue is full. */
  send(trades: readonly ModelTrade[]): Promise<void> {
    return this.sendEvents(trades.map((trade) => ({ kind: 'trade', trade })));
  }

  /**
   * Queues trades, book updates and book snapshots (of symbols declared with
   * `book: true`) in publishing order; waits while the queue is full. Each
   * book message gets its symbol's next book seq.
   */
  async sendEvents(events: readonly (FeedEvent | PublishEvent)[]): Promise<void> {
    if (this.closed) throw new Error('publisher is closed');
    for (let i = 0; i < events.length; i += this.maxBatch) {
      const chunk = events.slice(i, i + this.maxBatch);
      this.queue.push({ kind: 'events', events: chunk });
      this.queuedTicks += chunk.length;
    }
    this.work.wake();
    while (this.queuedTicks > this.maxQueued && !this.closed) {
      await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
    }
  }

  /** Resolves once everything queued so far has been acknowledged (or the publisher closed). */
  drain(): Promise<void> {
    if (this.isIdle() || this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Registers a callback run after each re-declaration that follows a reconnect. */
  onResync(listener: () => void): void {
    this.resyncListeners.push(listener);
  }

  /**
   * Stops the sender loop; queued ticks are abandoned and every waiting send()
   * and drain() returns. Does not close the port, and does not wait for a
   * request the port still has in flight (its reply is then ignored).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.work.wake();
    this.reconnectWait.wake();
    for (const job of this.queue) if (job.kind === 'declare') job.reject(new Error('publisher closed'));
    this.queue.length = 0;
    this.releaseWaiters();
    await Promise.race([this.loopDone, new Promise<void>((resolve) => setImmediate(resolve))]);
  }

  private isIdle(): boolean {
    return this.queue.length === 0 && this.pending === null && this.pendingBooks.length === 0 && !this.needsResync;
  }

  private releaseWaiters(): void {
    const space = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const resolve of space) resolve();
    const idle = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of idle) resolve();
  }

  private async loop(): Promise<void> {
    while (!this.closed) {
      if (this.needsResync) {
        await this.resync();
      } else if (this.pendingBooks.length > 0) {
        await this.publishPendingBooks();
      } else if (this.pending !== null) {
        await this.publishPending();
      } else {
        const job = this.queue.shift();
        if (job === undefined) {
          this.releaseWaiters();
          await this.work.wait(Infinity);
        } else if (job.kind === 'declare') {
          await this.runDeclare(job);
        } else {
          this.takeEvents(job);
        }
      }
    }
    this.releaseWaiters();
  }

  /**
   * Takes one segment of the queued events (bookSegment: at most maxBatch, and no
   * symbol's book update after its own tick) and numbers it: book messages get
   * their symbol's next book seq, ticks their symbol's next seq.
   */
  private takeEvents(first: Extract<Job, { kind: 'events' }>): void {
    this.queue.unshift(first);
    const head: PublishEvent[] = [];
    while (head.length < this.maxBatch) {
      const next = this.queue[0];
      if (next === undefined || next.kind !== 'events') break;
      this.queue.shift();
      for (const e of next.events) head.push(e);
    }
    const { taken, books, trades } = bookSegment(head, this.maxBatch);
    if (taken < head.length) this.queue.unshift({ kind: 'events', events: head.slice(taken) });
    this.queuedTicks -= taken;
    if (this.queuedTicks <= this.maxQueued) {
      const space = this.spaceWaiters;
      this.spaceWaiters = [];
      for (const resolve of space) resolve();
    }
    this.pendingBooks = [];
    for (const event of books) {
      const { symbol } = event.update;
      if (!this.hasBook(symbol)) {
        this.dropBook(symbol, `symbol ${symbol} is not declared with a book`);
        continue;
      }
      const held = event.kind === 'snapshot' ? EMPTY_BOOK : (this.books.get(symbol) ?? EMPTY_BOOK);
      this.books.set(symbol, applyUpdate(held, event.update));
      this.bookTs.set(symbol, event.update.ts);
      this.pendingBooks.push(this.numberBook(symbol, event.update.ts, event.update, event.kind === 'snapshot'));
    }
    const valid: ModelTrade[] = [];
    for (const trade of trades) {
      if (!this.declared.has(trade.symbol) || this.refused.has(trade.symbol)) {
        this.drop(trade, `symbol ${trade.symbol} is not declared`);
        continue;
      }
      const problem = checkTick({ ...trade, seq: 1 });
      if (problem !== null) {
        this.drop(trade, problem.message);
        continue;
      }
      valid.push(trade);
    }
    if (valid.length === 0) return;
    this.pending = this.sequencer.stamp(valid);
    this.pendingIsResend = false;
  }

  private hasBook(symbol: string): boolean {
    return this.declared.get(symbol)?.book === true && !this.refused.has(symbol);
  }

  private numberBook(symbol: string, ts: number, levels: Pick<BookLevels, 'bids' | 'asks'>, snapshot: boolean): BookPublish {
    const seq = (this.bookSeqs.get(symbol) ?? 0) + 1;
    this.bookSeqs.set(symbol, seq);
    const message: BookPublish = { symbol, seq, ts, bids: levels.bids.map((l) => [l[0], l[1]]), asks: levels.asks.map((l) => [l[0], l[1]]) };
    if (snapshot) message.snapshot = true;
    return message;
  }

  private dropBook(symbol: string, why: string): void {
    this.stats.dropped++;
    if (this.stats.dropped <= 10 || this.stats.dropped % 1_000 === 0) this.logger.warn({ symbol, dropped: this.stats.dropped }, `book update dropped before publishing: ${why}`);
  }

  /** A snapshot of each book as the events taken so far left it, numbered from `serverSeq` (the book's seq on the server). */
  private snapshotOf(symbol: string, serverSeq: number): BookPublish {
    this.bookSeqs.set(symbol, serverSeq);
    return this.numberBook(symbol, this.bookTs.get(symbol) ?? 0, this.books.get(symbol) ?? EMPTY_BOOK, true);
  }

  /**
   * Sends the segment's book messages (before its ticks). A rejected message
   * (its seq not the server's, e.g. after a reconnect to a server whose book
   * went on or started again) is followed, for its symbol, by a snapshot of
   * the book as numbered so far, at the seq the rejection names (SPEC S61).
   */
  private async publishPendingBooks(): Promise<void> {
    const gen = this.reconnects;
    const messages = this.pendingBooks;
    let reply: BookPublishReply;
    try {
      if (this.port.publishBook === undefined) throw new Error('this ingest offers no book publishing');
      reply = await this.port.publishBook({ updates: messages });
    } catch (error) {
      if (this.closed) return;
      if (!(error instanceof ConnectionLostError)) {
        this.logger.error({ error: messageOf(error) }, 'book publish failed; books dropped');
        this.pendingBooks = [];
        return;
      }
      this.logger.warn({ updates: messages.length, error: messageOf(error) }, 'book publish not acknowledged; will resend snapshots after reconnecting');
      this.needsResync = true;
      await this.waitForReconnect(gen);
      return;
    }
    if (this.closed) return;
    if (!reply.ok) {
      this.stats.bookRejected += messages.length;
      this.logger.error({ code: reply.error.code, updates: messages.length }, `book publish refused: ${reply.error.message}`);
      this.pendingBooks = [];
      return;
    }
    this.stats.bookAccepted += reply.accepted;
    this.pendingBooks = [];
    if (reply.rejected.length === 0) return;
    this.stats.bookRejected += reply.rejected.length;
    const first = reply.rejected[0]!;
    this.logger.warn({ rejected: reply.rejected.length, code: first.code, symbol: first.symbol }, `server rejected ${reply.rejected.length} book messages, first: ${first.message}`);
    // Per symbol, where the server's book stands: the seq its first rejection expects, or the seq before the rejected message.
    const serverSeqs = new Map<string, number>();
    for (const r of reply.rejected) {
      const m = messages[r.index];
      if (m === undefined || serverSeqs.has(m.symbol)) continue;
      serverSeqs.set(m.symbol, (r.expectedSeq ?? m.seq) - 1);
    }
    for (const r of reply.rejected) {
      // A snapshot refused for its content would be refused again: give that book up.
      const m = messages[r.index];
      if (m?.snapshot === true && r.expectedSeq === undefined) serverSeqs.delete(m.symbol);
    }
    const snapshots = [...serverSeqs].filter(([symbol]) => this.hasBook(symbol)).map(([symbol, seq]) => this.snapshotOf(symbol, seq));
    this.stats.bookResyncs += snapshots.length;
    this.pendingBooks = snapshots;
  }

  private drop(trade: ModelTrade, why: string): void {
    this.stats.dropped++;
    if (this.stats.dropped <= 10 || this.stats.dropped % 1_000 === 0) {
      this.logger.warn({ symbol: trade.symbol, ts: trade.ts, dropped: this.stats.dropped }, `tick dropped before publishing: ${why}`);
    }
  }

  private async publishPending(): Promise<void> {
    const ticks = this.pending!;
    const gen = this.reconnects;
    if (this.pendingIsResend) this.stats.resent += ticks.length;
    else this.stats.sent += ticks.length;
    let reply: PublishReply;
    try {
      reply = await this.port.publish({ ticks });
    } catch (error) {
      if (this.closed) return;
      this.logger.warn({ ticks: ticks.length, error: messageOf(error) }, 'publish not acknowledged; will resend after reconnecting');
      this.pendingIsResend = true;
      this.needsResync = true;
      await this.waitForReconnect(gen);
      return;
    }
    this.pending = null;
    if (this.closed) return;
    this.handlePublishReply(ticks, reply);
  }

  private handlePublishReply(ticks: Tick[], reply: PublishReply): void {
    if (!reply.ok) {
      this.stats.rejected += ticks.length;
      this.logger.error({ code: reply.error.code, ticks: ticks.length }, `publish refused: ${reply.error.message}`);
      if (reply.error.code === ErrorCode.NOT_DECLARED || reply.error.code === ErrorCode.SEQ_MISMATCH) this.needsResync = true;
      return;
    }
    this.stats.accepted += reply.accepted;
    if (reply.rejected.length > 0) {
      this.stats.rejected += reply.rejected.length;
      const first = reply.rejected[0]!;
      this.logger.warn(
        { rejected: reply.rejected.length, code: first.code, symbol: first.symbol },
        `server rejected ${reply.rejected.length} of ${ticks.length} ticks, first: ${first.message}`,
      );
      // A seq disagreement means our numbering drifted from the server's: ask it where each symbol stands.
      if (reply.rejected.some((r) => r.code === ErrorCode.SEQ_MISMATCH || r.code === ErrorCode.NOT_DECLARED)) this.needsResync = true;
    }
    if (this.onAccepted !== undefined) {
      if (reply.rejected.length === 0) this.onAccepted(ticks);
      else {
        const bad = new Set(reply.rejected.map((r) => r.index));
        this.onAccepted(ticks.filter((_, i) => !bad.has(i)));
      }
    }
  }

  private async runDeclare(job: DeclareJob): Promise<void> {
    const gen = this.reconnects;
    let reply: DeclareReply;
    try {
      reply = await this.port.declare({
        symbols: job.symbols,
        ...(job.reset ? { reset: true } : {}),
        ...(job.reason !== undefined ? { reason: job.reason } : {}),
      });
    } catch (error) {
      if (this.closed) {
        job.reject(new Error('publisher closed'));
        return;
      }
      this.logger.warn({ error: messageOf(error) }, 'declare not acknowledged; will retry after reconnecting');
      this.queue.unshift(job);
      this.needsResync = true;
      await this.waitForReconnect(gen);
      return;
    }
    if (!reply.ok) {
      job.reject(new Error(`declare refused: ${reply.error.code}: ${reply.error.message}`));
      return;
    }
    for (const spec of job.symbols) this.declared.set(spec.symbol, spec);
    for (const d of reply.declared) {
      // A new epoch starts with an empty book at seq 0 on the server.
      if (job.reset || this.epochs.get(d.symbol) !== d.epoch) {
        this.bookSeqs.set(d.symbol, 0);
        this.books.set(d.symbol, EMPTY_BOOK);
      }
      this.epochs.set(d.symbol, d.epoch);
      this.sequencer.setLast(d.symbol, d.lastSeq);
      this.refused.delete(d.symbol);
    }
    for (const r of reply.rejected) {
      this.refused.add(r.symbol);
      this.logger.error({ symbol: r.symbol, code: r.code }, `server refused symbol ${r.symbol}: ${r.message}`);
    }
    job.resolve(reply.declared);
  }

  /** Re-declares every symbol and renumbers the un-acknowledged batch from the server's lastSeq. */
  private async resync(): Promise<void> {
    if (this.declared.size === 0) {
      this.needsResync = false;
      return;
    }
    const gen = this.reconnects;
    const symbols = [...this.declared.values()];
    const replies: Declared[] = [];
    try {
      for (let i = 0; i < symbols.length; i += DEFAULT_LIMITS.maxSymbolsPerDeclare) {
        const reply = await this.port.declare({ symbols: symbols.slice(i, i + DEFAULT_LIMITS.maxSymbolsPerDeclare) });
        if (!reply.ok) throw new Error(`declare refused: ${reply.error.code}: ${reply.error.message}`);
        replies.push(...reply.declared);
        for (const r of reply.rejected) {
          this.refused.add(r.symbol);
          this.logger.error({ symbol: r.symbol, code: r.code }, `server refused symbol ${r.symbol}: ${r.message}`);
        }
      }
    } catch (error) {
      if (this.closed) return;
      this.logger.debug({ error: messageOf(error) }, 're-declare failed; waiting to reconnect');
      await this.waitForReconnect(gen);
      return;
    }
    const bySymbol = new Map(replies.map((d) => [d.symbol, d]));
    if (this.pending !== null) this.pending = this.renumber(this.pending, bySymbol);
    // Unacknowledged book messages may or may not have been applied: each book is sent whole instead (S61).
    this.pendingBooks = replies.filter((d) => this.hasBook(d.symbol)).map((d) => this.snapshotOf(d.symbol, this.bookSeqs.get(d.symbol) ?? 0));
    this.stats.bookResyncs += this.pendingBooks.length;
    for (const d of replies) {
      if (this.pending === null || !this.pending.some((t) => t.symbol === d.symbol)) this.sequencer.setLast(d.symbol, d.lastSeq);
      this.epochs.set(d.symbol, d.epoch);
    }
    this.needsResync = false;
    this.stats.resyncs++;
    this.logger.info({ symbols: replies.length, resend: this.pending?.length ?? 0 }, 're-declared after reconnect; seq continues');
    for (const listener of this.resyncListeners) listener();
  }

  private renumber(pending: Tick[], replies: Map<string, Declared>): Tick[] | null {
    const next = new Map<string, number>();
    const kept: Tick[] = [];
    for (const tick of pending) {
      const d = replies.get(tick.symbol);
      if (d === undefined) {
        this.stats.dropped++;
        continue;
      }
      const sameEpoch = this.epochs.get(tick.symbol) === d.epoch;
      if (sameEpoch && tick.seq <= d.lastSeq) continue; // the server has it already
      const seq = (next.get(tick.symbol) ?? d.lastSeq) + 1;
      next.set(tick.symbol, seq);
      kept.push(tick.seq === seq ? tick : { ...tick, seq });
    }
    for (const [symbol, seq] of next) this.sequencer.setLast(symbol, seq);
    return kept.length > 0 ? kept : null;
  }

  /** Waits until the port has reconnected since `gen`, or retryMs passes, or close(). */
  private async waitForReconnect(gen: number): Promise<void> {
    if (this.reconnects > gen || this.closed) return;
    await this.reconnectWait.wait(this.retryMs);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
