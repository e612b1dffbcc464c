import type { DeclareRequest, SymbolDeclaration } from '@tickfeed/protocol';
import type { Logger } from 'pino';
import type { FeedCore } from '../feed-core.js';
import { symbolOfTickJson } from '../delivery/frames.js';
import type { SharedStore } from './shared-store.js';
import { continuesAt } from './store-codec.js';

interface Running {
  /** Ticks from other instances that arrived during the sync, with their epochs, in arrival order. */
  buffer: { epoch: string | undefined; json: string }[];
  /** Something arrived during the sync that needs another pass (a declare, a gap). */
  again: boolean;
  reason: string;
  done: Promise<void>;
}

/** Passes of one sync before it gives up until the next reconcile (a feed that keeps resetting). */
const MAX_PASSES = 5;
/** Ticks held back per symbol during a sync; past it they are dropped and read from the store by another pass. */
const MAX_HELD = 20_000;

/**
 * Keeps this instance's copy of each symbol in step with the shared store.
 *
 * Ticks from other instances are applied as they come while they continue
 * the local book. Whatever does not fit (a gap, another epoch, an unknown
 * symbol) starts a sync of that symbol: meanwhile its ticks are held back;
 * the sync reads the store, which already holds every tick another instance
 * has announced (instances store before they announce), applies the missing
 * ticks in order so local clients get them as ordinary ticks, or, when the
 * log no longer reaches back far enough or the epoch changed, rebuilds the
 * book from the store and sends local subscribers a `reset` with a fresh
 * snapshot. Then the held-back ticks follow. Clients never see a silent gap.
 */
export class SymbolSync {
  private readonly running = new Map<string, Running>();

  constructor(
    private readonly core: FeedCore,
    private readonly store: SharedStore,
    private readonly log: Logger,
  ) {}

  /** Ticks another instance stored and announced, in its acceptance order. */
  onRemoteTicks(epochs: Record<string, string>, tickJsons: readonly string[]): void {
    const market = this.core.market;
    const direct: string[] = [];
    for (const json of tickJsons) {
      const symbol = symbolOfTickJson(json);
      const epoch = epochs[symbol];
      const running = this.running.get(symbol);
      if (running !== undefined) {
        if (running.buffer.length < MAX_HELD) running.buffer.push({ epoch, json });
        else running.again = true;
        continue;
      }
      const book = market.get(symbol);
      if (book === undefined || book.epoch !== epoch) {
        // Unknown here, or of another epoch: stale, or this instance missed a declare. The store decides.
        this.begin(symbol, 'resync').buffer.push({ epoch, json });
        continue;
      }
      direct.push(json);
    }
    if (direct.length === 0) return;
    for (const symbol of new Set(this.core.applyRemote(direct))) void this.sync(symbol, 'resync');
  }

  /** A declare another instance applied (and stored); `epochs` holds every declared symbol's epoch. */
  onRemoteDeclare(request: DeclareRequest, epochs: Record<string, string>): void {
    const metaOnly: SymbolDeclaration[] = [];
    for (const decl of request.symbols) {
      const running = this.running.get(decl.symbol);
      if (running !== undefined) {
        running.again = true;
        continue;
      }
      const book = this.core.market.get(decl.symbol);
      if (book !== undefined && request.reset !== true && book.epoch === epochs[decl.symbol]) metaOnly.push(decl);
      else void this.sync(decl.symbol, request.reason ?? 'reset');
    }
    if (metaOnly.length > 0) this.core.declare({ symbols: metaOnly });
  }

  /** Brings a symbol up to the store's state (joins a sync already running). */
  sync(symbol: string, reason: string): Promise<void> {
    return (this.running.get(symbol) ?? this.begin(symbol, reason)).done;
  }

  get active(): number {
    return this.running.size;
  }

  private begin(symbol: string, reason: string): Running {
    const running: Running = { buffer: [], again: false, reason, done: Promise.resolve() };
    this.running.set(symbol, running);
    running.done = this.run(symbol, running).finally(() => {
      this.drain(symbol, running);
      this.running.delete(symbol);
    });
    return running;
  }

  private async run(symbol: string, running: Running): Promise<void> {
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      running.again = false;
      try {
        await this.pass(symbol, running.reason);
      } catch (error) {
        // Redis went away mid-sync: the reconcile after it returns finishes the job.
        this.log.debug({ symbol, err: error instanceof Error ? error.message : String(error) }, 'sync interrupted');
        return;
      }
      if (!this.drain(symbol, running) && !running.again) return;
    }
    this.log.warn({ symbol }, 'sync did not settle; the next reconcile retries');
  }

  private async pass(symbol: string, reason: string): Promise<void> {
    const before = this.core.market.get(symbol);
    const tail = before === undefined ? null : await this.store.readTail(symbol, before.stats.seq + 1);
    const book = this.core.market.get(symbol);
    if (book !== undefined && tail !== null && tail.head.epoch === book.epoch) {
      if (tail.head.seq <= book.stats.seq) return;
      const fresh = tail.ticks.filter((t) => t.seq > book.stats.seq);
      if (continuesAt(fresh, book.stats.seq, tail.head.seq)) {
        this.core.applyRemote(fresh.map((t) => t.json));
        return;
      }
    }
    const image = await this.store.readBook(symbol);
    if (image === null) return;
    const current = this.core.market.get(symbol);
    if (current !== undefined && current.epoch === image.epoch && current.stats.seq >= image.stats.seq) return;
    this.core.market.restore(image);
    if (current !== undefined) this.core.announceResets([symbol], reason);
    this.log.info({ symbol, epoch: image.epoch, seq: image.stats.seq, reason }, 'symbol rebuilt from the shared store');
  }

  /** Applies held-back ticks that continue the book; returns whether some left a gap (another pass needed). */
  private drain(symbol: string, running: Running): boolean {
    const held = running.buffer;
    running.buffer = [];
    const book = this.core.market.get(symbol);
    if (book === undefined || held.length === 0) return false;
    // Ticks of another epoch than the store's (just read) are stale: a newer epoch comes with a declare first.
    const fitting = held.filter((h) => h.epoch === book.epoch).map((h) => h.json);
    return fitting.length > 0 && this.core.applyRemote(fitting).length > 0;
  }
}
