import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import {
  formatFromFileName,
  parseCsvHeader,
  parseCsvRow,
  parseNdjsonLine,
  symbolFromFileName,
  TapeProblem,
  type CsvLayout,
  type TapeFormat,
  type TapeRecord,
} from './tape-format.js';

export interface TapeReadOptions {
  /** --symbol: the symbol of rows that carry none (before the file name's). */
  symbol?: string | null;
  /** --strict: the first problem throws instead of being reported and skipped. */
  strict: boolean;
  /** Receives each skipped problem (default: ignore; the pre-scan reports, later passes stay quiet). */
  onProblem?: (problem: TapeProblem) => void;
}

/** A record with where it came from, for messages and stable merging. */
export interface SourcedRecord extends TapeRecord {
  /** Index of the file in the replay's file list. */
  source: number;
  line: number;
}

/**
 * Streams one tape file line by line (never the whole file in memory),
 * yielding valid records in file order. A malformed row, a ts lower than the
 * previous row's, or (with strict) an unknown column is a TapeProblem: thrown
 * in strict mode, otherwise passed to onProblem and skipped. A missing or
 * unreadable file and a bad header always throw.
 */
export async function* readTape(file: string, source: number, options: TapeReadOptions): AsyncGenerator<SourcedRecord> {
  try {
    await access(file);
  } catch {
    throw new TapeProblem('missing-file', file, null, 'file not found or not readable');
  }
  const report = (problem: TapeProblem) => {
    if (options.strict) throw problem;
    options.onProblem?.(problem);
  };
  const fallback = { symbol: options.symbol ?? symbolFromFileName(file) };
  let format: TapeFormat | null = formatFromFileName(file);
  let layout: CsvLayout | null = null;
  let lastTs = -Infinity;
  let lineNo = 0;
  const unknownSeen = new Set<string>();
  const input = createReadStream(file, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const raw of lines) {
      lineNo++;
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line.trim() === '') continue;
      if (format === null) format = line.trimStart().startsWith('{') ? 'ndjson' : 'csv';
      let record: TapeRecord;
      if (format === 'csv') {
        if (layout === null) {
          layout = parseCsvHeader(line, file, lineNo);
          if (layout.unknown.length > 0) {
            report(new TapeProblem('unknown-column', file, lineNo, `unknown column(s) ${layout.unknown.map((c) => `'${c}'`).join(', ')} ignored (known: ts, price, size, bid, ask, symbol)`));
          }
          continue;
        }
        const parsed = parseCsvRow(line, layout, fallback, file, lineNo);
        if (parsed instanceof TapeProblem) {
          report(parsed);
          continue;
        }
        record = parsed;
      } else {
        const parsed = parseNdjsonLine(line, fallback, file, lineNo);
        if (parsed instanceof TapeProblem) {
          report(parsed);
          continue;
        }
        const fresh = parsed.unknown.filter((k) => !unknownSeen.has(k));
        if (fresh.length > 0) {
          for (const k of fresh) unknownSeen.add(k);
          report(new TapeProblem('unknown-column', file, lineNo, `unknown field(s) ${fresh.map((c) => `'${c}'`).join(', ')} ignored`));
        }
        record = parsed.record;
      }
      if (record.ts < lastTs) {
        report(new TapeProblem('non-monotonic-ts', file, lineNo, `ts ${new Date(record.ts).toISOString()} is before the previous row's ${new Date(lastTs).toISOString()}`));
        continue;
      }
      lastTs = record.ts;
      yield { ...record, source, line: lineNo };
    }
  } finally {
    lines.close();
    input.destroy();
  }
  if (format === 'csv' && layout === null) throw new TapeProblem('bad-header', file, null, 'the file is empty: expected a header line ts,price,size[,bid,ask,symbol]');
}
