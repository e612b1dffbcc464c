import { parseTimestamp, splitCsvLine, TapeProblem } from '../tape-format.js';
import { applySide, checkBook, isBetter, type BookLevels, type BookSide, type Level } from './levels.js';

/*
 * LOBSTER level-2 files as ../shared/data-l2 holds them (see its README): a
 * message file `SYMBOL-…-l2-messages.csv` with one order-book event per row,
 * and beside it `SYMBOL-…-l2-bookN.csv` with the visible top N levels per
 * side after each message. Pure parsing and checking; the reader streams.
 */

export const L2_MESSAGE_HEADER = 'ts,type,order_id,size,price,side';

/** A LOBSTER event code: 1 new limit order, 2 partial cancel, 3 delete, 4 visible execution, 5 hidden execution, 6 cross, 7 halt. */
export type L2EventType = 1 | 2 | 3 | 4 | 5 | 6 | 7;

export interface L2Message {
  /** The row's ts text (ISO-8601, nanosecond digits): the book row must carry the same. */
  tsText: string;
  /** Epoch ms (fraction beyond ms cut). */
  ts: number;
  type: L2EventType;
  size: number;
  price: number;
  /** The side of the resting order: for an execution, `asks` is a buyer-initiated trade. */
  side: BookSide;
}

export interface L2BookRow {
  tsText: string;
  ts: number;
  book: BookLevels;
}

const DECIMAL = /^\d+(\.\d+)?$/;
const INTEGER = /^\d+$/;
const SIGNED = /^-?\d+(\.\d+)?$/;

/** The messages file's name stem (before `-l2-messages.csv`), or null when the name does not end so. */
export function l2Stem(messagesFile: string): string | null {
  const base = messagesFile.split(/[\\/]/).pop() ?? '';
  const m = /^(.+)-l2-messages\.csv$/i.exec(base);
  return m === null ? null : m[1]!;
}

/** The depth N of a book file named `<stem>-l2-bookN.csv`, or null when `name` is not one for `stem`. */
export function bookFileDepth(stem: string, name: string): number | null {
  if (!name.toLowerCase().startsWith(`${stem.toLowerCase()}-l2-book`)) return null;
  const m = /^(\d+)\.csv$/i.exec(name.slice(stem.length + '-l2-book'.length));
  return m === null ? null : Number(m[1]);
}

export function parseL2MessageHeader(line: string, file: string, lineNo: number): void {
  const names = line.replace(/^\uFEFF/, '').split(',').map((n) => n.trim().toLowerCase()).join(',');
  if (names !== L2_MESSAGE_HEADER) throw new TapeProblem('bad-header', file, lineNo, `expected the header ${L2_MESSAGE_HEADER}, found '${clip(line)}'`);
}

/** The book file's header for depth N: ts, then bid_price_k,bid_size_k,ask_price_k,ask_size_k for k = 1…N. */
export function l2BookHeader(depth: number): string {
  const cols = ['ts'];
  for (let k = 1; k <= depth; k++) cols.push(`bid_price_${k}`, `bid_size_${k}`, `ask_price_${k}`, `ask_size_${k}`);
  return cols.join(',');
}

export function parseL2BookHeader(line: string, depth: number, file: string, lineNo: number): void {
  const names = line.replace(/^\uFEFF/, '').split(',').map((n) => n.trim().toLowerCase()).join(',');
  if (names !== l2BookHeader(depth)) throw new TapeProblem('bad-header', file, lineNo, `expected the header ts,bid_price_1,bid_size_1,ask_price_1,ask_size_1,… for ${depth} levels, found '${clip(line)}'`);
}

/** One message row, or a problem naming the file and line (never throws). */
export function parseL2Message(line: string, file: string, lineNo: number): L2Message | TapeProblem {
  const bad = (detail: string) => new TapeProblem('malformed-row', file, lineNo, detail);
  const f = splitCsvLine(line);
  if (f.length !== 6) return bad(`expected 6 fields (${L2_MESSAGE_HEADER}), found ${f.length}`);
  const [tsText, typeText, orderText, sizeText, priceText, sideText] = f.map((x) => x.trim()) as [string, string, string, string, string, string];
  const ts = parseTimestamp(tsText);
  if (ts === null || !tsText.includes('T')) return bad(`ts '${clip(tsText)}' must be ISO-8601 with a zone`);
  if (!/^[1-7]$/.test(typeText)) return bad(`type '${clip(typeText)}' must be a LOBSTER event code 1-7`);
  const type = Number(typeText) as L2EventType;
  if (sideText !== 'bid' && sideText !== 'ask') return bad(`side '${clip(sideText)}' must be bid or ask`);
  const side: BookSide = sideText === 'bid' ? 'bids' : 'asks';
  if (type === 7 || type === 6) {
    // A halt or cross carries codes, not an order: only the numbers' form is checked.
    if (!SIGNED.test(orderText) || !SIGNED.test(sizeText) || !SIGNED.test(priceText)) return bad('order_id, size and price must be numbers');
    return { tsText, ts, type, size: Number(sizeText), price: Number(priceText), side };
  }
  if (!INTEGER.test(orderText)) return bad(`order_id '${clip(orderText)}' must be a whole number`);
  if (!INTEGER.test(sizeText) || Number(sizeText) === 0) return bad(`size '${clip(sizeText)}' must be a whole number of shares > 0`);
  if (!DECIMAL.test(priceText) || !(Number(priceText) > 0)) return bad(`price '${clip(priceText)}' must be a decimal number > 0`);
  return { tsText, ts, type, size: Number(sizeText), price: Number(priceText), side };
}

