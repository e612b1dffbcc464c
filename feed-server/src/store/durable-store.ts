import { closeSync, mkdirSync, openSync, readFileSync, statfs, statfsSync, unlinkSync, writeSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  INTERVAL_MS,
  INTERVALS,
  candleStart,
  type Candle,
  type BookPublish,
  type Interval,
  type SymbolDeclaration,
} from '@tickfeed/protocol';
import type { BookState } from '../book/book-state.js';
import type { Logger } from 'pino';
import type { MarketState, SymbolBook } from '../market/market-state.js';
import { parseStored, type StoredTick } from '../market/tick-ring.js';
import { ARCHIVED_INTERVALS, CandleArchive } from './candle-archive.js';
import { checkpointFile, encodeCheckpoint, readCheckpoint, writeCheckpoint, type BookCheckpoint, type Checkpoint, type SymbolCheckpoint } from './checkpoint.js';
import { EntryKind, FrameBuilder, readEntries, type DeclareEntry } from './frame-codec.js';
import type { Journal } from './journal.js';
import { TickLog, type LogPosition } from './tick-log.js';

export interface DurableStoreOptions {
  dataDir: string;
  /** 'fsync': a commit settles once fdatasync covered it; 'write': once written to the OS. */
  groupCommit: 'fsync' | 'write';
  retentionDays: number;
  candleRetentionDays: number;
  checkpointIntervalMs: number;
  checkpointTicks: number;
  minFreeDiskMb: number;
  candlesPerInterval: number;
  /** Wall clock, ms (injected for tests). */
  now?: () => number;
}

/** Figures for /metrics and the start-up log. */
export interface StoreFigures {
  diskBytes: number;
  logBytes: number;
  candleBytes: number;
  checkpointBytes: number;
  freeBytes: number;
  writable: boolean;
  checkpointAgeSec: number;
}

export interface RestoreReport {
  symbols: number;
  /** Ticks replayed from the log after the checkpoint. */
  replayedTicks: number;
  /** Book messages applied from the log (a book's held history and what followed the checkpoint). */
  replayedBookUpdates: number;
  /** Ticks put back into the history rings from before the checkpoint. */
  historyTicks: number;
  /** A torn write cut from the end of the log, if there was one. */
  cut: { file: string; offset: number; detail: string } | null;
  ms: number;
}

/** A data directory the server cannot or must not start on; the message says why and what to do. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
}

/** Ticks of one symbol between two entries of its sparse (seq → log position) index. */
const SAMPLE_EVERY = 64;
const DAY_MS = 86_400_000;
const DISK_CHECK_MS = 5_000;
const RETENTION_CHECK_MS = 3_600_000;

interface Samples {
  seqs: number[];
  positions: LogPosition[];
}

/**
 * The durable store of the embedded (single-instance) server, kdb+tick style:
 * every accepted tick and declare is appended to a log (one frame per
 * publish batch, written before the batch reaches any consumer, fdatasync'ed
 * as a group before the publisher's ack), and checkpoints of the whole
 * market state (stats, candle windows, epochs) bound what a start-up
 * replays. Candles leaving the in-memory window go to a candle archive.
 */
export class DurableStore implements Journal {
  private readonly builder = new FrameBuilder();
  private readonly samples = new Map<string, Samples>();
  /** Per book, the log position of each held update (seqs contiguous within the epoch): where a checkpoint's book history starts. */
  private readonly bookIndex = new Map<string, Samples>();
  /** Book messages in the frame being built. */
  private frameBooks: { symbol: string; seq: number }[] = [];
  /** Symbols sampled in the frame being built, with the seq of their first tick in it. */
  private frameSamples: { symbol: string; seq: number }[] = [];
  private resetsPending: string[] = [];
  private failed: Error | null = null;
  private lowDisk = false;
  private freeBytes = Number.POSITIVE_INFINITY;
  private ticksSinceCheckpoint = 0;
  private checkpointing: Promise<void> | null = null;
  private lastCheckpoint: { position: LogPosition; at: number; bytes: number } | null = null;
  private lastRetention = 0;
  private timers: NodeJS.Timeout[] = [];
  private closed = false;
  private readonly now: () => number;
  readonly archive: CandleArchive;

