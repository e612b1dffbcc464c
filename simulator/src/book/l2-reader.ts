import { createReadStream } from 'node:fs';
import { access, readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import type { ModelTrade } from '../symbol-model.js';
import { symbolFromFileName, TapeProblem } from '../tape-format.js';
import type { FeedEvent } from './book-source.js';
import { bookFileDepth, explainL2Row, l2Stem, parseL2BookHeader, parseL2BookRow, parseL2Message, parseL2MessageHeader, type L2EventType } from './l2-format.js';
import { diffBooks, EMPTY_BOOK, type BookLevels, type BookUpdate } from './levels.js';

export interface L2ReadOptions {
  /** --symbol: the symbol (default: the file name's part before the first '-'). */
  symbol?: string | null;
  /** --strict: the first problem throws instead of being reported and skipped. */
  strict: boolean;
  /** Receives each skipped problem. */
  onProblem?: (problem: TapeProblem) => void;
  /**
   * Rows before this ts (epoch ms) are read and checked but not yielded; the
   * first row yielded then carries the whole book (its update is from an empty book), as a seek needs.
   */
  fromTs?: number | null;
}

/** The book file beside a message file, and its depth. */
export interface L2Files {
  messages: string;
  book: string;
  depth: number;
  symbol: string;
}

/** One row of an L2 replay: the message, the book after it, and what a publisher sends for it. */
export interface L2Row {
  /** 1-based line, the same in both files. */
  line: number;
  /** Epoch ms. */
  ts: number;
  type: L2EventType;
  /** The levels that changed against the book of the previous row yielded (size 0 removes). */
  update: BookUpdate;
  /** The whole book after the row (the book file's row). */
  book: BookLevels;
  /** For an execution (types 4 and 5): the trade, with bid and ask from the book before it. */
  trade: ModelTrade | null;
}

/** Whether a replay file is an L2 message file (`…-l2-messages.csv`). */
export function isL2MessagesFile(path: string): boolean {
  return l2Stem(path) !== null;
}

/**
 * Finds the book file beside `messagesFile` by name: `<stem>-l2-messages.csv`
 * pairs with `<stem>-l2-bookN.csv`. Throws a TapeProblem naming the file
 * when it is missing, ambiguous, or the name is not an L2 message file's.
 */
export async function findL2Files(messagesFile: string, symbol: string | null = null): Promise<L2Files> {
  const stem = l2Stem(messagesFile);
  if (stem === null) throw new TapeProblem('missing-file', messagesFile, null, 'an L2 message file is named SYMBOL-…-l2-messages.csv');
  try {
    await access(messagesFile);
  } catch {
    throw new TapeProblem('missing-file', messagesFile, null, 'file not found or not readable');
  }
  const dir = dirname(messagesFile);
  const found = (await readdir(dir)).flatMap((name) => {
    const depth = bookFileDepth(stem, name);
    return depth === null || depth < 1 ? [] : [{ name, depth }];
  });
  if (found.length === 0) throw new TapeProblem('missing-file', messagesFile, null, `no book file beside it: expected ${stem}-l2-bookN.csv in ${dir}`);
  if (found.length > 1) throw new TapeProblem('missing-file', messagesFile, null, `several book files beside it (${found.map((f) => f.name).join(', ')}): keep one`);
  const sym = symbol ?? symbolFromFileName(messagesFile);
  if (sym === null) throw new TapeProblem('missing-file', messagesFile, null, 'no symbol: pass --symbol or name the file SYMBOL-…-l2-messages.csv');
  return { messages: messagesFile, book: join(dir, found[0]!.name), depth: found[0]!.depth, symbol: sym };
}

/**
 * Streams an L2 message file and its book file row by row, in lockstep
 * (never a whole file in memory), and yields each valid row with its book
 * update and, for executions, its trade. Every row is checked: both rows
 * parse, carry the same ts, ts never decreases, and the book row follows
 * from the previous book and the message by the README's replay rule (a
 * level entering from beyond depth N is taken from the book row). A bad row
 * is a TapeProblem naming file and line: thrown with `strict`, otherwise
 * reported and skipped; after a skip the next row is taken as it is (as row
 * 0 is, whose previous book is not given). Applying every yielded update in
 * order to an empty book gives each yielded row's book exactly.
 */
export async function* readL2(messagesFile: string, options: L2ReadOptions): AsyncGenerator<L2Row> {
  const files = await findL2Files(messagesFile, options.symbol ?? null);
  const report = (problem: TapeProblem) => {
    if (options.strict) throw problem;
    options.onProblem?.(problem);
  };
  const fromTs = options.fromTs ?? -Infinity;
  const messageInput = createReadStream(files.messages, { encoding: 'utf8' });
  const bookInput = createReadStream(files.book, { encoding: 'utf8' });
  const messageLines = createInterface({ input: messageInput, crlfDelay: Infinity });
  const bookLines = createInterface({ input: bookInput, crlfDelay: Infinity });
  const messages = lines(messageLines);
  const books = lines(bookLines);
  try {
    let lineNo = 1;
    const mHeader = await messages.next();
    const bHeader = await books.next();
    if (mHeader.done === true) throw new TapeProblem('bad-header', files.messages, null, `the file is empty: expected the header ts,type,order_id,size,price,side`);
    if (bHeader.done === true) throw new TapeProblem('bad-header', files.book, null, 'the file is empty: expected a header ts,bid_price_1,…');
    parseL2MessageHeader(mHeader.value, files.messages, lineNo);
    parseL2BookHeader(bHeader.value, files.depth, files.book, lineNo);

    /** The last good row's book, or null when the next row cannot be checked (start, or after a skip). */
    let known: BookLevels | null = null;
    /** The book as the yielded updates left it. */
    let sent: BookLevels = EMPTY_BOOK;
    let lastTs = -Infinity;
    for (;;) {
      lineNo++;
      const [m, b] = await Promise.all([messages.next(), books.next()]);
      if (m.done === true && b.done === true) break;
      if (m.done === true || b.done === true) {
        const [longer, shorter] = m.done === true ? [files.book, files.messages] : [files.messages, files.book];
        report(new TapeProblem('malformed-row', longer, lineNo, `has more rows than ${basename(shorter)} (every message needs its book row)`));
        break;
      }
      const msg = parseL2Message(m.value, files.messages, lineNo);
      if (msg instanceof TapeProblem) {
        report(msg);
        known = null;
        continue;
      }
      const row = parseL2BookRow(b.value, files.depth, files.book, lineNo);
      if (row instanceof TapeProblem) {
        report(row);
        known = null;
        continue;
      }
      if (row.tsText !== msg.tsText) {
        report(new TapeProblem('malformed-row', files.book, lineNo, `ts ${row.tsText} differs from the message's ${msg.tsText} (${basename(files.messages)}:${lineNo})`));
        known = null;
        continue;
      }
      if (msg.ts < lastTs) {
        report(new TapeProblem('non-monotonic-ts', files.messages, lineNo, `ts ${msg.tsText} is before the previous row's ${new Date(lastTs).toISOString()}`));
        known = null;
        continue;
      }
      if (known !== null) {
        const why = explainL2Row(known, msg, row.book, files.depth);
        if (why !== null) {
          report(new TapeProblem('book-mismatch', files.book, lineNo, `the book row does not follow from the message (${basename(files.messages)}:${lineNo}): ${why}`));
          known = null;
          continue;
        }
      }
      lastTs = msg.ts;
      const before = known ?? row.book;
      known = row.book;
      if (msg.ts < fromTs) continue;
      let trade: ModelTrade | null = null;
      if (msg.type === 4 || msg.type === 5) {
        // The book before the execution (for the first row, whose previous book is not given: the one after it).
        const bid = before.bids[0]?.[0] ?? msg.price;
        const ask = before.asks[0]?.[0] ?? msg.price;
        trade = { symbol: files.symbol, ts: msg.ts, price: msg.price, size: msg.size, bid, ask };
      }
      const change = diffBooks(sent, row.book);
      sent = row.book;
      yield { line: lineNo, ts: msg.ts, type: msg.type, update: { symbol: files.symbol, ts: msg.ts, bids: change.bids, asks: change.asks }, book: row.book, trade };
    }
  } finally {
    messageLines.close();
    bookLines.close();
    messageInput.destroy();
    bookInput.destroy();
  }
}

/**
 * The rows as a publisher sends them: an execution's trade before the row's
 * book update (its bid and ask are the book before it); a row that changes
 * no visible level sends no update.
 */
export async function* l2Events(rows: AsyncIterable<L2Row>): AsyncGenerator<FeedEvent> {
  for await (const row of rows) {
    if (row.trade !== null) yield { kind: 'trade', trade: row.trade };
    if (row.update.bids.length > 0 || row.update.asks.length > 0) yield { kind: 'book', update: row.update };
  }
}

/**
 * A readline interface's lines with a trailing CR removed. The iterator is
 * taken at once: lines the interface reads before it exists would be lost,
 * and the two files are read in lockstep.
 */
function lines(rl: Interface): { next(): Promise<IteratorResult<string>> } {
  const it = rl[Symbol.asyncIterator]();
  return {
    async next() {
      const r = await it.next();
      if (r.done === true) return r;
      const raw = r.value;
      return { done: false, value: raw.endsWith('\r') ? raw.slice(0, -1) : raw };
    },
  };
}
