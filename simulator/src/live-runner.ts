import {
  ErrorCode,
  errorReply,
  isMarketOpen,
  sessionKindOf,
  type ControlReply,
  type FeedStatus,
  type IngestPort,
  type SessionKind,
} from '@tickfeed/protocol';
import { Waker, type Clock } from './clock.js';
import type { Logger } from './logger.js';
import { MarketModel } from './market-model.js';
import type { Publisher } from './publisher.js';
import type { RunningSimulator, SimulatorStats } from './running-simulator.js';
import { StatusAnnouncer } from './status-announcer.js';
import type { FeedEvent } from './book/book-source.js';
import type { PublishEvent } from './book/book-segments.js';
import { declarationOf, type Universe } from './universe.js';

export interface LiveSettings {
  seed: number;
  /** Time between two publishes, ms. */
  batchMs: number;
  /** Most ticks per publish. */
  maxBatch: number;
  /** --book-depth: levels per side of each symbol's published book (0: no books, ticks only). */
  bookDepth?: number;
  /** Trade every symbol around the clock; otherwise only while its market is open (S70). */
  alwaysOpen: boolean;
}

/**
 * Live simulation: the model runs in wall time (model time 0 = the start),
 * and every batchMs the trades that came due are published. When the server
 * is slow or away, send() waits and the model simply falls behind; it catches
 * up after the reconnect, keeping each trade's own ts, and never buffers more
 * than the publisher's queue. Unless alwaysOpen, a symbol trades only while
 * its market is open (SPEC P30, S70): the model runs on through the night, so
 * the open gaps from the last close, and the trades it makes while the market
 * is closed are not published.
 */
export class LiveRunner implements RunningSimulator {
  readonly mode = 'live' as const;
  /** Never resolves: a live simulation has no end. Rejects if the loop fails. */
  readonly ended: Promise<void>;
  private rejectEnded!: (error: Error) => void;
  private readonly waker: Waker;
  private readonly announcer: StatusAnnouncer;
  private model: MarketModel | null = null;
  private stopped = false;
  private trades = 0;
  private loopDone: Promise<void> = Promise.resolve();
  private readonly booksOffered: boolean;
  /** Each symbol's market session; empty with alwaysOpen. */
  private readonly sessions = new Map<string, SessionKind>();

  constructor(
    private readonly universe: Universe,
    private readonly settings: LiveSettings,
    private readonly publisher: Publisher,
    port: IngestPort,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.ended = new Promise<void>((_, reject) => {
      this.rejectEnded = reject;
    });
    this.ended.catch(() => {});
    this.booksOffered = port.publishBook !== undefined;
    if (!settings.alwaysOpen) for (const s of universe.symbols) this.sessions.set(s.symbol, sessionKindOf(s));
    this.waker = new Waker(clock);
    this.announcer = new StatusAnnouncer(port, clock, () => this.buildStatus());
    publisher.onResync(() => this.announcer.announce());
  }

  /** Declares the universe (continuing each symbol from the server's last price and seq) and starts publishing. */
  async start(): Promise<void> {
    // A port without book publishing (an older server's ingest) gets today's ticks only.
    const bookDepth = this.booksOffered ? (this.settings.bookDepth ?? 0) : 0;
    const declarations = this.universe.symbols.map((s) => (bookDepth > 0 ? { ...declarationOf(s), book: true } : declarationOf(s)));
    const declared = await this.publisher.declare(declarations);
    const startPrices = new Map<string, number>();
    for (const d of declared) if (d.lastSeq > 0 && d.last > 0) startPrices.set(d.symbol, d.last);
    const startMs = this.clock.now();
    this.model = new MarketModel(this.universe, { seed: this.settings.seed, startMs, startPrices, bookDepth });
    // Each book starts with a snapshot (at the seq the server's book expects: S61); then updates and ticks in order.
    const snapshots: PublishEvent[] = [];
    for (const symbol of this.model.bookDepths().keys()) {
      const book = this.model.bookOf(symbol)!;
      snapshots.push({ kind: 'snapshot', update: { symbol, ts: startMs, bids: book.bids, asks: book.asks } });
    }
    if (snapshots.length > 0) await this.publisher.sendEvents(snapshots);
    this.logger.info(
      { symbols: this.universe.symbols.length, seed: this.settings.seed, ticksPerSec: Math.round(this.universe.symbols.reduce((s, x) => s + x.activity, 0)) },
      'live simulation started',
    );
    this.announcer.announce();
    this.loopDone = this.loop();
  }

  status(): FeedStatus {
    return this.announcer.last ?? this.buildStatus();
  }

  stats(): SimulatorStats {
    return { publisher: { ...this.publisher.stats }, records: this.trades };
  }

  async control(): Promise<ControlReply> {
    return errorReply(ErrorCode.NO_CONTROLLABLE_FEED, 'the feed is a live simulation; transport controls apply to replays');
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.announcer.stop();
    this.waker.wake();
    await this.loopDone;
  }

  private buildStatus(): FeedStatus {
    const n = this.universe.symbols.length;
    return {
      mode: 'live',
      state: 'playing',
      speed: 1,
      clock: null,
      loop: false,
      completions: 0,
      marker: null,
      source: `simulation: seed ${this.settings.seed}, ${n} symbol${n === 1 ? '' : 's'}`,
      controllable: false,
      ...this.closedNow(),
    };
  }

  /** The sessions of this universe whose markets are closed now (S71); nothing when all are open. */
  private closedNow(): Pick<FeedStatus, 'closed'> {
    const now = this.clock.now();
    const closed = [...new Set(this.sessions.values())].filter((kind) => !isMarketOpen(now, kind)).sort();
    return closed.length === 0 ? {} : { closed };
  }

  /** Keeps the trades made while their market is open, in place. */
  /**
   * Drops the trades of symbols whose market is closed (S70). Their books go on: the model's
   * book keeps moving, and each update is a diff the server's copy must see to stay equal to it.
   */
  private dropClosed(batch: FeedEvent[]): void {
    if (this.sessions.size === 0) return;
    let kept = 0;
    for (const event of batch) {
      if (event.kind === 'trade') {
        const kind = this.sessions.get(event.trade.symbol);
        if (kind !== undefined && !isMarketOpen(event.trade.ts, kind)) continue;
      }
      batch[kept++] = event;
    }
    batch.length = kept;
  }

  private async loop(): Promise<void> {
    const model = this.model!;
    try {
      while (!this.stopped) {
        const batch: FeedEvent[] = [];
        const now = this.clock.now();
        let trades = 0;
        while (trades < this.settings.maxBatch && model.peekTs() <= now) {
          model.nextEvents(batch);
          trades++;
        }
        this.dropClosed(batch);
        if (batch.length > 0) {
          this.trades += trades;
          await this.publisher.sendEvents(batch);
        }
        // Behind (a full batch): go on at once; otherwise wait for the next batch interval.
        if (trades < this.settings.maxBatch) await this.waker.wait(this.settings.batchMs);
      }
    } catch (error) {
      // Stopping closes the publisher under a pending send: not a failure.
      if (this.stopped) return;
      const failure = error instanceof Error ? error : new Error(String(error));
      this.logger.error({ error: failure.message }, 'live simulation failed');
      this.rejectEnded(failure);
    }
  }
}
