import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTapes, scanTapes } from '../src/replay-source.js';
import { parseCsvHeader, parseCsvRow, parseNdjsonLine, parseTimestamp, symbolFromFileName, TapeProblem } from '../src/tape-format.js';
import { readTape, type SourcedRecord } from '../src/tape-reader.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sim-tapes-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const strip = ({ source: _s, line: _l, ...r }: SourcedRecord) => r;

describe('tape formats', () => {
  it('[S15] timestamps: ISO-8601 with a zone (fractions beyond ms are cut) or epoch ms', () => {
    expect(parseTimestamp('2012-06-21T13:30:00.017Z')).toBe(Date.UTC(2012, 5, 21, 13, 30, 0, 17));
    expect(parseTimestamp('2012-06-21T13:30:00.0179999Z')).toBe(Date.UTC(2012, 5, 21, 13, 30, 0, 17));
    expect(parseTimestamp('2012-06-21T09:30:00-04:00')).toBe(Date.UTC(2012, 5, 21, 13, 30));
    expect(parseTimestamp('1340285400017')).toBe(1340285400017);
    expect(parseTimestamp('2012-06-21T13:30:00')).toBeNull();
    expect(parseTimestamp('21/06/2012')).toBeNull();
    expect(parseTimestamp('')).toBeNull();
  });

  it('[S15] CSV rows: sub-penny prices, optional quote (bid = ask = price without one), symbol column', () => {
    const layout = parseCsvHeader('ts,price,size,bid,ask', 'f.csv', 1);
    expect(parseCsvRow('2012-06-21T13:30:00.190Z,223.795,21,223.75,223.95', layout, { symbol: 'AMZN' }, 'f.csv', 2)).toEqual({
      symbol: 'AMZN', ts: Date.UTC(2012, 5, 21, 13, 30, 0, 190), price: 223.795, size: 21, bid: 223.75, ask: 223.95,
    });
    const bare = parseCsvHeader('ts,price,size', 'f.csv', 1);
    expect(parseCsvRow('1340285400275,585.74,40', bare, { symbol: 'AAPL' }, 'f.csv', 2)).toEqual({ symbol: 'AAPL', ts: 1340285400275, price: 585.74, size: 40, bid: 585.74, ask: 585.74 });
    const withSymbol = parseCsvHeader('symbol,ts,price,size', 'f.csv', 1);
    expect(parseCsvRow('MSFT,1340285400275,30.1,5', withSymbol, { symbol: 'AAPL' }, 'f.csv', 2)).toMatchObject({ symbol: 'MSFT' });
  });

  it('[S16] malformed CSV rows are problems that name the file and line', () => {
    const layout = parseCsvHeader('ts,price,size,bid,ask', 'f.csv', 1);
    const problem = (line: string) => {
      const r = parseCsvRow(line, layout, { symbol: 'AMZN' }, 'f.csv', 7);
      expect(r).toBeInstanceOf(TapeProblem);
      return (r as TapeProblem).message;
    };
    expect(problem('2012-06-21T13:30:00Z,abc,1,1,2')).toBe("f.csv:7: price 'abc' must be a number > 0");
    expect(problem('2012-06-21T13:30:00Z,-1,1,1,2')).toMatch(/^f\.csv:7: price '-1' must be a number > 0/);
    expect(problem('2012-06-21T13:30:00Z,10,-1,1,2')).toMatch(/^f\.csv:7: size '-1'/);
    expect(problem('yesterday,10,1,9,11')).toMatch(/^f\.csv:7: ts 'yesterday' is neither ISO-8601/);
    expect(problem('2012-06-21T13:30:00Z,10,1,11,9')).toBe('f.csv:7: crossed quote: bid 11 > ask 9');
    expect(problem('2012-06-21T13:30:00Z,10,1,9,')).toMatch(/^f\.csv:7: ask is empty while bid is set/);
    expect(problem('2012-06-21T13:30:00Z,10,1')).toBe('f.csv:7: expected 5 fields, found 3');
    expect(parseCsvRow('1,10,1,9,11', layout, { symbol: null }, 'f.csv', 7)).toMatchObject({ message: expect.stringMatching(/no symbol: add a symbol column, pass --symbol/) });
    expect(() => parseCsvHeader('time,price,size', 'f.csv', 1)).toThrow("f.csv:1: the header has no 'ts' column");
    expect(() => parseCsvHeader('ts,price,size,bid', 'f.csv', 1)).toThrow("f.csv:1: the header has 'bid' without 'ask'");
    expect(parseCsvHeader('ts,price,size,venue', 'f.csv', 1).unknown).toEqual(['venue']);
  });

  it('[S15] NDJSON lines in the wire format (seq ignored), ts as epoch ms or ISO; bad lines name file and line', () => {
    const ok = parseNdjsonLine('{"symbol":"AAPL","seq":9,"ts":1704067200123,"price":190.01,"size":30,"bid":190,"ask":190.02}', { symbol: null }, 't.ndjson', 3);
    expect(ok).toEqual({ record: { symbol: 'AAPL', ts: 1704067200123, price: 190.01, size: 30, bid: 190, ask: 190.02 }, unknown: [] });
    expect(parseNdjsonLine('{"ts":"2024-01-01T00:00:00Z","price":1,"size":1,"venue":"X"}', { symbol: 'ABC' }, 't.ndjson', 3)).toMatchObject({
      record: { symbol: 'ABC', bid: 1, ask: 1 },
      unknown: ['venue'],
    });
    expect((parseNdjsonLine('{oops', { symbol: null }, 't.ndjson', 4) as TapeProblem).message).toBe('t.ndjson:4: not valid JSON');
    expect((parseNdjsonLine('[1,2]', { symbol: null }, 't.ndjson', 5) as TapeProblem).message).toBe('t.ndjson:5: a line must be a JSON object');
    expect((parseNdjsonLine('{"symbol":"A","ts":1,"price":0,"size":1}', { symbol: null }, 't.ndjson', 6) as TapeProblem).message).toMatch(/^t\.ndjson:6: price '0'/);
  });

  it("[S15] the symbol comes from the file name's part before the first '-' when the row has none", () => {
    expect(symbolFromFileName('/x/AMZN-2012-06-21-trades.csv')).toBe('AMZN');
    expect(symbolFromFileName('aapl-day.csv')).toBe('AAPL');
    expect(symbolFromFileName('trades.csv')).toBeNull();
    expect(symbolFromFileName('-x.csv')).toBeNull();
  });
});

