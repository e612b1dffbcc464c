import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { l2Events, readL2, type L2Row } from '../src/book/l2-reader.js';
import { applyUpdate, checkBook, EMPTY_BOOK, type BookLevels, type Level } from '../src/book/levels.js';
import type { TapeProblem } from '../src/tape-format.js';

const sharedDir = resolve(import.meta.dirname, '../../../shared');
const l2Dir = join(sharedDir, 'data-l2');
const tradesDir = join(sharedDir, 'data');
const MESSAGES = join(l2Dir, 'AAPL-2012-06-21-l2-messages.csv');
const BOOK = join(l2Dir, 'AAPL-2012-06-21-l2-book10.csv');
const TRADES = join(tradesDir, 'AAPL-2012-06-21-trades.csv');

function requireFile(dir: string, file: string): string {
  if (!existsSync(dir)) {
    throw new Error(`the real market data is missing: expected the directory ${dir} (../shared beside the repository, see its README.md); these tests read it and cannot run without it`);
  }
  if (!existsSync(file)) throw new Error(`the real data file ${file} is missing from ${dir}`);
  return file;
}

async function collect(file: string, options: Parameters<typeof readL2>[1] = { strict: true }): Promise<L2Row[]> {
  const rows: L2Row[] = [];
  for await (const row of readL2(file, options)) rows.push(row);
  return rows;
}

/** The book file's rows as books, read independently of the reader (empty cells are absent levels). */
async function bookFileRows(file: string): Promise<BookLevels[]> {
  const lines = (await readFile(file, 'utf8')).trimEnd().split('\n').slice(1);
  return lines.map((line) => {
    const f = line.split(',');
    const bids: Level[] = [];
    const asks: Level[] = [];
    for (let k = 0; k < (f.length - 1) / 4; k++) {
      if (f[1 + 4 * k] !== '') bids.push([Number(f[1 + 4 * k]), Number(f[2 + 4 * k])]);
      if (f[3 + 4 * k] !== '') asks.push([Number(f[3 + 4 * k]), Number(f[4 + 4 * k])]);
    }
    return { bids, asks };
  });
}

