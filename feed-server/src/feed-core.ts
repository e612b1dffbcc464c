import {
  Events,
  snapshotOf,
  type ErrorReply,
  type DeclareRequest,
  type Declared,
  type FeedStatus,
  type SubscribeRequest,
  type Tick,
} from '@tickfeed/protocol';
import type { Logger } from 'pino';
import type { MarketState } from './market/market-state.js';
import type { StoredTick } from './market/tick-ring.js';
import type { Fanout } from './delivery/fanout.js';
import type { SseHub } from './delivery/sse-hub.js';
import type { ConsumerNamespace } from './types.js';
import type { FeedMetrics } from './observability/metrics.js';
import { NO_JOURNAL, type Journal } from './store/journal.js';

/** Where accepted changes go besides this instance: other instances and the shared store. */
export interface Replicator {
  /** Ticks accepted here; a returned promise (cluster mode: the shared-store write) delays the publisher's ack until it settles. */
  ticks(entries: readonly StoredTick[]): void | Promise<void>;
  declare(request: DeclareRequest, epochs: Record<string, string>): void;
  status(status: FeedStatus): void;
  /**
   * Cluster mode: runs before a declare is applied; brings the declared symbols up to the
   * shared store's state and returns the epochs the store holds, or an error for the ack.
   */
  prepareDeclare?(request: DeclareRequest): Promise<PreparedDeclare>;
  /**
   * Cluster mode: runs before a checked subscribe is answered. A request may name what this
   * instance has not heard of yet (a symbol just declared elsewhere, a resume point ahead of
   * its book); the returned promise settles once this instance caught up from the shared
   * store, or gave up (bounded). Undefined when there is nothing to wait for. Never rejects.
   */
  prepareSubscribe?(request: SubscribeRequest): Promise<void> | undefined;
}

export type PreparedDeclare = { ok: true; epochs: Record<string, string> } | ErrorReply;

export const NO_REPLICATION: Replicator = {
  ticks: () => undefined,
  declare: () => undefined,
  status: () => undefined,
};

export const INITIAL_FEED_STATUS: FeedStatus = Object.freeze({
  mode: 'live',
  state: 'playing',
  speed: 1,
  clock: null,
  loop: false,
  completions: 0,
  marker: null,
  source: 'no publisher connected',
  controllable: false,
});

/**
 * Applies accepted changes to this instance: market state, delivery to local
 * consumers, resets and feed status. Ingest calls it for what it accepted,
 * the cluster link for what other instances accepted.
 */
export class FeedCore {
  private status: FeedStatus = INITIAL_FEED_STATUS;
  replicator: Replicator = NO_REPLICATION;
  /** The durable store of a single instance (DATA_DIR); nothing in memory-only and cluster modes. */
  journal: Journal = NO_JOURNAL;
  /** Conflated delivery (the quote hub): told which symbols changed; nothing until the app wires it. */
  quotes: { changed(symbol: string): void } = { changed: () => undefined };
  /** Runs after the `reset` events of symbols whose history started over (the order books follow them). */
  onResets: (symbols: readonly string[], reason: string) => void = () => undefined;
  /** The last seq of a symbol's book, undefined without one (set by the book channel). */
  bookSeqOf: (symbol: string) => number | undefined = () => undefined;

  constructor(
    readonly market: MarketState,
    private readonly fanout: Fanout,
    private readonly sse: SseHub,
    private readonly nsp: ConsumerNamespace,
    private readonly metrics: FeedMetrics,
    private readonly log: Logger,
  ) {}

  get feedStatus(): FeedStatus {
    return this.status;
  }

  /** Declares symbols; `epochs` (from another instance) fixes the epoch of those that start over. */
  declare(request: DeclareRequest, epochs?: Record<string, string>): { declared: Declared[]; epochs: Record<string, string> } {
    const declared: Declared[] = [];
    const newEpochs: Record<string, string> = {};
    const resets: string[] = [];
    for (const decl of request.symbols) {
      const existed = this.market.has(decl.symbol);
      const fixedEpoch = epochs?.[decl.symbol];
      const reset = request.reset === true || (fixedEpoch !== undefined && fixedEpoch !== this.market.get(decl.symbol)?.epoch);
      const { book, newEpoch } = this.market.declare(decl, reset, fixedEpoch);
      this.journal.declared(book, newEpoch);
      if (newEpoch) {
        newEpochs[decl.symbol] = book.epoch;
        if (existed) resets.push(decl.symbol);
      }
      const lastBookSeq = this.bookSeqOf(decl.symbol);
      declared.push({
        symbol: decl.symbol,
        epoch: book.epoch,
        lastSeq: book.stats.seq,
        lastTs: book.stats.ts,
        last: book.stats.last,
        ...(lastBookSeq === undefined ? {} : { lastBookSeq }),
      });
    }
    if (resets.length > 0) this.announceResets(resets, request.reason ?? 'reset');
    return { declared, epochs: newEpochs };
  }

  /** Applies one tick already validated against this state, and queues it for local consumers. */
  apply(entry: StoredTick): void {
    this.journal.tick(entry);
    this.market.apply(entry);
    this.fanout.enqueue(entry.tick.symbol, entry.tick.seq, entry.json);
    this.quotes.changed(entry.tick.symbol);
  }

  /** Applies ticks from another instance; ones this instance already has are skipped, a gap is reported. */
  applyRemote(tickJsons: readonly string[]): string[] {
    const gaps: string[] = [];
    for (const json of tickJsons) {
      const tick = JSON.parse(json) as Tick;
      const book = this.market.get(tick.symbol);
      if (book === undefined) {
        gaps.push(tick.symbol);
        continue;
      }
      if (tick.seq <= book.stats.seq) continue;
      if (tick.seq !== book.stats.seq + 1) {
        gaps.push(tick.symbol);
        continue;
      }
      this.apply({ tick, json });
      this.metrics.clusterTicksIn.inc();
    }
    return gaps;
  }

  setStatus(status: FeedStatus): void {
    this.status = status;
    this.nsp.local.emit(Events.feedStatus, status);
    this.sse.broadcast(Events.feedStatus, status);
  }

  /** Tells the subscribers of each symbol that its history started over, after everything older reached them. */
  announceResets(symbols: readonly string[], reason: string): void {
    this.fanout.flushAllNow();
    for (const symbol of symbols) {
      const book = this.market.get(symbol);
      if (book === undefined) continue;
      const reset = { symbol, epoch: book.epoch, snapshot: snapshotOf(symbol, book.stats, book.format), reason };
      this.nsp.local.to(symbol).emit(Events.reset, reset);
      this.sse.sendToSymbol(symbol, Events.reset, reset, book.epoch);
      // Conflated subscribers get no `reset`: their next quote carries the new epoch's snapshot.
      this.quotes.changed(symbol);
    }
    this.onResets(symbols, reason);
    this.log.info({ symbols: symbols.length, reason }, 'new epoch');
  }
}