/** One book row of depth N, or a problem naming the file and line (never throws). Empty levels are two empty cells. */
export function parseL2BookRow(line: string, depth: number, file: string, lineNo: number): L2BookRow | TapeProblem {
  const bad = (detail: string) => new TapeProblem('malformed-row', file, lineNo, detail);
  const f = splitCsvLine(line);
  if (f.length !== 1 + 4 * depth) return bad(`expected ${1 + 4 * depth} fields (ts and ${depth} levels per side), found ${f.length}`);
  const tsText = f[0]!.trim();
  const ts = parseTimestamp(tsText);
  if (ts === null || !tsText.includes('T')) return bad(`ts '${clip(tsText)}' must be ISO-8601 with a zone`);
  const sides: Record<BookSide, Level[]> = { bids: [], asks: [] };
  const ended: Record<BookSide, number> = { bids: 0, asks: 0 };
  for (let k = 1; k <= depth; k++) {
    for (const [side, offset, name] of [['bids', 1, 'bid'], ['asks', 3, 'ask']] as const) {
      const priceText = f[4 * (k - 1) + offset]!.trim();
      const sizeText = f[4 * (k - 1) + offset + 1]!.trim();
      if (priceText === '' && sizeText === '') {
        if (ended[side] === 0) ended[side] = k;
        continue;
      }
      if (priceText === '' || sizeText === '') return bad(`${name} level ${k}: price and size must both be set or both be empty`);
      if (ended[side] !== 0) return bad(`${name} level ${k} follows the empty level ${ended[side]}`);
      if (!DECIMAL.test(priceText) || !(Number(priceText) > 0)) return bad(`${name}_price_${k} '${clip(priceText)}' must be a decimal number > 0`);
      if (!INTEGER.test(sizeText) || Number(sizeText) === 0) return bad(`${name}_size_${k} '${clip(sizeText)}' must be a whole number of shares > 0`);
      sides[side].push([Number(priceText), Number(sizeText)]);
    }
  }
  const book = { bids: sides.bids, asks: sides.asks };
  const invalid = checkBook(book, null, true);
  if (invalid !== null) return bad(invalid);
  return { tsText, ts, book };
}

/**
 * The visible book after `msg`, cut at `depth` levels, by the README's
 * replay rule: type 1 adds, types 2–4 subtract (a level reaching 0
 * disappears), 5–7 change nothing. An event beyond the worst level of a full
 * side is outside the known range and changes nothing visible. Returns a
 * message when the book cannot explain the event.
 */
export function applyL2Message(book: BookLevels, msg: L2Message, depth: number): BookLevels | string {
  if (msg.type >= 5) return book;
  const levels = book[msg.side];
  const at = levels.find(([p]) => p === msg.price);
  const worst = levels[levels.length - 1];
  const beyond = levels.length >= depth && worst !== undefined && isBetter(msg.side, worst[0], msg.price);
  let change: Level;
  if (msg.type === 1) change = [msg.price, (at?.[1] ?? 0) + msg.size];
  else {
    if (at === undefined) {
      if (beyond) return book;
      return `type ${msg.type} takes ${msg.size} at ${msg.price} on the ${msg.side === 'bids' ? 'bid' : 'ask'} side, where the book has no level`;
    }
    if (at[1] < msg.size) return `type ${msg.type} takes ${msg.size} at ${msg.price}, more than the level's ${at[1]}`;
    if (msg.type === 4 && levels[0]![0] !== msg.price) return `a visible execution at ${msg.price} is not at the best ${msg.side === 'bids' ? 'bid' : 'ask'} ${levels[0]![0]}`;
    change = [msg.price, at[1] - msg.size];
  }
  const next = applySide(msg.side, levels, [change]);
  if (next.length > depth) next.length = depth;
  return msg.side === 'bids' ? { bids: next, asks: book.asks } : { bids: book.bids, asks: next };
}

/**
 * Why `row` does not follow from `before` and `msg`, or null. It must equal
 * the replayed book, except that a side whose level the message removed
 * from a full book shows a new last level: one that entered from beyond
 * depth N, so it lies beyond the previous last level.
 */
export function explainL2Row(before: BookLevels, msg: L2Message, row: BookLevels, depth: number): string | null {
  const replayed = applyL2Message(before, msg, depth);
  if (typeof replayed === 'string') return replayed;
  for (const side of ['bids', 'asks'] as const) {
    const want = replayed[side];
    const got = row[side];
    const name = side === 'bids' ? 'bid' : 'ask';
    for (let i = 0; i < want.length; i++) {
      const w = want[i]!;
      const g = got[i];
      if (g === undefined || g[0] !== w[0] || g[1] !== w[1]) {
        return `${name} level ${i + 1} is ${g === undefined ? 'empty' : `${g[1]} at ${g[0]}`}, but replaying the message gives ${w[1]} at ${w[0]}`;
      }
    }
    if (got.length > want.length) {
      const full = before[side].length >= depth;
      const lastBefore = before[side][before[side].length - 1];
      const entering = got.slice(want.length);
      const fromBeyond = full && lastBefore !== undefined && entering.every(([p]) => isBetter(side, lastBefore[0], p));
      if (!fromBeyond) return `${name} level ${want.length + 1} (${entering[0]![1]} at ${entering[0]![0]}) neither follows from the message nor enters from beyond depth ${depth}`;
    }
  }
  return null;
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