  private constructor(
    private readonly options: DurableStoreOptions,
    private readonly market: MarketState,
    private readonly log: TickLog,
    private readonly logger: Logger,
    private readonly books: BookState | undefined,
  ) {
    this.now = options.now ?? Date.now;
    this.archive = new CandleArchive(join(options.dataDir, 'candles'));
  }

  /**
   * Opens (creating) the data directory, restores `market` from it and starts
   * appending. Throws a plain-worded error when the directory is unusable,
   * locked by another process, or damaged.
   */
  static open(options: DurableStoreOptions, market: MarketState, logger: Logger, books?: BookState): { store: DurableStore; report: RestoreReport } {
    const dir = options.dataDir;
    try {
      mkdirSync(join(dir, 'log'), { recursive: true });
      lockDataDir(dir);
    } catch (error) {
      throw new StoreError(`DATA_DIR ${dir} is not usable: ${(error as Error).message}`);
    }
    try {
      const store = new DurableStore(options, market, TickLog.open(join(dir, 'log')), logger, books);
      const report = store.restore();
      store.checkDiskSync();
      store.start();
      return { store, report };
    } catch (error) {
      unlockDataDir(dir);
      throw error instanceof StoreError ? error : new StoreError((error as Error).message);
    }
  }

  // ---- Journal: the hot path ----

  declared(book: SymbolBook, newEpoch: boolean): void {
    const entry: DeclareEntry = { ...book.meta, refPrice: book.refPrice, epoch: book.epoch, newEpoch };
    this.builder.addDeclare(entry);
    if (newEpoch) {
      this.samples.delete(book.meta.symbol);
      this.bookIndex.delete(book.meta.symbol);
      this.resetsPending.push(book.meta.symbol);
    }
  }

  book(symbol: string, seq: number, json: string): void {
    this.builder.addBook(symbol, seq, json);
    this.frameBooks.push({ symbol, seq });
  }

  tick(entry: StoredTick): void {
    const { symbol, seq } = entry.tick;
    this.captureEvictions(entry);
    let samples = this.samples.get(symbol);
    if (samples === undefined) this.samples.set(symbol, (samples = { seqs: [], positions: [] }));
    const last = samples.seqs.at(-1);
    if ((last === undefined || seq - last >= SAMPLE_EVERY) && !this.frameSamples.some((s) => s.symbol === symbol)) {
      this.frameSamples.push({ symbol, seq });
    }
    this.builder.addTick(symbol, seq, entry.json);
  }

  commit(): Promise<void> | undefined {
    const entries = this.builder.entries;
    const frame = this.builder.take();
    if (frame === null) return undefined;
    let position: LogPosition;
    try {
      position = this.log.append(frame);
    } catch (error) {
      this.fail(error as Error);
      this.frameSamples = [];
      this.frameBooks = [];
      return Promise.reject(this.failed!);
    }
    for (const { symbol, seq } of this.frameSamples) {
      const samples = this.samples.get(symbol);
      if (samples !== undefined && (samples.seqs.length === 0 || seq > samples.seqs.at(-1)!)) {
        samples.seqs.push(seq);
        samples.positions.push(position);
      }
    }
    this.frameSamples = [];
    for (const { symbol, seq } of this.frameBooks) this.indexBook(symbol, seq, position);
    this.frameBooks = [];
    // Archived candles of an epoch that just ended go only now that the new epoch is on disk.
    for (const symbol of this.resetsPending.splice(0)) this.archive.reset(symbol);
    this.ticksSinceCheckpoint += entries;
    if (this.ticksSinceCheckpoint >= this.options.checkpointTicks) void this.checkpoint();
    if (this.options.groupCommit === 'write') return Promise.resolve();
    return this.log.sync().catch((error: unknown) => {
      this.fail(error as Error);
      throw error;
    });
  }

  refusal(): string | null {
    if (this.failed !== null) return `the tick store cannot write (${this.failed.message}); restart once fixed`;
    if (this.lowDisk) return `the disk of DATA_DIR has ${Math.floor(this.freeBytes / 1_048_576)} MB free, under MIN_FREE_DISK_MB (${this.options.minFreeDiskMb})`;
    if (this.closed) return 'the tick store is closed';
    return null;
  }

  // ---- Reads ----

