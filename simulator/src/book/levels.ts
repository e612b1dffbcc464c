/**
 * A symbol's book as the book contract carries it: price levels per side,
 * `[price, size]` as numbers (price on the symbol's tick grid, size > 0),
 * bids best (highest) first, asks best (lowest) first. An update lists only
 * the levels that changed, each with its new absolute size; size 0 removes
 * the level. These helpers are pure and allocate fresh arrays: the book a
 * caller holds is never changed behind its back.
 */

export type Level = readonly [price: number, size: number];

export type BookSide = 'bids' | 'asks';

/** Both sides of a book. */
export interface BookLevels {
  bids: readonly Level[];
  asks: readonly Level[];
}

/** The levels that changed on each side, absolute sizes, size 0 = removed. */
export interface BookUpdate {
  symbol: string;
  /** Event time, epoch ms (integer). */
  ts: number;
  bids: readonly Level[];
  asks: readonly Level[];
}

export const EMPTY_BOOK: BookLevels = Object.freeze({ bids: Object.freeze([]), asks: Object.freeze([]) });

/** Whether price a comes before price b on `side` (bids: higher first; asks: lower first). */
export function isBetter(side: BookSide, a: number, b: number): boolean {
  return side === 'bids' ? a > b : a < b;
}

/**
 * The changes that turn `before` into `after` on one side (both sorted best
 * first): a level missing from `after` is sent with size 0, a new or resized
 * level with its new size. The result is sorted best first.
 */
export function diffSide(side: BookSide, before: readonly Level[], after: readonly Level[]): Level[] {
  const out: Level[] = [];
  let i = 0;
  let j = 0;
  while (i < before.length || j < after.length) {
    const b = before[i];
    const a = after[j];
    if (a === undefined || (b !== undefined && isBetter(side, b[0], a[0]))) {
      out.push([b![0], 0]);
      i++;
    } else if (b === undefined || isBetter(side, a[0], b[0])) {
      out.push([a[0], a[1]]);
      j++;
    } else {
      if (a[1] !== b[1]) out.push([a[0], a[1]]);
      i++;
      j++;
    }
  }
  return out;
}

/** The changes that turn book `before` into `after`. */
export function diffBooks(before: BookLevels, after: BookLevels): { bids: Level[]; asks: Level[] } {
  return { bids: diffSide('bids', before.bids, after.bids), asks: diffSide('asks', before.asks, after.asks) };
}

/**
 * One side with `changes` applied (each change sets its price's size; 0
 * removes it), sorted best first. `changes` may come in any order; a later
 * change of the same price wins.
 */
export function applySide(side: BookSide, levels: readonly Level[], changes: readonly Level[]): Level[] {
  if (changes.length === 0) return levels.slice();
  const sizes = new Map<number, number>();
  for (const [price, size] of levels) sizes.set(price, size);
  for (const [price, size] of changes) {
    if (size === 0) sizes.delete(price);
    else sizes.set(price, size);
  }
  const out: Level[] = [...sizes.entries()].map(([price, size]) => [price, size] as const);
  out.sort(side === 'bids' ? (x, y) => y[0] - x[0] : (x, y) => x[0] - y[0]);
  return out;
}

/** The book with an update applied; with `depth`, each side is cut to its best `depth` levels. */
export function applyUpdate(book: BookLevels, update: Pick<BookUpdate, 'bids' | 'asks'>, depth = Infinity): BookLevels {
  const bids = applySide('bids', book.bids, update.bids);
  const asks = applySide('asks', book.asks, update.asks);
  if (bids.length > depth) bids.length = depth;
  if (asks.length > depth) asks.length = depth;
  return { bids, asks };
}

export interface BookGrids {
  /** Whether a price lies on the symbol's tick grid. */
  onPriceGrid(price: number): boolean;
  /** Whether a size is a whole number of lots. */
  onLotGrid(size: number): boolean;
}

/**
 * Why a book breaks the contract's shape, or null: each side strictly
 * sorted best first, every price finite, positive and on the tick grid,
 * every size > 0 and on the lot grid, and not crossed (best bid < best ask;
 * `allowLocked` accepts best bid = best ask).
 */
export function checkBook(book: BookLevels, grids: BookGrids | null = null, allowLocked = false): string | null {
  for (const side of ['bids', 'asks'] as const) {
    const levels = book[side];
    for (let i = 0; i < levels.length; i++) {
      const [price, size] = levels[i]!;
      if (!(Number.isFinite(price) && price > 0)) return `${side}[${i}]: price ${price} must be a number > 0`;
      if (!(Number.isFinite(size) && size > 0)) return `${side}[${i}]: size ${size} must be a number > 0`;
      if (grids !== null && !grids.onPriceGrid(price)) return `${side}[${i}]: price ${price} is off the tick grid`;
      if (grids !== null && !grids.onLotGrid(size)) return `${side}[${i}]: size ${size} is not a whole number of lots`;
      if (i > 0 && !isBetter(side, levels[i - 1]![0], price)) return `${side}[${i}]: price ${price} is not strictly worse than ${levels[i - 1]![0]}`;
    }
  }
  const bid = book.bids[0]?.[0];
  const ask = book.asks[0]?.[0];
  if (bid !== undefined && ask !== undefined && (bid > ask || (bid === ask && !allowLocked))) return `crossed book: best bid ${bid} ${bid === ask ? '=' : '>'} best ask ${ask}`;
  return null;
}
