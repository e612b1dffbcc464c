import { ErrorCode } from './errors.js';
import { TICK_LIMITS, isValidSymbol } from './limits.js';
import { onGrid, roundTo, type NumberFormat } from './decimals.js';
import type { BookLevel } from './book-checksum.js';

/**
 * Order books (level 2), pure: the publisher's snapshots and updates checked
 * and applied, the depth-limited diffs a client receives, and how a client
 * applies them. Bids are best (highest) first, asks best (lowest) first.
 */

/** Both sides of a book, best first. */
export interface BookSides {
  bids: BookLevel[];
  asks: BookLevel[];
}

/** A book snapshot or update as a publisher sends it (`book:publish`). */
export interface BookPublish {
  symbol: string;
  /** The book's seq after this message: its current seq + 1. */
  seq: number;
  /** Event time, epoch ms. */
  ts: number;
  /** Levels best first; in an update each carries its new absolute size, 0 removing the level. */
  bids: BookLevel[];
  asks: BookLevel[];
  /** true: `bids` and `asks` are the whole book (it replaces what was held); otherwise an incremental update. */
  snapshot?: boolean;
}

/** Why a publisher's book message is refused (also the label of its rejection counter). */
export type BookRejectReason =
  | 'malformed'
  | 'seq'
  | 'unsorted'
  | 'duplicate'
  | 'off_grid_price'
  | 'bad_size'
  | 'too_many_levels'
  | 'unknown_level'
  | 'crossed';

export interface BookRejection {
  code: ErrorCode;
  reason: BookRejectReason;
  message: string;
  /** With SEQ_MISMATCH: the seq the book expects next (its seq + 1), so a publisher can resend a snapshot there. */
  expectedSeq?: number;
}

/** One level's change: its price, its new size (0: removed) and its previous size (0: it was not there). */
export type LevelChange = [price: number, size: number, previous: number];

/** Every level a message changed, per side: enough to undo it (history is replayed backwards to a resume point). */
export interface BookChange {
  bids: LevelChange[];
  asks: LevelChange[];
}

export interface BookRules {
  /** Decimals and grids of the symbol's prices and sizes. */
  format: NumberFormat;
  /** Levels one side may hold (BOOK_MAX_DEPTH). */
  maxDepth: number;
}

export type BookApplied = { ok: true; book: BookSides; change: BookChange } | { ok: false; rejection: BookRejection };

const PUBLISH_KEYS = new Set(['symbol', 'seq', 'ts', 'bids', 'asks', 'snapshot']);

/**
 * Checks the shape of an untrusted book message (types, bounds, unknown
 * fields); the rest needs the book (applyBookPublish). Null when well-formed.
 */
export function checkBookPublish(value: unknown): BookRejection | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return malformed('a book message must be an object');
  const m = value as Record<string, unknown>;
  if (!isValidSymbol(m.symbol)) return malformed('symbol must match ^[A-Z0-9][A-Z0-9._-]{0,19}$');
  if (!Number.isSafeInteger(m.seq) || (m.seq as number) < 1) return malformed('seq must be a positive integer');
  if (typeof m.ts !== 'number' || !(m.ts >= 0 && m.ts <= TICK_LIMITS.maxTs)) return malformed(`ts must be an epoch-ms number from 0 to ${TICK_LIMITS.maxTs}`);
  if (!Array.isArray(m.bids) || !Array.isArray(m.asks)) return malformed('bids and asks must be arrays of [price, size]');
  if (m.snapshot !== undefined && typeof m.snapshot !== 'boolean') return malformed('snapshot must be true or false');
  for (const key in m) if (!PUBLISH_KEYS.has(key)) return malformed(`unknown book field '${key.slice(0, 40)}'`);
  for (const side of [m.bids, m.asks] as unknown[][]) {
    for (const level of side) {
      if (!Array.isArray(level) || level.length !== 2 || typeof level[0] !== 'number' || typeof level[1] !== 'number') {
        return malformed('a level is [price, size], two numbers');
      }
    }
  }
  return null;
}

