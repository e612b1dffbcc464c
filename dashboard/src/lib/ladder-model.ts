import type { BookLevel, BookSides } from '@tickfeed/protocol';

/**
 * The depth ladder and depth chart of one order book, pure: rows with
 * cumulative sizes and bar widths, the spread, which levels changed recently,
 * and the depth chart's paths. The view only renders what this returns.
 */

/** How long a changed level stays highlighted, ms. */
export const FLASH_MS = 600;

export interface LadderRow {
  readonly side: 'bid' | 'ask';
  readonly price: number;
  readonly size: number;
  /** Size from the touch up to and including this level. */
  readonly cum: number;
  /** This level's size against the largest level shown, 0..1. */
  readonly bar: number;
  /** Its size changed within the last FLASH_MS. */
  readonly flash: boolean;
}

export interface Ladder {
  /** Asks highest price first, so the best ask sits just above the spread row. */
  readonly asks: LadderRow[];
  /** Bids best (highest) first, just below the spread row. */
  readonly bids: LadderRow[];
  /** Best ask − best bid, when both sides hold levels. */
  readonly spread: number | null;
  /** The spread in ticks (rounded: prices sit on the tick grid). */
  readonly spreadTicks: number | null;
  readonly mid: number | null;
}

type Book = { readonly bids: readonly BookLevel[]; readonly asks: readonly BookLevel[] };

/** When each level last changed, by side and price; old marks are dropped as they expire. */
export class ChangeMarks {
  private readonly marks = new Map<string, number>();

  /** Records the levels an update set (size 0 included: the row that replaces it is not marked, it is gone). */
  mark(changed: BookSides, now: number): void {
    for (const [price] of changed.bids) this.marks.set(key('bid', price), now);
    for (const [price] of changed.asks) this.marks.set(key('ask', price), now);
  }

  fresh(side: 'bid' | 'ask', price: number, now: number): boolean {
    const at = this.marks.get(key(side, price));
    return at !== undefined && now - at < FLASH_MS;
  }

  /** Drops expired marks; returns whether any mark is still live (a re-render is then due when it expires). */
  prune(now: number): boolean {
    for (const [k, at] of this.marks) if (now - at >= FLASH_MS) this.marks.delete(k);
    return this.marks.size > 0;
  }

  clear(): void {
    this.marks.clear();
  }
}

function key(side: 'bid' | 'ask', price: number): string {
  return `${side}:${price}`;
}

export function buildLadder(book: Book, tickSize: number, marks: ChangeMarks, now: number): Ladder {
  let largest = 0;
  for (const [, size] of book.bids) largest = Math.max(largest, size);
  for (const [, size] of book.asks) largest = Math.max(largest, size);
  const rows = (levels: readonly BookLevel[], side: 'bid' | 'ask'): LadderRow[] => {
    let cum = 0;
    return levels.map(([price, size]) => {
      cum += size;
      return { side, price, size, cum, bar: largest > 0 ? size / largest : 0, flash: marks.fresh(side, price, now) };
    });
  };
  const bestBid = book.bids[0]?.[0];
  const bestAsk = book.asks[0]?.[0];
  const both = bestBid !== undefined && bestAsk !== undefined;
  const spread = both ? bestAsk - bestBid : null;
  return {
    asks: rows(book.asks, 'ask').reverse(),
    bids: rows(book.bids, 'bid'),
    spread,
    spreadTicks: spread === null || !(tickSize > 0) ? null : Math.round(spread / tickSize),
    mid: both ? (bestAsk + bestBid) / 2 : null,
  };
}

export interface DepthChart {
  /** Closed step areas, SVG path data; empty when the side is empty. */
  readonly bidPath: string;
  readonly askPath: string;
  /** x of the mid, or null without both sides. */
  readonly midX: number | null;
  /** The price range drawn, symmetric around the mid. */
  readonly low: number;
  readonly high: number;
  /** The largest cumulative size (the top of the y axis). */
  readonly maxCum: number;
}

/**
 * The depth chart: cumulative size against price, bids stepping down to the
 * left of the mid, asks to the right, over a range symmetric around the mid
 * wide enough for the farther side's last level.
 */
export function depthChart(book: Book, width: number, height: number): DepthChart {
  const bestBid = book.bids[0]?.[0];
  const bestAsk = book.asks[0]?.[0];
  const lastBid = book.bids[book.bids.length - 1]?.[0];
  const lastAsk = book.asks[book.asks.length - 1]?.[0];
  if (bestBid === undefined && bestAsk === undefined) return { bidPath: '', askPath: '', midX: null, low: 0, high: 0, maxCum: 0 };
  const mid = bestBid !== undefined && bestAsk !== undefined ? (bestBid + bestAsk) / 2 : (bestBid ?? bestAsk)!;
  const half = Math.max(lastBid !== undefined ? mid - lastBid : 0, lastAsk !== undefined ? lastAsk - mid : 0) || Math.abs(mid) * 0.001 || 1;
  const low = mid - half;
  const high = mid + half;
  let bidCum = 0;
  for (const [, size] of book.bids) bidCum += size;
  let askCum = 0;
  for (const [, size] of book.asks) askCum += size;
  const maxCum = Math.max(bidCum, askCum);
  const x = (price: number) => round(((price - low) / (high - low)) * width);
  const y = (cum: number) => round(height - (maxCum > 0 ? (cum / maxCum) * height : 0));
  const side = (levels: readonly BookLevel[], edge: number): string => {
    if (levels.length === 0) return '';
    let cum = 0;
    let path = `M${x(levels[0]![0])},${height}`;
    for (let i = 0; i < levels.length; i++) {
      const [price, size] = levels[i]!;
      cum += size;
      path += `V${y(cum)}`;
      const next = levels[i + 1];
      path += `H${next === undefined ? edge : x(next[0])}`;
    }
    return `${path}V${height}Z`;
  };
  return {
    bidPath: side(book.bids, 0),
    askPath: side(book.asks, width),
    midX: bestBid !== undefined && bestAsk !== undefined ? x(mid) : null,
    low,
    high,
    maxCum,
  };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