  /** JSON texts of the symbol's ticks with seq > after in its current epoch, at most `limit`, from the log. */
  async readTicks(symbol: string, after: number, limit: number): Promise<string[]> {
    const samples = this.samples.get(symbol);
    if (samples === undefined || samples.seqs.length === 0 || limit <= 0) return [];
    // The last sample at or before the first wanted seq; ticks of the symbol before it are older.
    let lo = 0;
    let hi = samples.seqs.length - 1;
    let index = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (samples.seqs[mid]! <= after + 1) {
        index = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    const out: string[] = [];
    let next = after + 1;
    const end = this.log.end;
    await this.log.read(samples.positions[index]!, end, (_position, payload) => {
      for (const entry of readEntries(payload)) {
        if (entry.kind !== EntryKind.TICK || entry.symbol !== symbol || entry.seq < next) continue;
        if (entry.seq !== next) return false;
        out.push(entry.json);
        next++;
        if (out.length >= limit) return false;
      }
      return true;
    });
    return out;
  }

  /** The newest `limit` archived candles before `before` (candles older than the in-memory window). */
  candlesBefore(symbol: string, interval: Interval, before: number, limit: number): Promise<Candle[]> {
    return this.archive.before(symbol, interval, before, limit);
  }

  // ---- Health ----

  figures(): StoreFigures {
    const logBytes = this.log.diskBytes();
    const candleBytes = this.archive.diskBytes();
    const checkpointBytes = this.lastCheckpoint?.bytes ?? 0;
    return {
      diskBytes: logBytes + candleBytes + checkpointBytes,
      logBytes,
      candleBytes,
      checkpointBytes,
      freeBytes: this.freeBytes,
      writable: this.refusal() === null,
      checkpointAgeSec: this.lastCheckpoint === null ? 0 : (this.now() - this.lastCheckpoint.at) / 1000,
    };
  }

  /** Takes a checkpoint now (one at a time); resolves when it is on disk. */
  checkpoint(): Promise<void> {
    this.checkpointing ??= this.runCheckpoint().finally(() => {
      this.checkpointing = null;
    });
    return this.checkpointing;
  }

  /** Final checkpoint and release of the directory; the store refuses writes afterwards. */
  async close(): Promise<void> {
    if (this.closed) return;
    for (const t of this.timers) clearInterval(t);
    this.commit()?.catch(() => undefined);
    await this.checkpointing;
    if (this.failed === null) await this.checkpoint().catch((e: unknown) => this.logger.error({ err: e }, 'final checkpoint failed'));
    this.closed = true;
    this.log.close();
    unlockDataDir(this.options.dataDir);
  }

  // ---- Internals ----

  /** Candles that the tick about to be applied pushes out of the in-memory window (aggregateTrade trims from the front). */
  private captureEvictions(entry: StoredTick): void {
    const book = this.market.get(entry.tick.symbol);
    if (book === undefined) return;
    const max = this.options.candlesPerInterval;
    for (const interval of ARCHIVED_INTERVALS) {
      const series = book.candles[interval];
      if (series.length < max) continue;
      const last = series[series.length - 1]!;
      if (candleStart(entry.tick.ts, INTERVAL_MS[interval], book.session) <= last.time) continue;
      const leaving = series.length + 1 - max;
      for (let i = 0; i < leaving; i++) this.archive.queue(book.meta.symbol, interval, series[i]!);
    }
  }

  private restore(): RestoreReport {
    const started = performance.now();
    const checkpoint = readCheckpoint(this.options.dataDir);
    const ringStarts = new Map<string, LogPosition>();
    const bookStarts = new Map<string, { from: LogPosition; checkpoint: BookCheckpoint }>();
    let from = this.log.start;
    if (checkpoint !== null) {
      from = checkpoint.position;
      for (const s of checkpoint.symbols) {
        this.market.restore({ meta: s.meta, refPrice: s.refPrice, epoch: s.epoch, stats: s.stats, candles: s.candles, ticks: [] });
        this.samples.set(s.meta.symbol, { seqs: s.sampleSeqs, positions: s.samplePositions });
        if (s.ringStart !== null && s.stats.seq > 0) {
          ringStarts.set(s.meta.symbol, s.ringStart);
          from = Math.min(from, s.ringStart);
        }
        const cb = s.book;
        if (cb !== undefined && this.books !== undefined) {
          // The book before its oldest held update; the log's messages from `from` bring it (and its history) to cb.seq.
          this.books.restore(s.meta.symbol, cb.baseSeq, cb.baseSeq === cb.seq ? cb.ts : 0, cb.baseSides);
          if (cb.from !== null && cb.baseSeq < cb.seq) {
            bookStarts.set(s.meta.symbol, { from: cb.from, checkpoint: cb });
            from = Math.min(from, cb.from);
          }
        }
      }
      this.lastCheckpoint = { position: checkpoint.position, at: checkpoint.takenAt, bytes: statSync(checkpointFile(this.options.dataDir)).size };
    }
    const boundary = checkpoint?.position ?? this.log.start;
    let crossed = false;
    let replayedTicks = 0;
    let replayedBookUpdates = 0;
    let historyTicks = 0;
    const cross = () => {
      crossed = true;
      // A history ring that does not reach the checkpoint's seq (its older log was dropped) starts empty instead of with a hole.
      for (const book of this.market.all()) if (book.ring.size > 0 && book.ring.lastSeq !== book.stats.seq) book.ring.clear();
      // Likewise a book whose held history could not be read again: it starts from the checkpoint's book, without history.
      for (const [symbol, { checkpoint: cb }] of bookStarts) {
        if (this.books?.get(symbol)?.seq === cb.seq) continue;
        this.logger.warn({ symbol, seq: cb.seq }, 'the log no longer holds this book\'s history: restored from the checkpoint without it');
        this.books?.restore(symbol, cb.seq, cb.ts, cb.sides);
        this.bookIndex.delete(symbol);
      }
    };
    /** Applies a logged book message; false when it does not continue the book. */
    const applyBook = (symbol: string, seq: number, json: string, position: LogPosition): boolean => {
      const orderBook = this.books?.get(symbol);
      if (orderBook === undefined || seq !== orderBook.seq + 1) return false;
      const result = this.books!.apply(orderBook, JSON.parse(json) as BookPublish);
      if (!result.ok) throw new Error(`the tick log holds a book message of ${symbol} seq ${seq} its book refuses (${result.rejection.message}); refusing to start on it`);
      this.indexBook(symbol, seq, position);
      replayedBookUpdates++;
      return true;
    };
    const problem = this.log.scan(
      from,
      (position, payload) => {
        if (position < boundary) {
          for (const entry of readEntries(payload)) {
            if (entry.kind === EntryKind.BOOK) {
              const start = bookStarts.get(entry.symbol);
              if (start === undefined || position < start.from || entry.seq > start.checkpoint.seq) continue;
              if (entry.seq > (this.books?.get(entry.symbol)?.seq ?? 0)) applyBook(entry.symbol, entry.seq, entry.json, position);
              continue;
            }
            if (entry.kind !== EntryKind.TICK) continue;
            const start = ringStarts.get(entry.symbol);
            if (start === undefined || position < start) continue;
            const book = this.market.get(entry.symbol)!;
            if (entry.seq > book.stats.seq) continue;
            if (book.ring.size > 0 && entry.seq !== book.ring.lastSeq + 1) book.ring.clear();
            book.ring.push(entry.seq, entry.json);
            historyTicks++;
          }
          return;
        }
        if (!crossed) cross();
        for (const entry of readEntries(payload)) {
          if (entry.kind === EntryKind.DECLARE) {
            this.replayDeclare(entry.declare);
            continue;
          }
          if (entry.kind === EntryKind.BOOK) {
            if (!applyBook(entry.symbol, entry.seq, entry.json, position)) {
              throw new Error(
                `the tick log does not continue the checkpoint: book ${entry.symbol} seq ${entry.seq} after ${this.books?.get(entry.symbol)?.seq ?? 'no book'}; refusing to start on it (move the data directory away)`,
              );
            }
            continue;
          }
          const book = this.market.get(entry.symbol);
          if (book === undefined || entry.seq !== book.stats.seq + 1) {
            throw new Error(
              `the tick log does not continue the checkpoint: ${entry.symbol} seq ${entry.seq} after ${book?.stats.seq ?? 'no declare'}; refusing to start on it (move the data directory away)`,
            );
          }
          const stored = parseStored(entry.json);
          this.captureEvictions(stored);
          this.market.apply(stored);
          const samples = this.samples.get(entry.symbol) ?? { seqs: [], positions: [] };
          this.samples.set(entry.symbol, samples);
          const last = samples.seqs.at(-1);
          if (last === undefined || entry.seq - last >= SAMPLE_EVERY) {
            samples.seqs.push(entry.seq);
            samples.positions.push(position);
          }
          replayedTicks++;
        }
      },
      { repair: true },
    );
    if (!crossed) cross();
    this.log.openForAppend();
    if (checkpoint !== null && checkpoint.position > this.log.end) {
      throw new Error(`the checkpoint is ahead of the tick log (${checkpoint.position} > ${this.log.end}): the log lost data; refusing to start on it (move the data directory away)`);
    }
    const cut = problem === null ? null : { file: problem.file, offset: problem.offset, detail: problem.detail };
    if (cut !== null) this.logger.warn(cut, 'cut a torn write from the end of the tick log (never acknowledged)');
    this.ticksSinceCheckpoint = replayedTicks;
    return { symbols: this.market.size, replayedTicks, replayedBookUpdates, historyTicks, cut, ms: performance.now() - started };
  }

  private replayDeclare(d: DeclareEntry): void {
    const decl: SymbolDeclaration = {
      symbol: d.symbol,
      name: d.name,
      kind: d.kind as SymbolDeclaration['kind'],
      currency: d.currency,
      tickSize: d.tickSize,
      refPrice: d.refPrice,
      ...(d.lotSize === undefined ? {} : { lotSize: d.lotSize }),
      ...(d.book === true ? { book: true } : {}),
    };
    const exists = this.market.has(d.symbol);
    this.market.declare(decl, d.newEpoch || !exists, d.epoch);
    if (d.newEpoch) {
      this.samples.delete(d.symbol);
      this.bookIndex.delete(d.symbol);
      this.archive.reset(d.symbol);
    }
  }

  private start(): void {
    const every = (ms: number, fn: () => void) => {
      const timer = setInterval(fn, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(this.options.checkpointIntervalMs, () => {
      if (this.ticksSinceCheckpoint > 0) void this.checkpoint();
    });
    every(DISK_CHECK_MS, () => this.checkDisk());
    this.applyRetention();
  }

  private async runCheckpoint(): Promise<void> {
    if (this.closed || this.failed !== null) return;
    const started = performance.now();
    // Everything recorded so far is in the log (commit runs before the event loop turns), so the state is the log's up to end.
    const position = this.log.end;
    const data = encodeCheckpoint(this.capture(position));
    this.ticksSinceCheckpoint = 0;
    try {
      // The checkpoint must never be ahead of what is on disk in the log.
      await this.log.sync();
      this.archive.writePending();
      writeCheckpoint(this.options.dataDir, data);
      this.lastCheckpoint = { position, at: this.now(), bytes: data.length };
      if (this.now() - this.lastRetention >= RETENTION_CHECK_MS) this.applyRetention();
      this.logger.debug({ bytes: data.length, ms: Math.round(performance.now() - started) }, 'checkpoint written');
    } catch (error) {
      this.fail(error as Error);
    }
  }

  private capture(position: LogPosition): Checkpoint {
    const symbols: SymbolCheckpoint[] = [];
    for (const book of this.market.all()) {
      const samples = this.samples.get(book.meta.symbol) ?? { seqs: [], positions: [] };
      const candles = {} as Record<Interval, Candle[]>;
      for (const interval of INTERVALS) candles[interval] = book.candles[interval];
      symbols.push({
        meta: book.meta,
        refPrice: book.refPrice,
        epoch: book.epoch,
        stats: book.stats,
        candles,
        ringStart: book.ring.size === 0 ? null : positionBefore(samples, book.ring.firstSeq),
        sampleSeqs: samples.seqs,
        samplePositions: samples.positions,
        ...this.captureBook(book.meta.symbol),
      });
    }
    return { position, takenAt: this.now(), symbols };
  }

  /** The book part of a symbol's checkpoint: the book, and where its held history starts (base state and log position). */
  private captureBook(symbol: string): { book?: BookCheckpoint } {
    const orderBook = this.books?.get(symbol);
    if (orderBook === undefined) return {};
    const current = { seq: orderBook.seq, ts: orderBook.ts, sides: orderBook.sides };
    const base = this.books!.historyBase(orderBook);
    const index = this.bookIndex.get(symbol);
    const first = index?.seqs[0];
    const at = first === undefined ? -1 : base.seq + 1 - first;
    const from = index !== undefined && at >= 0 && index.seqs[at] === base.seq + 1 ? index.positions[at]! : null;
    if (from === null || base.seq === orderBook.seq) return { book: { ...current, baseSeq: current.seq, baseSides: current.sides, from: null } };
    return { book: { ...current, baseSeq: base.seq, baseSides: base.sides, from } };
  }

  /** Records where book update `seq` of `symbol` sits in the log, keeping about as many as the book history holds. */
  private indexBook(symbol: string, seq: number, position: LogPosition): void {
    let index = this.bookIndex.get(symbol);
    if (index === undefined || (index.seqs.length > 0 && seq !== index.seqs.at(-1)! + 1)) this.bookIndex.set(symbol, (index = { seqs: [], positions: [] }));
    index.seqs.push(seq);
    index.positions.push(position);
    const keep = this.books?.options.historyUpdates ?? 0;
    if (index.seqs.length > 2 * keep) {
      index.seqs.splice(0, index.seqs.length - keep);
      index.positions.splice(0, index.positions.length - keep);
    }
  }

  private applyRetention(): void {
    this.lastRetention = this.now();
    try {
      const keepFrom = this.lastCheckpoint?.position ?? this.log.start;
      const freed = this.log.dropBefore(this.now() - this.options.retentionDays * DAY_MS, keepFrom);
      const start = this.log.start;
      for (const samples of this.samples.values()) {
        let drop = 0;
        while (drop < samples.positions.length && samples.positions[drop]! < start) drop++;
        if (drop > 0) {
          samples.seqs.splice(0, drop);
          samples.positions.splice(0, drop);
        }
      }
      const candleFreed = this.archive.trim(this.options.candleRetentionDays * DAY_MS);
      if (freed + candleFreed > 0) this.logger.info({ logBytes: freed, candleBytes: candleFreed }, 'retention: dropped old ticks and candles');
    } catch (error) {
      this.logger.error({ err: error }, 'retention failed');
    }
  }

  private checkDiskSync(): void {
    this.setFree(statfsSync(this.options.dataDir));
  }

  private checkDisk(): void {
    statfs(this.options.dataDir, (error, stats) => {
      if (error === null) this.setFree(stats);
    });
  }

  private setFree(stats: { bavail: number; bsize: number }): void {
    this.freeBytes = stats.bavail * stats.bsize;
    const low = this.freeBytes < this.options.minFreeDiskMb * 1_048_576;
    if (low !== this.lowDisk) {
      this.lowDisk = low;
      if (low) this.logger.error({ freeMb: Math.floor(this.freeBytes / 1_048_576), minFreeDiskMb: this.options.minFreeDiskMb }, 'disk nearly full: refusing ticks');
      else this.logger.info({ freeMb: Math.floor(this.freeBytes / 1_048_576) }, 'disk space back: accepting ticks');
    }
  }

  private fail(error: Error): void {
    if (this.failed !== null) return;
    this.failed = error;
    this.logger.error({ err: error }, 'the tick store failed to write: refusing ticks until restarted');
  }
}

/** Log position of the last sample at or before `seq` (or the first sample), null without samples. */
function positionBefore(samples: Samples, seq: number): LogPosition | null {
  if (samples.seqs.length === 0) return null;
  let found = samples.positions[0]!;
  for (let i = 0; i < samples.seqs.length && samples.seqs[i]! <= seq; i++) found = samples.positions[i]!;
  return found;
}

const LOCK_FILE = 'LOCK';
/** Directories this process holds (a lock naming this pid may also be left by an earlier process with the same pid, e.g. pid 1 in a container). */
const heldDirs = new Set<string>();

/** One server per data directory: two writers would interleave frames. A lock left by a dead process is taken over. */
function lockDataDir(dir: string): void {
  const file = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      heldDirs.add(dir);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number(readFileSync(file, 'utf8'));
      if (pid === process.pid ? heldDirs.has(dir) : Number.isInteger(pid) && pid > 0 && alive(pid)) {
        throw new Error(`it is in use by process ${pid} (${file})`);
      }
      unlinkSync(file);
    }
  }
  throw new Error(`could not take ${file}`);
}

function unlockDataDir(dir: string): void {
  if (!heldDirs.delete(dir)) return;
  try {
    unlinkSync(join(dir, LOCK_FILE));
  } catch {
    // Already gone.
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