/**
 * Applies a well-formed publisher message (checkBookPublish) to a book at
 * `seq`: the message must carry seq + 1; each side's levels strictly sorted
 * best first (an equal price is a duplicate); prices within TICK_LIMITS and on
 * the tick grid; sizes whole multiples of the lot size (10^-size decimals
 * without one), at most TICK_LIMITS.maxSize, > 0 in a snapshot and ≥ 0 in an
 * update (0 removes a level the book holds); at most maxDepth levels per side,
 * before and after; and the result not crossed (best bid > best ask; locked,
 * equal, is allowed). Numbers are rounded to the symbol's decimals. The book
 * given is never modified: the result is a new one.
 */
export function applyBookPublish(book: BookSides, seq: number, message: BookPublish, rules: BookRules): BookApplied {
  if (message.seq !== seq + 1) {
    const mismatch = reject(ErrorCode.SEQ_MISMATCH, 'seq', `${message.symbol}: expected book seq ${seq + 1}, got ${message.seq}`);
    return { ok: false, rejection: { ...mismatch.rejection, expectedSeq: seq + 1 } };
  }
  const snapshot = message.snapshot === true;
  const bids = checkSide(message.bids, 'bids', snapshot, rules);
  if (!Array.isArray(bids)) return { ok: false, rejection: bids };
  const asks = checkSide(message.asks, 'asks', snapshot, rules);
  if (!Array.isArray(asks)) return { ok: false, rejection: asks };
  const change: BookChange = { bids: [], asks: [] };
  let next: BookSides;
  if (snapshot) {
    sideChanges(book.bids, bids, bidBetter, change.bids);
    sideChanges(book.asks, asks, askBetter, change.asks);
    next = { bids, asks };
  } else {
    const nextBids = mergeSide(book.bids, bids, bidBetter, change.bids);
    if (typeof nextBids === 'string') return reject(ErrorCode.INVALID_BOOK, 'unknown_level', `bids: no level at ${nextBids} to remove`);
    const nextAsks = mergeSide(book.asks, asks, askBetter, change.asks);
    if (typeof nextAsks === 'string') return reject(ErrorCode.INVALID_BOOK, 'unknown_level', `asks: no level at ${nextAsks} to remove`);
    next = { bids: nextBids, asks: nextAsks };
  }
  if (next.bids.length > rules.maxDepth || next.asks.length > rules.maxDepth) {
    return reject(ErrorCode.INVALID_BOOK, 'too_many_levels', `the book would hold more than ${rules.maxDepth} levels on a side (BOOK_MAX_DEPTH)`);
  }
  const bestBid = next.bids[0];
  const bestAsk = next.asks[0];
  if (bestBid !== undefined && bestAsk !== undefined && bestBid[0] > bestAsk[0]) {
    return reject(ErrorCode.CROSSED_BOOK, 'crossed', `the book would be crossed: best bid ${bestBid[0]} > best ask ${bestAsk[0]}`);
  }
  return { ok: true, book: next, change };
}

/** The book as it was before a change (history is undone from the newest state back to a resume point). */
export function undoBookChange(book: BookSides, change: BookChange): BookSides {
  return { bids: undoSide(book.bids, change.bids, bidBetter), asks: undoSide(book.asks, change.asks, askBetter) };
}

/**
 * What a client following the top `depth` levels receives when the book goes
 * from `prev` to `next`: per side, the levels of next's top `depth` whose size
 * differs from prev's top `depth` (new levels, changed ones, and levels that
 * entered the top from below), each with its absolute size, and [price, 0] for
 * the levels of prev's top that left the book. Levels pushed below the top by a
 * better one are not sent: the client drops them when it truncates to `depth`.
 * Best first; empty sides when nothing the client holds changed.
 */
export function bookDiff(prev: BookSides, next: BookSides, depth: number): BookSides {
  return { bids: sideDiff(prev.bids, next.bids, depth, bidBetter), asks: sideDiff(prev.asks, next.asks, depth, askBetter) };
}

