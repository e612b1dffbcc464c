import { performance } from 'node:perf_hooks';
import { Events, bookDiff, type BookSides, type BookUpdate } from '@tickfeed/protocol';
import type { Logger } from 'pino';
import type { SlowConsumerPolicy } from '../config.js';
import type { ConsumerNamespace, ConsumerSocket } from '../types.js';
import { terminateConnection } from '../delivery/terminate.js';
import type { BookDepths } from './book-rooms.js';
import { bookDepthOf } from './book-rooms.js';
import type { BookState, SymbolOrderBook } from './book-state.js';
import type { BookMetrics } from './book-metrics.js';
import { FlushLoop } from '../delivery/flush-pacing.js';

export interface BookFanoutOptions {
  flushIntervalMs: number;
  slowConsumerMaxFrames: number;
  slowConsumerPolicy: SlowConsumerPolicy;
}

/** One consumer's book delivery: updates waiting for the next flush, frames in flight, slow-consumer state. */
interface BookClient {
  readonly socket: ConsumerSocket;
  /** Serialized updates in arrival order (each symbol's in ascending seq). */
  pending: string[];
  /** Symbol of each pending update (same index), for conflation. */
  pendingSymbols: string[];
  inflight: number;
  queued: boolean;
  /** While set, the client fell behind: its updates are dropped and these symbols get a fresh snapshot once it caught up. */
  stale: Set<string> | null;
  closed: boolean;
  readonly written: () => void;
}

/** How soon a client waiting for its tick frames to drain before a resync is looked at again. */
const RESYNC_RETRY_MS = 10;

/** Updates in one `book` frame at most (a resume replay is split into frames of this size). */
export const BOOK_FRAME_UPDATES = 1_000;

const BOOK_PREFIX = `2[${JSON.stringify(Events.book)},[`;

/**
 * Delivers book updates to the consumers of this instance. An update is
 * diffed and serialized once per depth in use, queued for each follower, and
 * every flush each client with something pending gets one `book` event with
 * all of it, in order: every update is sent, none merged, so seqs stay exact.
 * Frames go through Engine.IO (`conn.write`), so they keep their order with
 * acks and `book:reset`. Flushes follow the tick fan-out's pacing (SPEC R35):
 * one starts when something is queued and the previous one is done, none
 * runs while nothing is.
 *
 * A client's book frames in flight plus its tick frames in flight are held to
 * SLOW_CONSUMER_MAX_FRAMES. Over it, `conflate` drops the client's book
 * updates until it read everything written, then sends each symbol that lost
 * some a `book:reset` with a fresh snapshot; `disconnect` closes it.
 */
