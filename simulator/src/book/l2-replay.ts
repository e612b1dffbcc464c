import { decimalsOf } from '../price-grid.js';
import { noTapeProblems, type TapeProblem } from '../tape-format.js';
import type { ReplaySourceOptions, TapeIndex, TapeSymbol } from '../replay-source.js';
import type { ReplayItem } from '../replay-runner.js';
import type { PublishEvent } from './book-segments.js';
import { isL2MessagesFile, readL2 } from './l2-reader.js';

/** Whether the replay files are one L2 message file (an L2 replay) rather than trade tapes. */
export function isL2Replay(files: readonly string[]): boolean {
  if (!files.some((f) => isL2MessagesFile(f))) return false;
  if (files.length > 1) throw new Error(`an L2 replay takes one message file (…-l2-messages.csv), got ${files.length} files`);
  return true;
}

/**
 * Reads an L2 message file and its book file once (readL2 checks every row),
 * for the declaration and the time range, as scanTapes does for trade tapes.
 */
export async function scanL2(options: ReplaySourceOptions, onProblem: (problem: TapeProblem) => void): Promise<TapeIndex> {
  const problems = noTapeProblems();
  const file = options.files[0]!;
  const symbols = new Map<string, TapeSymbol>();
  let records = 0;
  let firstTs = Infinity;
  let lastTs = -Infinity;
  const rows = readL2(file, {
    symbol: options.symbol,
    strict: options.strict,
    onProblem: (p) => {
      problems[p.kind]++;
      onProblem(p);
    },
  });
  for await (const row of rows) {
    records++;
    if (row.ts < firstTs) firstTs = row.ts;
    if (row.ts > lastTs) lastTs = row.ts;
    const symbol = row.update.symbol;
    let s = symbols.get(symbol);
    if (s === undefined) {
      const first = row.trade?.price ?? row.book.bids[0]?.[0] ?? row.book.asks[0]?.[0] ?? 0;
      s = { symbol, firstPrice: first, decimals: 0, sizeDecimals: 0, records: 0, volume: 0 };
      symbols.set(symbol, s);
    }
    s.records++;
    if (row.trade !== null) s.volume += row.trade.size;
    for (const [price, size] of [...row.book.bids, ...row.book.asks, ...(row.trade === null ? [] : [[row.trade.price, row.trade.size] as const])]) {
      s.decimals = Math.max(s.decimals, decimalsOf(price));
      s.sizeDecimals = Math.max(s.sizeDecimals, decimalsOf(size));
    }
  }
  if (records === 0) throw new Error(`nothing to replay: no valid row in ${file}`);
  return { files: [file], symbols, records, firstTs, lastTs, problems };
}

/**
 * The rows from `fromTs` on, each as what a publisher sends for it: an
 * execution's trade, then the row's book update (none when no visible level
 * changed). The first row yielded carries the whole book (an update from an
 * empty book), so a replay starting or seeking there begins with a full book.
 */
export async function* openL2(options: ReplaySourceOptions, fromTs: number): AsyncGenerator<ReplayItem> {
  for await (const row of readL2(options.files[0]!, { symbol: options.symbol, strict: false, fromTs })) {
    const events: PublishEvent[] = [];
    if (row.trade !== null) events.push({ kind: 'trade', trade: row.trade });
    if (row.update.bids.length > 0 || row.update.asks.length > 0) events.push({ kind: 'book', update: row.update });
    yield { ts: row.ts, events };
  }
}
