import {
  INTERVAL_MS,
  INTERVALS,
  candleStart,
  initialStats,
  type Candle,
  type Interval,
  type SessionStats,
  type SymbolDeclaration,
  type SymbolMeta,
  type Tick,
} from '@tickfeed/protocol';
import type { BookImage, SymbolBook } from '../market/market-state.js';
import type { StoredTick } from '../market/tick-ring.js';

/*
 * Pure translation between the market state and the store scripts' flat
 * argument lists and replies (see store-scripts.ts for the layouts).
 */

/** One symbol's part of an APPEND: its new ticks and what they changed. */
export interface AppendItem {
  symbol: string;
  epoch: string;
  stats: SessionStats;
  ticks: readonly StoredTick[];
  /** Per interval (INTERVALS order): the candles the ticks changed and where the series now starts. */
  candles: readonly CandleChange[];
}

export interface CandleChange {
  /** Drop stored candles older than this bucket (0: keep all). */
  trimBefore: number;
  changed: readonly Candle[];
}

export type AppendStatus = 'OK' | 'GAP' | 'EPOCH' | 'MISSING' | 'CONFLICT';

export interface AppendResult {
  status: AppendStatus;
  /** Last seq of the store's log for the symbol after the call. */
  seq: number;
}

/** Where a symbol stands in the store: its epoch and the last seq of its log. */
export interface StoreHead {
  epoch: string;
  seq: number;
}

/**
 * The candles a run of ticks may have changed: per interval, every candle
 * from the bucket of the earliest tick on (a late tick updates its own,
 * older bucket). `maxCandles` is the series' cap: at the cap the store
 * drops what the series dropped.
 */
export function candleChanges(book: SymbolBook, ticks: readonly StoredTick[], maxCandles: number): CandleChange[] {
  let minTs = Number.POSITIVE_INFINITY;
  for (const { tick } of ticks) if (tick.ts < minTs) minTs = tick.ts;
  return INTERVALS.map((interval) => changesSince(book.candles[interval], candleStart(minTs, INTERVAL_MS[interval], book.session), maxCandles));
}

/** Every candle of the book, for a whole-book write. */
export function allCandles(book: SymbolBook, maxCandles: number): CandleChange[] {
  return INTERVALS.map((interval) => changesSince(book.candles[interval], Number.NEGATIVE_INFINITY, maxCandles));
}

function changesSince(series: readonly Candle[], from: number, maxCandles: number): CandleChange {
  let start = series.length;
  while (start > 0 && series[start - 1]!.time >= from) start--;
  return {
    trimBefore: series.length >= maxCandles && series.length > 0 ? series[0]!.time : 0,
    changed: series.slice(start),
  };
}

export function appendItem(book: SymbolBook, ticks: readonly StoredTick[], maxCandles: number): AppendItem {
  return {
    symbol: book.meta.symbol,
    epoch: book.epoch,
    stats: book.stats,
    ticks,
    candles: candleChanges(book, ticks, maxCandles),
  };
}

/** APPEND's ARGV for several symbols (their keys go in the same order). */
export function appendArgs(items: readonly AppendItem[], maxLen: number): string[] {
  const args = [String(maxLen), String(items.length)];
  for (const item of items) {
    args.push(item.epoch, JSON.stringify(item.stats), String(item.ticks.length));
    for (const { tick, json } of item.ticks) args.push(String(tick.seq), json);
    for (const change of item.candles) {
      args.push(String(change.trimBefore), String(change.changed.length));
      for (const candle of change.changed) args.push(String(candle.time), JSON.stringify(candle));
    }
  }
  return args;
}

/** SEED's ARGV: the whole book, its recent ticks and every candle. */
export function seedArgs(book: SymbolBook, ticks: readonly StoredTick[], maxCandles: number, maxLen: number): string[] {
  const args = [
    book.meta.symbol,
    book.epoch,
    JSON.stringify(book.meta),
    String(book.refPrice),
    JSON.stringify(book.stats),
    String(book.stats.seq),
    String(maxLen),
    String(ticks.length),
  ];
  for (const { tick, json } of ticks) args.push(String(tick.seq), json);
  for (const change of allCandles(book, maxCandles)) {
    args.push(String(change.changed.length));
    for (const candle of change.changed) args.push(String(candle.time), JSON.stringify(candle));
  }
  return args;
}

/** DECLARE's ARGV. */
export function declareArgs(decls: readonly { decl: SymbolDeclaration; epoch: string }[], reset: boolean): string[] {
  const args = [reset ? '1' : '0', String(decls.length)];
  for (const { decl, epoch } of decls) {
    const meta: SymbolMeta = { symbol: decl.symbol, name: decl.name, kind: decl.kind, currency: decl.currency, tickSize: decl.tickSize };
    if (decl.lotSize !== undefined) meta.lotSize = decl.lotSize;
    if (decl.book === true) meta.book = true;
    if (decl.session !== undefined) meta.session = decl.session;
    args.push(decl.symbol, JSON.stringify(meta), String(decl.refPrice), epoch, JSON.stringify(initialStats(decl.refPrice)));
  }
  return args;
}

export class StoreReplyError extends Error {
  override readonly name = 'StoreReplyError';
}

function list(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new StoreReplyError(`${what}: expected an array`);
  return value;
}

function text(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new StoreReplyError(`${what}: expected a string`);
  return value;
}

