import {
  ErrorCode,
  INTERVAL_MS,
  INTERVALS,
  aggregateTrade,
  applyTickToStats,
  formatOf,
  initialStats,
  sessionKindOf,
  snapshotOf,
  type Candle,
  type Interval,
  type NumberFormat,
  type ProtocolError,
  type SessionKind,
  type SessionStats,
  type Snapshot,
  type SymbolDeclaration,
  type SymbolMeta,
  type Tick,
} from '@tickfeed/protocol';
import { TickRing, type StoredTick } from './tick-ring.js';

/** Everything the server knows about one symbol in its current epoch. */
export interface SymbolBook {
  readonly meta: SymbolMeta;
  /** Decimals of the symbol's prices and sizes (from meta's tick and lot size): every value on the wire has them. */
  format: NumberFormat;
  /** The market session its stats and `1d` candles follow (P30, from meta's session or kind). */
  session: SessionKind;
  refPrice: number;
  epoch: string;
  stats: SessionStats;
  readonly candles: Record<Interval, Candle[]>;
  readonly ring: TickRing;
}

export interface MarketStateOptions {
  historyTicks: number;
  candlesPerInterval: number;
  /** Source of fresh epoch ids (injected so tests can predict them). */
  newEpoch: () => string;
}

/** Everything a book is rebuilt from (e.g. a shared store's copy). */
export interface BookImage {
  meta: SymbolMeta;
  refPrice: number;
  epoch: string;
  stats: SessionStats;
  candles: Record<Interval, Candle[]>;
  ticks: Tick[];
}

/**
 * Market state of every symbol: the last tick, session stats, candles at every
 * interval and the recent ticks. Pure: no I/O, no clock; callers validate the
 * shape of ticks first (checkTick) and this enforces sequence continuity.
 */
export class MarketState {
  private readonly books = new Map<string, SymbolBook>();

  constructor(private readonly options: MarketStateOptions) {}

  get(symbol: string): SymbolBook | undefined {
    return this.books.get(symbol);
  }

  has(symbol: string): boolean {
    return this.books.has(symbol);
  }

  all(): IterableIterator<SymbolBook> {
    return this.books.values();
  }

  get size(): number {
    return this.books.size;
  }

  /**
   * Adds a symbol or updates its metadata. With reset, or for a new symbol,
   * a new epoch begins: history, candles and stats start over.
   * Returns whether a new epoch began.
   */
  declare(decl: SymbolDeclaration, reset: boolean, epoch?: string): { book: SymbolBook; newEpoch: boolean } {
    const meta: SymbolMeta = {
      symbol: decl.symbol,
      name: decl.name,
      kind: decl.kind,
      currency: decl.currency,
      tickSize: decl.tickSize,
      ...(decl.lotSize === undefined ? {} : { lotSize: decl.lotSize }),
      ...(decl.book === true ? { book: true } : {}),
      ...(decl.session === undefined ? {} : { session: decl.session }),
    };
    const existing = this.books.get(decl.symbol);
    if (existing !== undefined) {
      // A declaration without a lot size drops an earlier one: the metadata is what was declared last.
      if (decl.lotSize === undefined) delete existing.meta.lotSize;
      if (decl.book !== true) delete existing.meta.book;
      if (decl.session === undefined) delete existing.meta.session;
    }
    if (existing !== undefined && !reset) {
      Object.assign(existing.meta, meta);
      existing.format = formatOf(existing.meta);
      existing.session = sessionKindOf(existing.meta);
      if (existing.stats.seq === 0) {
        existing.refPrice = decl.refPrice;
        existing.stats = initialStats(decl.refPrice);
      }
      return { book: existing, newEpoch: false };
    }
    const book: SymbolBook = existing ?? {
      meta,
      format: formatOf(meta),
      session: sessionKindOf(meta),
      refPrice: decl.refPrice,
      epoch: '',
      stats: initialStats(decl.refPrice),
      candles: emptyCandles(),
      ring: new TickRing(this.options.historyTicks),
    };
    Object.assign(book.meta, meta);
    book.format = formatOf(book.meta);
    book.session = sessionKindOf(book.meta);
    book.refPrice = decl.refPrice;
    book.epoch = epoch ?? this.options.newEpoch();
    book.stats = initialStats(decl.refPrice);
    for (const interval of INTERVALS) book.candles[interval].length = 0;
    book.ring.clear();
    this.books.set(decl.symbol, book);
    return { book, newEpoch: true };
  }

  /** Replaces a symbol's book with an image (from a shared store), keeping its epoch. */
  restore(image: BookImage): SymbolBook {
    const ring = new TickRing(this.options.historyTicks);
    for (const tick of image.ticks.slice(-this.options.historyTicks)) ring.push(tick.seq, JSON.stringify(tick));
    const book: SymbolBook = {
      meta: { ...image.meta },
      format: formatOf(image.meta),
      session: sessionKindOf(image.meta),
      refPrice: image.refPrice,
      epoch: image.epoch,
      stats: { ...image.stats },
      candles: image.candles,
      ring,
    };
    this.books.set(image.meta.symbol, book);
    return book;
  }

  /** Checks that the tick continues its symbol's sequence; null when it may be applied. */
  checkSequence(tick: Tick): ProtocolError | null {
    const book = this.books.get(tick.symbol);
    if (book === undefined) return { code: ErrorCode.UNKNOWN_SYMBOL, message: `${tick.symbol} is not declared` };
    if (tick.seq !== book.stats.seq + 1) {
      return {
        code: ErrorCode.SEQ_MISMATCH,
        message: `${tick.symbol}: expected seq ${book.stats.seq + 1}, got ${tick.seq}`,
      };
    }
    return null;
  }

  /** Applies a tick that passed checkTick and checkSequence. */
  apply(entry: StoredTick): SymbolBook {
    const tick = entry.tick;
    const book = this.books.get(tick.symbol);
    if (book === undefined || tick.seq !== book.stats.seq + 1) {
      throw new Error(`MarketState.apply: ${tick.symbol} seq ${tick.seq} does not continue the book`);
    }
    applyTickToStats(book.stats, tick, book.format, book.session);
    for (const interval of INTERVALS) {
      aggregateTrade(
        book.candles[interval],
        tick.ts,
        tick.price,
        tick.size,
        INTERVAL_MS[interval],
        this.options.candlesPerInterval,
        book.format.size,
        book.session,
      );
    }
    book.ring.push(tick.seq, entry.json);
    return book;
  }

  snapshot(symbol: string): Snapshot | undefined {
    const book = this.books.get(symbol);
    return book === undefined ? undefined : bookSnapshot(book);
  }
}

/** The wire snapshot of a book, at the symbol's decimals. */
export function bookSnapshot(book: SymbolBook): Snapshot {
  return snapshotOf(book.meta.symbol, book.stats, book.format);
}

function emptyCandles(): Record<Interval, Candle[]> {
  const candles = {} as Record<Interval, Candle[]>;
  for (const interval of INTERVALS) candles[interval] = [];
  return candles;
}