export class BookFanout {
  private readonly clients = new Map<string, BookClient>();
  private queue: BookClient[] = [];
  /** Clients whose resync waits for their tick frames to drain; back in the queue on the retry timer. */
  private waiting: BookClient[] = [];
  private readonly loop: FlushLoop;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Runs after every flush (the SSE streams' book updates go out on the same beat). */
  afterFlush: () => void = () => undefined;

  constructor(
    private readonly state: BookState,
    private readonly depths: BookDepths,
    private readonly options: BookFanoutOptions,
    private readonly tickFramesInflight: (socketId: string) => number,
    private readonly metrics: BookMetrics,
    private readonly log: Logger,
  ) {
    this.loop = new FlushLoop(options.flushIntervalMs, () => {
      this.flushAll();
      this.loop.done(this.queue.length > 0);
    });
  }

  start(): void {
    this.loop.start();
    this.requestFlush();
  }

  stop(): void {
    this.stopped = true;
    this.loop.stop();
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  /** Something is queued (for a client or an SSE stream): a flush starts unless one is due or running (it, or the one after it, takes it). */
  requestFlush(): void {
    this.loop.request();
  }

  /** A client waits for its tick frames to drain before its resync: look again shortly, not on every turn of the loop. */
  private retrySoon(): void {
    if (this.retryTimer !== undefined || this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      for (const client of this.waiting) this.queue.push(client);
      this.waiting = [];
      this.requestFlush();
    }, RESYNC_RETRY_MS);
  }

  register(socket: ConsumerSocket): void {
    const client: BookClient = {
      socket,
      pending: [],
      pendingSymbols: [],
      inflight: 0,
      queued: false,
      stale: null,
      closed: false,
      written: () => this.onWritten(client),
    };
    this.clients.set(socket.id, client);
  }

  unregister(socketId: string): void {
    const client = this.clients.get(socketId);
    if (client === undefined) return;
    client.closed = true;
    client.pending = [];
    client.pendingSymbols = [];
    client.stale = null;
    this.clients.delete(socketId);
  }

  /** Queues the update that took a book from `prev` to its current state for every follower, diffed once per depth. */
  publish(book: SymbolOrderBook, prev: BookSides): void {
    this.depths.forEach(book.symbol, (depth, members) => {
      const diff = bookDiff(prev, book.sides, depth);
      const update: BookUpdate = { symbol: book.symbol, seq: book.seq, ts: book.ts, bids: diff.bids, asks: diff.asks, checksum: book.checksum };
      const json = JSON.stringify(update);
      for (const socketId of members) {
        const client = this.clients.get(socketId);
        if (client !== undefined) this.add(client, book.symbol, json);
      }
    });
    // The SSE streams' updates of this book go out with the same flush.
    this.requestFlush();
  }

  /** Queues already computed updates for one client (a resume's missed updates), after what it has pending. */
  enqueue(socketId: string, symbol: string, updates: readonly BookUpdate[]): void {
    const client = this.clients.get(socketId);
    if (client === undefined) return;
    for (const update of updates) this.add(client, symbol, JSON.stringify(update));
    this.requestFlush();
  }

  /** Writes what is pending for one client now: before an ack that must follow it. */
  flushClient(socketId: string): void {
    const client = this.clients.get(socketId);
    if (client !== undefined && client.stale === null) this.writePending(client);
  }

  /** A new ack (or an unsubscribe) replaced this symbol's stream: a fresh snapshot is no longer owed for it. */
  forget(socketId: string, symbol: string): void {
    this.clients.get(socketId)?.stale?.delete(symbol);
  }

  /** Writes everything pending for every client (before a `book:reset`, at shutdown). */
  flushAllNow(): void {
    this.flushAll();
  }

  private add(client: BookClient, symbol: string, json: string): void {
    if (client.closed) return;
    if (client.stale !== null) {
      client.stale.add(symbol);
      return;
    }
    client.pending.push(json);
    client.pendingSymbols.push(symbol);
    if (!client.queued) {
      client.queued = true;
      this.queue.push(client);
    }
  }

  private flushAll(): void {
    this.afterFlush();
    if (this.queue.length === 0) return;
    const started = performance.now();
    const queue = this.queue;
    this.queue = [];
    for (const client of queue) {
      client.queued = false;
      if (client.closed) continue;
      if (client.stale !== null) {
        this.tryResync(client);
        continue;
      }
      if (client.inflight + this.tickFramesInflight(client.socket.id) >= this.options.slowConsumerMaxFrames) {
        this.onSlowConsumer(client);
        continue;
      }
      this.writePending(client);
    }
    this.metrics.flushSeconds.observe((performance.now() - started) / 1000);
  }

  private writePending(client: BookClient): void {
    if (client.pending.length === 0 || client.closed) return;
    const pending = client.pending;
    client.pending = [];
    client.pendingSymbols = [];
    for (let from = 0; from < pending.length; from += BOOK_FRAME_UPDATES) {
      const chunk = from === 0 && pending.length <= BOOK_FRAME_UPDATES ? pending : pending.slice(from, from + BOOK_FRAME_UPDATES);
      client.inflight++;
      client.socket.conn.write(BOOK_PREFIX + chunk.join(',') + ']]', undefined, client.written);
      this.metrics.updatesOut.inc(chunk.length);
    }
  }

  private onWritten(client: BookClient): void {
    client.inflight--;
    if (client.stale !== null && client.inflight === 0 && !client.queued && !client.closed) {
      client.queued = true;
      this.queue.push(client);
      this.requestFlush();
    }
  }

  private onSlowConsumer(client: BookClient): void {
    const { socket } = client;
    this.metrics.slowConsumers.inc({ policy: this.options.slowConsumerPolicy });
    if (this.options.slowConsumerPolicy === 'disconnect') {
      this.log.warn({ socketId: socket.id, inflight: client.inflight }, 'slow book consumer disconnected');
      this.unregister(socket.id);
      terminateConnection(socket);
      return;
    }
    this.log.info({ socketId: socket.id, inflight: client.inflight }, 'slow book consumer: dropping updates until it catches up');
    client.stale = new Set(client.pendingSymbols);
    client.pending = [];
    client.pendingSymbols = [];
    this.tryResync(client);
  }

  /** Once the client read everything written (book and ticks), each symbol that lost updates starts over from a snapshot. */
  private tryResync(client: BookClient): void {
    const stale = client.stale!;
    if (client.inflight > 0 || this.tickFramesInflight(client.socket.id) >= this.options.slowConsumerMaxFrames) {
      // onWritten queues it again when its book frames are out; otherwise look again shortly.
      if (client.inflight === 0 && !client.queued) {
        client.queued = true;
        this.waiting.push(client);
        this.retrySoon();
      }
      return;
    }
    client.stale = null;
    for (const symbol of stale) {
      const depth = bookDepthOf(client.socket, symbol);
      const book = this.state.get(symbol);
      if (depth === undefined || book === undefined) continue;
      client.socket.emit(Events.bookReset, { symbol, epoch: book.epoch, depth, book: this.state.snapshot(book, depth), reason: 'SLOW_CONSUMER' });
    }
  }
}
