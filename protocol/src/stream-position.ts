import type { ResumePoint } from './schemas.js';
import { isValidSymbol } from './limits.js';

/** Where a Server-Sent-Events client stands in one symbol's book: its epoch, the last seq it holds, at its depth. */
export interface BookStreamPoint {
  epoch: string;
  seq: number;
  depth: number;
}

/**
 * Encodes the per-symbol resume points of a Server-Sent-Events stream into one
 * event id, so a reconnect with Last-Event-ID resumes every symbol exactly like
 * the Socket.IO `resume` field. Format: `SYM~epoch~seq` per symbol's ticks and
 * `SYM~epoch~seq~bDEPTH` per symbol's book, joined by spaces (an SSE id may hold
 * any character but a newline; symbols and epochs never contain '~' or ' ').
 * A decoder that knows only tick parts skips book parts (they have four fields).
 */
export function encodeStreamPosition(points: ReadonlyMap<string, ResumePoint>, books?: ReadonlyMap<string, BookStreamPoint>): string {
  const parts: string[] = [];
  for (const [symbol, point] of points) parts.push(`${symbol}~${point.epoch}~${point.seq}`);
  if (books !== undefined) for (const [symbol, point] of books) parts.push(`${symbol}~${point.epoch}~${point.seq}~b${point.depth}`);
  return parts.join(' ');
}

/** A seq in an event id: decimal digits only, no leading zero (no sign, blank, exponent, hex or fraction); then a safe integer. */
const SEQ_TEXT = /^(0|[1-9][0-9]{0,15})$/;
/** A book part's depth field: `b` and a decimal from 1 to 9999 without leading zero. */
const DEPTH_TEXT = /^b([1-9][0-9]{0,3})$/;

/** The fields of one part, checked: a valid symbol, an epoch of 1–64 characters, a decimal safe-integer seq. */
function checkedPoint(symbol: string, epoch: string, seqText: string): ResumePoint | null {
  if (!isValidSymbol(symbol) || epoch.length === 0 || epoch.length > 64 || !SEQ_TEXT.test(seqText)) return null;
  const seq = Number(seqText);
  return Number.isSafeInteger(seq) ? { epoch, seq } : null;
}

/**
 * Decodes the tick parts of an id made by encodeStreamPosition; malformed parts
 * are skipped, never thrown and never guessed: a part must be exactly
 * `SYM~epoch~seq` with a decimal seq.
 */
export function decodeStreamPosition(id: string): Map<string, ResumePoint> {
  const points = new Map<string, ResumePoint>();
  if (id.length > 100_000) return points;
  for (const part of id.split(' ')) {
    const fields = part.split('~');
    if (fields.length !== 3) continue;
    const point = checkedPoint(fields[0]!, fields[1]!, fields[2]!);
    if (point !== null) points.set(fields[0]!, point);
  }
  return points;
}

/**
 * Decodes the book parts of an id made by encodeStreamPosition, as strictly as
 * the tick parts: exactly `SYM~epoch~seq~bDEPTH`; anything else is skipped.
 */
export function decodeBookStreamPosition(id: string): Map<string, BookStreamPoint> {
  const points = new Map<string, BookStreamPoint>();
  if (id.length > 100_000) return points;
  for (const part of id.split(' ')) {
    const fields = part.split('~');
    if (fields.length !== 4) continue;
    const point = checkedPoint(fields[0]!, fields[1]!, fields[2]!);
    const depth = DEPTH_TEXT.exec(fields[3]!);
    if (point !== null && depth !== null) points.set(fields[0]!, { ...point, depth: Number(depth[1]) });
  }
  return points;
}