describe('tape files', () => {
  it('[S15] a CSV file streams in order: repeated timestamps and sub-penny prices are valid, CRLF and blank lines are fine', async () => {
    const path = await file('AMZN-sample.csv', 'ts,price,size,bid,ask\r\n2012-06-21T13:30:00.190Z,223.81,21,223.81,223.95\r\n2012-06-21T13:30:00.190Z,223.795,26,223.75,223.95\r\n\r\n2012-06-21T13:30:00.372Z,223.84,100,223.75,223.95\r\n');
    const records = await collect(readTape(path, 0, { strict: true }));
    expect(records.map((r) => [r.symbol, r.price, r.size, r.line])).toEqual([
      ['AMZN', 223.81, 21, 2],
      ['AMZN', 223.795, 26, 3],
      ['AMZN', 223.84, 100, 5],
    ]);
    expect(records[0]!.ts).toBe(records[1]!.ts);
  });

  it('[S16] by default bad rows are skipped and reported with file and line; --strict stops at the first', async () => {
    const path = await file(
      'XYZ-bad.csv',
      ['ts,price,size,venue', '1000,10,1,Q', '2000,ten,1,Q', '3000,11,1,Q', '2500,12,1,Q', '4000,13,1,Q'].join('\n'),
    );
    const problems: string[] = [];
    const records = await collect(readTape(path, 0, { strict: false, onProblem: (p) => problems.push(`${p.kind} ${p.message}`) }));
    expect(records.map((r) => r.price)).toEqual([10, 11, 13]);
    expect(problems).toEqual([
      `unknown-column ${path}:1: unknown column(s) 'venue' ignored (known: ts, price, size, bid, ask, symbol)`,
      `malformed-row ${path}:3: price 'ten' must be a number > 0`,
      `non-monotonic-ts ${path}:5: ts 1970-01-01T00:00:02.500Z is before the previous row's 1970-01-01T00:00:03.000Z`,
    ]);
    await expect(collect(readTape(path, 0, { strict: true }))).rejects.toThrow(`${path}:1: unknown column(s) 'venue'`);
    const noVenue = await file('XYZ-bad2.csv', ['ts,price,size', '1000,10,1', '2000,ten,1'].join('\n'));
    await expect(collect(readTape(noVenue, 0, { strict: true }))).rejects.toThrow(`${noVenue}:3: price 'ten' must be a number > 0`);
  });

  it('[S16] a missing file: skipped and counted by default, an error naming it with --strict; nothing valid at all is an error', async () => {
    const good = await file('ABC-1.csv', 'ts,price,size\n1000,10,1\n');
    const missing = join(dir, 'NOPE-1.csv');
    const problems: string[] = [];
    const index = await scanTapes({ files: [missing, good], symbol: null, strict: false }, (p) => problems.push(p.message));
    expect(index.files).toEqual([good]);
    expect(index.problems['missing-file']).toBe(1);
    expect(problems).toEqual([`${missing}: file not found or not readable`]);
    await expect(scanTapes({ files: [missing, good], symbol: null, strict: true }, () => {})).rejects.toThrow(`${missing}: file not found or not readable`);
    await expect(scanTapes({ files: [missing], symbol: null, strict: false }, () => {})).rejects.toThrow(/nothing to replay/);
    const empty = await file('EMPTY-1.csv', '');
    await expect(scanTapes({ files: [empty], symbol: null, strict: false }, () => {})).rejects.toThrow(`${empty}: the file is empty`);
  });

  it('[S17] several files merge into one stream by ts; equal ts keep file order; --from skips earlier records', async () => {
    const a = await file('AAA-1.csv', 'ts,price,size\n1000,1,1\n2000,2,1\n2000,3,1\n5000,4,1\n');
    const b = await file('feed.ndjson', ['{"symbol":"BBB","ts":1500,"price":10,"size":1}', '{"symbol":"BBB","ts":2000,"price":11,"size":1}', '{"symbol":"CCC","ts":9000,"price":12,"size":1}'].join('\n'));
    const options = { files: [a, b], symbol: null, strict: true };
    const index = await scanTapes(options, () => {});
    expect(index).toMatchObject({ records: 7, firstTs: 1000, lastTs: 9000 });
    expect([...index.symbols.keys()]).toEqual(['AAA', 'BBB', 'CCC']);
    expect(index.symbols.get('AAA')).toMatchObject({ firstPrice: 1, records: 4, volume: 4 });
    const merged = (await collect(openTapes(index, options, 0))).map(strip);
    expect(merged.map((r) => `${r.symbol}@${r.ts}:${r.price}`)).toEqual([
      'AAA@1000:1', 'BBB@1500:10', 'AAA@2000:2', 'AAA@2000:3', 'BBB@2000:11', 'AAA@5000:4', 'CCC@9000:12',
    ]);
    const from = (await collect(openTapes(index, options, 2000))).map((r) => r.price);
    expect(from).toEqual([2, 3, 11, 4, 12]);
  });

  it('[S15] --symbol names the rows of files without a symbol column, before the file name', async () => {
    const path = await file('ZZZ-2.csv', 'ts,price,size\n1000,10,1\n');
    const index = await scanTapes({ files: [path], symbol: 'QQQ', strict: true }, () => {});
    expect([...index.symbols.keys()]).toEqual(['QQQ']);
  });
});
