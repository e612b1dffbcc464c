import { isValidSymbol, type Tick } from '@tickfeed/protocol';

/** One trade of a recorded tape, before it gets a seq; ts is the recorded event time, epoch ms (kept as recorded). */
export type TapeRecord = Omit<Tick, 'seq'>;

export type TapeProblemKind = 'missing-file' | 'bad-header' | 'unknown-column' | 'malformed-row' | 'non-monotonic-ts' | 'book-mismatch';

/** A count of zero for every kind of tape problem, for a scan to add to. */
export function noTapeProblems(): Record<TapeProblemKind, number> {
  return { 'missing-file': 0, 'bad-header': 0, 'unknown-column': 0, 'malformed-row': 0, 'non-monotonic-ts': 0, 'book-mismatch': 0 };
}

/** A problem in an input file, always naming the file and, for rows, the 1-based line. */
export class TapeProblem extends Error {
  override name = 'TapeProblem';

  constructor(
    readonly kind: TapeProblemKind,
    readonly file: string,
    readonly line: number | null,
    readonly detail: string,
  ) {
    super(`${file}${line === null ? '' : `:${line}`}: ${detail}`);
  }
}

export type TapeFormat = 'csv' | 'ndjson';

/** Columns a CSV tape may have: ts, price and size are required. */
export const CSV_COLUMNS = ['ts', 'price', 'size', 'bid', 'ask', 'symbol'] as const;
type Column = (typeof CSV_COLUMNS)[number];

/** Where each known column sits in a CSV row. */
export interface CsvLayout {
  index: Record<Column, number>;
  width: number;
  /** Header names that are not known columns (ignored unless --strict). */
  unknown: string[];
}