describe('LOBSTER level-2 reader (real AAPL excerpt)', () => {
  it('[S46] applying every update to an empty book reproduces each row of the book file exactly, and the book never crosses', async () => {
    const rows = await collect(requireFile(l2Dir, MESSAGES));
    const expected = await bookFileRows(requireFile(l2Dir, BOOK));
    expect(rows).toHaveLength(999);
    expect(expected).toHaveLength(999);
    let book: BookLevels = EMPTY_BOOK;
    const mismatches: number[] = [];
    rows.forEach((row, i) => {
      book = applyUpdate(book, row.update);
      if (JSON.stringify(book) !== JSON.stringify(expected[i])) mismatches.push(i);
      if (checkBook(book) !== null) mismatches.push(i);
    });
    expect(mismatches).toEqual([]);
    expect(rows[0]!.update.bids).toHaveLength(10);
    // Only the levels that changed: most rows change one level, a row entering from beyond depth 10 two.
    const changed = rows.slice(1).map((r) => r.update.bids.length + r.update.asks.length);
    expect(Math.max(...changed)).toBeLessThanOrEqual(3);
    expect(changed.filter((n) => n === 0)).toHaveLength(61);
  });

  it('[S47] the executions are the first 159 trades of AAPL-2012-06-21-trades.csv (ts to the ms, price, size), with bid and ask from the book before each', async () => {
    const rows = await collect(requireFile(l2Dir, MESSAGES));
    const tape = (await readFile(requireFile(tradesDir, TRADES), 'utf8')).trimEnd().split('\n').slice(1, 160).map((line) => {
      const [ts, price, size] = line.split(',');
      return [Date.parse(ts!), Number(price), Number(size)];
    });
    const trades = rows.flatMap((r, i) => (r.trade === null ? [] : [{ trade: r.trade, before: rows[i - 1]!.book, type: r.type }]));
    expect(trades).toHaveLength(159);
    expect(trades.map(({ trade }) => [trade.ts, trade.price, trade.size])).toEqual(tape);
    for (const { trade, before, type } of trades) {
      expect([trade.bid, trade.ask]).toEqual([before.bids[0]![0], before.asks[0]![0]]);
      expect(trade.symbol).toBe('AAPL');
      // A visible execution is at the touch; a hidden one within the quote.
      if (type === 4) expect([trade.bid, trade.ask]).toContain(trade.price);
      else expect(trade.bid <= trade.price && trade.price <= trade.ask).toBe(true);
    }
    const events = [];
    for await (const e of l2Events(readL2(MESSAGES, { strict: true }))) events.push(e);
    expect(events.filter((e) => e.kind === 'trade')).toHaveLength(159);
    expect(events.filter((e) => e.kind === 'book')).toHaveLength(999 - 61);
    // An execution's trade goes out before the update it causes.
    const first = events.findIndex((e) => e.kind === 'trade');
    const row = rows.find((r) => r.trade !== null)!;
    expect(events[first]).toEqual({ kind: 'trade', trade: row.trade });
    expect(row.trade).toMatchObject({ ts: Date.parse('2012-06-21T13:30:00.275Z'), price: 585.74, size: 40 });
    expect(events[first + 1]).toEqual({ kind: 'book', update: row.update });
  });

  it('[S46] from a ts, the first row yielded carries the whole book and the rest follow from it', async () => {
    const all = await collect(requireFile(l2Dir, MESSAGES));
    const from = all[500]!.ts;
    const rows = await collect(MESSAGES, { strict: true, fromTs: from });
    const skipped = all.findIndex((r) => r.ts >= from);
    expect(rows).toHaveLength(999 - skipped);
    let book: BookLevels = EMPTY_BOOK;
    for (const [i, row] of rows.entries()) {
      book = applyUpdate(book, row.update);
      expect(book).toEqual(all[skipped + i]!.book);
    }
  });
});