function integer(value: unknown, what: string): number {
  const n = Number(text(value, what));
  if (!Number.isSafeInteger(n) || n < 0) throw new StoreReplyError(`${what}: expected a seq, got ${String(value)}`);
  return n;
}

const APPEND_STATUSES: readonly string[] = ['OK', 'GAP', 'EPOCH', 'MISSING', 'CONFLICT'];

export function parseAppendReply(reply: unknown, count: number): AppendResult[] {
  const rows = list(reply, 'append');
  if (rows.length !== count) throw new StoreReplyError(`append: ${rows.length} results for ${count} symbols`);
  return rows.map((row) => {
    const [status, seq] = list(row, 'append row');
    const s = text(status, 'append status');
    if (!APPEND_STATUSES.includes(s)) throw new StoreReplyError(`append: unknown status ${s}`);
    return { status: s as AppendStatus, seq: integer(seq, 'append seq') };
  });
}

export function parseDeclareReply(reply: unknown, count: number): StoreHead[] {
  const rows = list(reply, 'declare');
  if (rows.length !== count) throw new StoreReplyError(`declare: ${rows.length} results for ${count} symbols`);
  return rows.map((row) => {
    const [epoch, seq] = list(row, 'declare row');
    return { epoch: text(epoch, 'declare epoch'), seq: integer(seq, 'declare seq') };
  });
}

export function parseSeedReply(reply: unknown): { written: boolean; head: StoreHead } {
  const [status, epoch, seq] = list(reply, 'seed');
  return { written: text(status, 'seed status') === 'OK', head: { epoch: text(epoch, 'seed epoch'), seq: integer(seq, 'seed seq') } };
}

export function parseHeadsReply(reply: unknown): Map<string, StoreHead> {
  const heads = new Map<string, StoreHead>();
  for (const row of list(reply, 'heads')) {
    const [symbol, epoch, seq] = list(row, 'heads row');
    const e = text(epoch, 'heads epoch');
    // A member without a book (written by hand, or half-deleted) is not part of the universe.
    if (e !== '') heads.set(text(symbol, 'heads symbol'), { epoch: e, seq: integer(seq, 'heads seq') });
  }
  return heads;
}

export interface StoreTail {
  head: StoreHead;
  /** Ticks from the requested seq on, oldest first, as stored (JSON). */
  ticks: { seq: number; json: string }[];
}

export function parseTailReply(reply: unknown): StoreTail | null {
  if (reply === null) return null;
  const [epoch, seq, flat] = list(reply, 'tail');
  const entries = list(flat, 'tail entries');
  const ticks: { seq: number; json: string }[] = [];
  for (let i = 0; i + 1 < entries.length; i += 2) {
    ticks.push({ seq: seqOfStreamId(text(entries[i], 'tail id')), json: text(entries[i + 1], 'tail tick') });
  }
  return { head: { epoch: text(epoch, 'tail epoch'), seq: integer(seq, 'tail seq') }, ticks };
}

export function parseBookReply(reply: unknown, symbol: string): BookImage | null {
  if (reply === null) return null;
  const [fields, tickJsons, candleLists] = list(reply, 'book');
  const [epoch, seq, meta, refPrice, stats] = list(fields, 'book fields');
  const image: BookImage = {
    meta: parseJson<SymbolMeta>(meta, 'book meta'),
    refPrice: Number(text(refPrice, 'book refPrice')),
    epoch: text(epoch, 'book epoch'),
    stats: parseJson<SessionStats>(stats, 'book stats'),
    candles: {} as Record<Interval, Candle[]>,
    ticks: list(tickJsons, 'book ticks').map((json) => parseJson<Tick>(json, 'book tick')),
  };
  const series = list(candleLists, 'book candles');
  INTERVALS.forEach((interval, i) => {
    image.candles[interval] = list(series[i] ?? [], 'book candle series').map((json) => parseJson<Candle>(json, 'book candle'));
  });
  if (image.meta.symbol !== symbol) throw new StoreReplyError(`book of ${symbol} holds ${image.meta.symbol}`);
  if (image.stats.seq !== integer(seq, 'book seq')) throw new StoreReplyError(`book of ${symbol}: stats and seq disagree`);
  const last = image.ticks.at(-1);
  if (last !== undefined && last.seq !== image.stats.seq) throw new StoreReplyError(`book of ${symbol}: log and seq disagree`);
  return image;
}

function parseJson<T>(value: unknown, what: string): T {
  try {
    return JSON.parse(text(value, what)) as T;
  } catch (error) {
    if (error instanceof StoreReplyError) throw error;
    throw new StoreReplyError(`${what}: not JSON`);
  }
}

/** Stream ids are `<seq>-0`. */
export function seqOfStreamId(id: string): number {
  return integer(id.slice(0, id.indexOf('-')), 'stream id');
}

/**
 * Whether `ticks` continue a book at `lastSeq` without a hole up to `untilSeq`:
 * the first is lastSeq + 1, each the next, the last is untilSeq.
 */
export function continuesAt(ticks: readonly { seq: number }[], lastSeq: number, untilSeq: number): boolean {
  if (ticks.length === 0) return untilSeq <= lastSeq;
  for (let i = 0; i < ticks.length; i++) if (ticks[i]!.seq !== lastSeq + 1 + i) return false;
  return ticks[ticks.length - 1]!.seq === untilSeq;
}