/** Splits one CSV line; fields may be double-quoted ("" is a quote inside quotes). */
export function splitCsvLine(line: string): string[] {
  if (line.indexOf('"') < 0) return line.split(',');
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"') {
        if (line[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else field += c;
  }
  fields.push(field);
  return fields;
}

/** Reads a CSV header line; throws a TapeProblem when a required column is missing or repeated. */
export function parseCsvHeader(line: string, file: string, lineNo: number): CsvLayout {
  const names = splitCsvLine(stripBom(line)).map((n) => n.trim().toLowerCase());
  const index = { ts: -1, price: -1, size: -1, bid: -1, ask: -1, symbol: -1 } as Record<Column, number>;
  const unknown: string[] = [];
  names.forEach((name, i) => {
    if ((CSV_COLUMNS as readonly string[]).includes(name)) {
      const col = name as Column;
      if (index[col] >= 0) throw new TapeProblem('bad-header', file, lineNo, `column '${name}' appears twice`);
      index[col] = i;
    } else unknown.push(name);
  });
  for (const required of ['ts', 'price', 'size'] as const) {
    if (index[required] < 0) {
      throw new TapeProblem('bad-header', file, lineNo, `the header has no '${required}' column (header: ${names.join(',')}; need ts,price,size[,bid,ask,symbol])`);
    }
  }
  if ((index.bid < 0) !== (index.ask < 0)) {
    throw new TapeProblem('bad-header', file, lineNo, `the header has '${index.bid < 0 ? 'ask' : 'bid'}' without '${index.bid < 0 ? 'bid' : 'ask'}'`);
  }
  return { index, width: names.length, unknown };
}

const EPOCH_MS = /^\d{1,16}(\.\d+)?$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * A timestamp as epoch ms: ISO-8601 with a zone (`2012-06-21T13:30:00.017Z`,
 * fractions beyond ms are cut) or epoch milliseconds (`1340285400017`).
 * Returns null when it is neither.
 */
export function parseTimestamp(text: string): number | null {
  const t = text.trim();
  if (EPOCH_MS.test(t)) return Number(t);
  if (!ISO_TIME.test(t)) return null;
  // Date.parse takes at most 3 fraction digits reliably: cut (not round) the rest.
  const cut = t.replace(/(\.\d{3})\d+/, '$1');
  const ms = Date.parse(cut);
  return Number.isFinite(ms) ? ms : null;
}

function parseNumber(text: string | undefined): number | null {
  if (text === undefined) return null;
  const t = text.trim();
  if (t === '') return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

/** Where a record's symbol comes from when the row does not say. */
export interface SymbolDefault {
  /** --symbol, or the file name's part before the first '-'; null when neither gives a valid symbol. */
  symbol: string | null;
}

/** Parses one CSV data row; returns the record or a problem (never throws). */
export function parseCsvRow(line: string, layout: CsvLayout, fallback: SymbolDefault, file: string, lineNo: number): TapeRecord | TapeProblem {
  const fields = splitCsvLine(line);
  const bad = (detail: string) => new TapeProblem('malformed-row', file, lineNo, detail);
  if (fields.length !== layout.width) return bad(`expected ${layout.width} fields, found ${fields.length}`);
  const { index } = layout;
  const tsText = fields[index.ts]!;
  const ts = parseTimestamp(tsText);
  if (ts === null) return bad(`ts '${clip(tsText)}' is neither ISO-8601 with a zone nor epoch milliseconds`);
  let symbol = fallback.symbol;
  if (index.symbol >= 0) {
    const s = fields[index.symbol]!.trim();
    if (s !== '') symbol = s;
  }
  return finishRecord(
    symbol,
    ts,
    fields[index.price],
    fields[index.size],
    index.bid >= 0 ? fields[index.bid] : undefined,
    index.ask >= 0 ? fields[index.ask] : undefined,
    bad,
  );
}

const NDJSON_FIELDS = new Set(['symbol', 'seq', 'ts', 'price', 'size', 'bid', 'ask']);

/**
 * Parses one NDJSON line: an object in the wire format (`seq` is ignored: the
 * replay numbers ticks itself). `ts` may be epoch ms or an ISO string.
 * Unknown fields are reported in `unknown` (ignored unless --strict).
 */
export function parseNdjsonLine(
  line: string,
  fallback: SymbolDefault,
  file: string,
  lineNo: number,
): { record: TapeRecord; unknown: string[] } | TapeProblem {
  const bad = (detail: string) => new TapeProblem('malformed-row', file, lineNo, detail);
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return bad('not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad('a line must be a JSON object');
  const o = value as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !NDJSON_FIELDS.has(k));
  let ts: number | null = null;
  if (typeof o.ts === 'number' && Number.isFinite(o.ts) && o.ts >= 0) ts = o.ts;
  else if (typeof o.ts === 'string') ts = parseTimestamp(o.ts);
  if (ts === null) return bad(`ts must be epoch ms or an ISO-8601 string with a zone`);
  let symbol = fallback.symbol;
  if (o.symbol !== undefined) {
    if (typeof o.symbol !== 'string') return bad('symbol must be a string');
    symbol = o.symbol;
  }
  const text = (v: unknown): string | undefined => (typeof v === 'number' ? String(v) : typeof v === 'string' ? v : undefined);
  if (o.price !== undefined && typeof o.price !== 'number' && typeof o.price !== 'string') return bad('price must be a number');
  const result = finishRecord(symbol, ts, text(o.price), text(o.size), text(o.bid), text(o.ask), bad);
  return result instanceof TapeProblem ? result : { record: result, unknown };
}

function finishRecord(
  symbol: string | null,
  ts: number,
  priceText: string | undefined,
  sizeText: string | undefined,
  bidText: string | undefined,
  askText: string | undefined,
  bad: (detail: string) => TapeProblem,
): TapeRecord | TapeProblem {
  if (symbol === null) return bad('no symbol: add a symbol column, pass --symbol, or name the file SYMBOL-....csv');
  if (!isValidSymbol(symbol)) return bad(`symbol '${clip(symbol)}' must match ^[A-Z0-9][A-Z0-9._-]{0,19}$`);
  const price = parseNumber(priceText);
  if (price === null || price <= 0) return bad(`price '${clip(priceText ?? '')}' must be a number > 0`);
  const size = parseNumber(sizeText);
  if (size === null || size < 0) return bad(`size '${clip(sizeText ?? '')}' must be a number >= 0`);
  const hasBid = bidText !== undefined && bidText.trim() !== '';
  const hasAsk = askText !== undefined && askText.trim() !== '';
  if (hasBid !== hasAsk) return bad(`${hasBid ? 'ask' : 'bid'} is empty while ${hasBid ? 'bid' : 'ask'} is set`);
  // Without a quote, the trade is its own quote: bid = ask = price.
  let bid = price;
  let ask = price;
  if (hasBid) {
    const b = parseNumber(bidText);
    const a = parseNumber(askText);
    if (b === null || b <= 0) return bad(`bid '${clip(bidText!)}' must be a number > 0`);
    if (a === null || a <= 0) return bad(`ask '${clip(askText!)}' must be a number > 0`);
    if (b > a) return bad(`crossed quote: bid ${b} > ask ${a}`);
    bid = b;
    ask = a;
  }
  return { symbol, ts, price, size, bid, ask };
}

/** The symbol a file name implies: its base name's part before the first '-', upper-cased, if there is one and it is valid. */
export function symbolFromFileName(path: string): string | null {
  const base = path.split(/[\\/]/).pop() ?? '';
  const dash = base.indexOf('-');
  if (dash <= 0) return null;
  const stem = base.slice(0, dash).toUpperCase();
  return isValidSymbol(stem) ? stem : null;
}

/** The format of a tape from its name: .csv is CSV; .ndjson, .jsonl and .json are NDJSON; otherwise null. */
export function formatFromFileName(path: string): TapeFormat | null {
  const lower = path.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.ndjson') || lower.endsWith('.jsonl') || lower.endsWith('.json')) return 'ndjson';
  return null;
}

function stripBom(line: string): string {
  return line.charCodeAt(0) === 0xfeff ? line.slice(1) : line;
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