describe('LOBSTER level-2 reader: bad input', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'l2-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const M = 'ts,type,order_id,size,price,side';
  const B = 'ts,bid_price_1,bid_size_1,ask_price_1,ask_size_1,bid_price_2,bid_size_2,ask_price_2,ask_size_2';
  const T = (n: number) => `2012-06-21T13:30:00.00${n}000000Z`;

  async function pair(name: string, messages: string[], books: string[]): Promise<string> {
    const file = join(dir, `${name}-l2-messages.csv`);
    await writeFile(file, [M, ...messages].join('\n') + '\n');
    await writeFile(join(dir, `${name}-l2-book2.csv`), [B, ...books].join('\n') + '\n');
    return file;
  }

  const good = {
    messages: [`${T(1)},1,1,100,10.00,bid`, `${T(2)},1,2,50,10.05,ask`, `${T(3)},4,2,20,10.05,ask`, `${T(4)},3,1,100,10.00,bid`],
    books: [`${T(1)},10.00,100,10.05,30,9.99,5,10.06,7`, `${T(2)},10.00,100,10.05,80,9.99,5,10.06,7`, `${T(3)},10.00,100,10.05,60,9.99,5,10.06,7`, `${T(4)},9.99,5,10.05,60,9.98,40,10.06,7`],
  };

  it('[S48] a valid pair reads with a level entering from beyond depth, the trade takes its quote from the book before', async () => {
    const rows = await collect(await pair('GOOD', good.messages, good.books));
    expect(rows.map((r) => r.line)).toEqual([2, 3, 4, 5]);
    expect(rows[2]!.trade).toEqual({ symbol: 'GOOD', ts: Date.parse('2012-06-21T13:30:00.003Z'), price: 10.05, size: 20, bid: 10, ask: 10.05 });
    expect(rows[3]!.update).toMatchObject({ bids: [[10, 0], [9.98, 40]], asks: [] });
  });

  it('[S48] bad rows get messages naming file and line; they are skipped and counted, or with strict the first one throws', async () => {
    const file = await pair(
      'BAD',
      [
        good.messages[0]!,
        `${T(2)},9,2,50,10.05,ask`,
        `${T(3)},1,2,50,10.05,ask`,
        `${T(4)},3,1,70,10.00,bid`,
        `${T(5)},1,3,5,10.01,bid`,
        `${T(6)},3,3,5,10.01,bid`,
        `${T(1)},1,4,5,9.90,bid`,
        `${T(7)},1,5,5,9.90,bid`,
        `${T(8)},1,6,5,9.90,bid`,
      ],
      [
        good.books[0]!,
        good.books[1]!,
        `${T(3)},10.00,100,10.05,80,10.06,7,9.99,5`,
        `${T(4)},10.00,30,10.05,30,9.99,5,10.06,7`,
        `${T(5)},10.01,5,10.05,30,10.00,30,10.06,7`,
        `${T(6)},10.00,30,10.05,31,9.99,5,10.06,7`,
        `${T(1)},10.00,30,10.05,30,9.99,5,10.06,7`,
        `${T(8)},10.00,30,10.05,30,9.99,5,10.06,7`,
      ],
    );
    const bookFile = join(dir, 'BAD-l2-book2.csv');
    const problems: TapeProblem[] = [];
    const rows = await collect(file, { strict: false, onProblem: (p) => problems.push(p) });
    expect(problems.map((p) => p.message)).toEqual([
      `${file}:3: type '9' must be a LOBSTER event code 1-7`,
      `${bookFile}:4: bids[1]: price 10.06 is not strictly worse than 10`,
      `${bookFile}:7: the book row does not follow from the message (BAD-l2-messages.csv:7): ask level 1 is 31 at 10.05, but replaying the message gives 30 at 10.05`,
      `${file}:8: ts ${T(1)} is before the previous row's 2012-06-21T13:30:00.005Z`,
      `${bookFile}:9: ts ${T(8)} differs from the message's ${T(7)} (BAD-l2-messages.csv:9)`,
      `${file}:10: has more rows than BAD-l2-book2.csv (every message needs its book row)`,
    ]);
    expect(problems.map((p) => p.kind)).toEqual(['malformed-row', 'malformed-row', 'book-mismatch', 'non-monotonic-ts', 'malformed-row', 'malformed-row']);
    // After a skipped row the next one is taken as it is; every update still rebuilds each yielded row.
    expect(rows.map((r) => r.line)).toEqual([2, 5, 6]);
    let book: BookLevels = EMPTY_BOOK;
    for (const row of rows) {
      book = applyUpdate(book, row.update);
      expect(book).toEqual(row.book);
    }
    await expect(collect(file, { strict: true })).rejects.toThrow(`${file}:3: type '9' must be a LOBSTER event code 1-7`);
  });

  it('[S48] a message file without its book file, or with a bad header, is an error naming the file', async () => {
    const lonely = join(dir, 'LONE-l2-messages.csv');
    await writeFile(lonely, `${M}\n${good.messages[0]}\n`);
    await expect(collect(lonely)).rejects.toThrow(`${lonely}: no book file beside it: expected LONE-l2-bookN.csv in ${dir}`);
    const file = await pair('HDR', good.messages, good.books);
    await writeFile(join(dir, 'HDR-l2-book2.csv'), ['ts,bid_price_1', ...good.books].join('\n'));
    await expect(collect(file)).rejects.toThrow(`${join(dir, 'HDR-l2-book2.csv')}:1: expected the header ts,bid_price_1,bid_size_1,ask_price_1,ask_size_1,… for 2 levels, found 'ts,bid_price_1'`);
    await expect(collect(join(dir, 'NOPE-l2-messages.csv'))).rejects.toThrow('file not found or not readable');
  });
});