/**
 * A client's step: sets each level of `update` in `held` (size 0 removes it)
 * and keeps the best `depth` levels per side. With the server's diffs at that
 * depth, the result is always exactly the server's top `depth`. Returns a new book.
 */
export function applyBookDiff(held: BookSides, update: BookSides, depth: number): BookSides {
  return { bids: applySide(held.bids, update.bids, depth, bidBetter), asks: applySide(held.asks, update.asks, depth, askBetter) };
}

/** The best `depth` levels of each side, as copies. */
export function bookTop(book: BookSides, depth: number): BookSides {
  return { bids: copyLevels(book.bids, depth), asks: copyLevels(book.asks, depth) };
}

/* --------------------------------- internals --------------------------------- */

type Better = (a: number, b: number) => boolean;
const bidBetter: Better = (a, b) => a > b;
const askBetter: Better = (a, b) => a < b;

function copyLevels(levels: readonly BookLevel[], depth: number): BookLevel[] {
  const n = Math.min(depth, levels.length);
  const out: BookLevel[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = [levels[i]![0], levels[i]![1]];
  return out;
}

/** The side's levels checked and rounded, or why not. */
function checkSide(levels: readonly BookLevel[], side: 'bids' | 'asks', snapshot: boolean, rules: BookRules): BookLevel[] | BookRejection {
  if (levels.length > rules.maxDepth) {
    return rejection(ErrorCode.INVALID_BOOK, 'too_many_levels', `${side}: ${levels.length} levels, at most ${rules.maxDepth} (BOOK_MAX_DEPTH)`);
  }
  const better = side === 'bids' ? bidBetter : askBetter;
  const { format } = rules;
  const out: BookLevel[] = [];
  for (let i = 0; i < levels.length; i++) {
    const [price, size] = levels[i]!;
    if (!(price >= TICK_LIMITS.minPrice && price <= TICK_LIMITS.maxPrice) || !onGrid(price, format.priceStep, format.price)) {
      return rejection(ErrorCode.INVALID_BOOK, 'off_grid_price', `${side}[${i}]: price ${price} is not a multiple of the tick size ${format.priceStep ?? 10 ** -format.price} within [${TICK_LIMITS.minPrice}, ${TICK_LIMITS.maxPrice}]`);
    }
    const minSize = snapshot ? Number.MIN_VALUE : 0;
    if (!(size >= minSize && size <= TICK_LIMITS.maxSize) || !onGrid(size, format.sizeStep, format.size)) {
      return rejection(
        ErrorCode.INVALID_BOOK,
        'bad_size',
        `${side}[${i}]: size ${size} must be a whole number of lots (${format.sizeStep ?? 10 ** -format.size}), ${snapshot ? '> 0 in a snapshot' : '≥ 0 (0 removes the level)'}, at most ${TICK_LIMITS.maxSize}`,
      );
    }
    const level: BookLevel = [roundTo(price, format.price), roundTo(size, format.size)];
    const previous = out[out.length - 1];
    if (previous !== undefined) {
      if (previous[0] === level[0]) return rejection(ErrorCode.INVALID_BOOK, 'duplicate', `${side}[${i}]: price ${level[0]} appears twice`);
      if (!better(previous[0], level[0])) {
        return rejection(ErrorCode.INVALID_BOOK, 'unsorted', `${side}[${i}]: levels must be sorted best first (${side === 'bids' ? 'highest' : 'lowest'} price first)`);
      }
    }
    out.push(level);
  }
  return out;
}

/** A side with sorted updates merged in; the price of a removal the side does not hold, as a string, instead. */
function mergeSide(old: readonly BookLevel[], updates: readonly BookLevel[], better: Better, changes: LevelChange[]): BookLevel[] | string {
  const out: BookLevel[] = [];
  let i = 0;
  let j = 0;
  while (j < updates.length) {
    const update = updates[j]!;
    const held = old[i];
    if (held !== undefined && better(held[0], update[0])) {
      out.push(held);
      i++;
      continue;
    }
    if (held !== undefined && held[0] === update[0]) {
      if (update[1] !== 0) out.push(update);
      changes.push([update[0], update[1], held[1]]);
      i++;
    } else {
      if (update[1] === 0) return String(update[0]);
      out.push(update);
      changes.push([update[0], update[1], 0]);
    }
    j++;
  }
  while (i < old.length) out.push(old[i++]!);
  return out;
}

/** Every level that differs between two whole sides, as changes from `old` to `next`. */
function sideChanges(old: readonly BookLevel[], next: readonly BookLevel[], better: Better, changes: LevelChange[]): void {
  let i = 0;
  let j = 0;
  while (i < old.length || j < next.length) {
    const a = old[i];
    const b = next[j];
    if (b === undefined || (a !== undefined && better(a[0], b[0]))) {
      changes.push([a![0], 0, a![1]]);
      i++;
    } else if (a === undefined || better(b[0], a[0])) {
      changes.push([b[0], b[1], 0]);
      j++;
    } else {
      if (a[1] !== b[1]) changes.push([b[0], b[1], a[1]]);
      i++;
      j++;
    }
  }
}

function undoSide(levels: readonly BookLevel[], changes: readonly LevelChange[], better: Better): BookLevel[] {
  if (changes.length === 0) return levels.slice();
  const byPrice = new Map<number, number>();
  for (const [price, size] of levels) byPrice.set(price, size);
  for (const [price, , previous] of changes) {
    if (previous === 0) byPrice.delete(price);
    else byPrice.set(price, previous);
  }
  return sortLevels([...byPrice], better);
}

function sortLevels(levels: BookLevel[], better: Better): BookLevel[] {
  return levels.sort((a, b) => (a[0] === b[0] ? 0 : better(a[0], b[0]) ? -1 : 1));
}

function sideDiff(prev: readonly BookLevel[], next: readonly BookLevel[], depth: number, better: Better): BookLevel[] {
  const prevTop = Math.min(depth, prev.length);
  const nextTop = Math.min(depth, next.length);
  const out: BookLevel[] = [];
  let i = 0;
  let j = 0;
  // Both tops are sorted: one merge walk finds what differs, in order.
  while (i < prevTop || j < nextTop) {
    const a = i < prevTop ? prev[i]! : undefined;
    const b = j < nextTop ? next[j]! : undefined;
    if (b === undefined || (a !== undefined && better(a[0], b[0]))) {
      // Left the client's top: removed from the book, or pushed below the top (then truncation drops it).
      if (!holds(next, nextTop, a![0])) out.push([a![0], 0]);
      i++;
    } else if (a === undefined || better(b[0], a[0])) {
      out.push([b[0], b[1]]);
      j++;
    } else {
      if (a[1] !== b[1]) out.push([b[0], b[1]]);
      i++;
      j++;
    }
  }
  return out;
}

/** Whether `levels` holds `price` at or after index `from`. */
function holds(levels: readonly BookLevel[], from: number, price: number): boolean {
  for (let k = from; k < levels.length; k++) if (levels[k]![0] === price) return true;
  return false;
}

function applySide(held: readonly BookLevel[], update: readonly BookLevel[], depth: number, better: Better): BookLevel[] {
  const byPrice = new Map<number, number>();
  for (const [price, size] of held) byPrice.set(price, size);
  for (const [price, size] of update) {
    if (size === 0) byPrice.delete(price);
    else byPrice.set(price, size);
  }
  const sorted = sortLevels([...byPrice], better);
  if (sorted.length > depth) sorted.length = depth;
  return sorted;
}

function malformed(message: string): BookRejection {
  return rejection(ErrorCode.INVALID_BOOK, 'malformed', message);
}

function rejection(code: ErrorCode, reason: BookRejectReason, message: string): BookRejection {
  return { code, reason, message };
}

function reject(code: ErrorCode, reason: BookRejectReason, message: string): { ok: false; rejection: BookRejection } {
  return { ok: false, rejection: rejection(code, reason, message) };
}
