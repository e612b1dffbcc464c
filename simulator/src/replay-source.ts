import { basename } from 'node:path';
import { decimalsOf } from './price-grid.js';
import { TapeProblem, noTapeProblems, type TapeProblemKind } from './tape-format.js';
import { mergeByTs } from './tape-merge.js';
import { readTape, type SourcedRecord } from './tape-reader.js';

export interface ReplaySourceOptions {
  files: readonly string[];
  /** --symbol */
  symbol: string | null;
  /** --strict */
  strict: boolean;
}

/** What the pre-scan learned about each symbol. */
export interface TapeSymbol {
  symbol: string;
  firstPrice: number;
  /** Most decimals of any price, bid or ask of the symbol (for its tick size). */
  decimals: number;
  /** Most decimals of any size of the symbol (for its lot size). */
  sizeDecimals: number;
  records: number;
  volume: number;
}

/** The result of reading every file once before playing. */
export interface TapeIndex {
  /** Files that can be read, in the order given (missing ones are dropped unless strict). */
  files: string[];
  symbols: Map<string, TapeSymbol>;
  records: number;
  firstTs: number;
  lastTs: number;
  /** Skipped problems by kind. */
  problems: Record<TapeProblemKind, number>;
}

/**
 * Reads every file once, streaming: validates each row (strict: the first
 * problem throws), and collects the symbols, their first price and the time
 * range, so the replay can declare its symbols and clamp seeks before it
 * publishes anything. Each problem goes to onProblem with file and line.
 */
export async function scanTapes(options: ReplaySourceOptions, onProblem: (problem: TapeProblem) => void): Promise<TapeIndex> {
  const problems = noTapeProblems();
  const count = (p: TapeProblem) => {
    problems[p.kind]++;
    onProblem(p);
  };
  const files: string[] = [];
  const symbols = new Map<string, TapeSymbol>();
  let records = 0;
  let firstTs = Infinity;
  let lastTs = -Infinity;
  for (const file of options.files) {
    try {
      for await (const r of readTape(file, files.length, { symbol: options.symbol, strict: options.strict, onProblem: count })) {
        records++;
        if (r.ts < firstTs) firstTs = r.ts;
        if (r.ts > lastTs) lastTs = r.ts;
        let s = symbols.get(r.symbol);
        if (s === undefined) {
          s = { symbol: r.symbol, firstPrice: r.price, decimals: 0, sizeDecimals: 0, records: 0, volume: 0 };
          symbols.set(r.symbol, s);
        }
        s.records++;
        s.volume += r.size;
        const d = Math.max(decimalsOf(r.price), decimalsOf(r.bid), decimalsOf(r.ask));
        if (d > s.decimals) s.decimals = d;
        const sd = decimalsOf(r.size);
        if (sd > s.sizeDecimals) s.sizeDecimals = sd;
      }
      files.push(file);
    } catch (error) {
      if (!(error instanceof TapeProblem) || options.strict || error.kind !== 'missing-file') throw error;
      count(error);
    }
  }
  if (records === 0) {
    throw new Error(`nothing to replay: no valid trade in ${options.files.join(', ')}`);
  }
  return { files, symbols, records, firstTs, lastTs, problems };
}

/**
 * The merged record stream of the scanned files from `fromTs` on (records
 * with an earlier ts are read and skipped). Problems were reported by the
 * scan, so this pass skips bad rows quietly.
 */
export function openTapes(index: TapeIndex, options: ReplaySourceOptions, fromTs: number): AsyncGenerator<SourcedRecord> {
  const streams = index.files.map((file, i) => skipBefore(readTape(file, i, { symbol: options.symbol, strict: false }), fromTs));
  return mergeByTs(streams);
}

async function* skipBefore(stream: AsyncGenerator<SourcedRecord>, fromTs: number): AsyncGenerator<SourcedRecord> {
  for await (const r of stream) if (r.ts >= fromTs) yield r;
}

/** A short description of the files for FeedStatus.source (at most 500 characters). */
export function describeFiles(files: readonly string[]): string {
  const text = `replay of ${files.map((f) => basename(f)).join(', ')}`;
  return text.length > 500 ? `${text.slice(0, 497)}...` : text;
}

/** One-item lookahead over an async iterator: peek without consuming. */
export class Peekable<T> {
  private head: T | null = null;
  private done = false;

  constructor(private readonly iterator: AsyncIterator<T>) {}

  async peek(): Promise<T | null> {
    if (this.head === null && !this.done) {
      const r = await this.iterator.next();
      if (r.done === true) this.done = true;
      else this.head = r.value;
    }
    return this.head;
  }

  /** Consumes the peeked value. */
  take(): void {
    this.head = null;
  }

  async close(): Promise<void> {
    this.done = true;
    this.head = null;
    await this.iterator.return?.(undefined);
  }
}
