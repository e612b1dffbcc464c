import type { ResumePoint } from './schemas.js';
import { isValidSymbol } from './limits.js';

/**
 * Encodes the per-symbol resume points of a Server-Sent-Events stream into one
 * event id, so a reconnect with Last-Event-ID resumes every symbol exactly like
 * the Socket.IO `resume` field. Format: `SYM~epoch~seq` per symbol, joined by
 * spaces (an SSE id may hold any character but a newline; symbols and epochs
 * never contain '~' or ' ').
 */
export function encodeStreamPosition(points: ReadonlyMap<string, ResumePoint>): string {
  const parts: string[] = [];
  for (const [symbol, point] of points) parts.push(`${symbol}~${point.epoch}~${point.seq}`);
  return parts.join(' ');
}

/** A seq in an event id: decimal digits only, no leading zero (no sign, blank, exponent, hex or fraction); then a safe integer. */
const SEQ_TEXT = /^(0|[1-9][0-9]{0,15})$/;

/**
 * Decodes an id made by encodeStreamPosition; malformed parts are skipped, never
 * thrown and never guessed: a part must be exactly `SYM~epoch~seq` with a decimal seq.
 */
export function decodeStreamPosition(id: string): Map<string, ResumePoint> {
  const points = new Map<string, ResumePoint>();
  if (id.length > 100_000) return points;
  for (const part of id.split(' ')) {
    const fields = part.split('~');
    if (fields.length !== 3) continue;
    const [symbol, epoch, seqText] = fields as [string, string, string];
    if (!isValidSymbol(symbol) || epoch.length === 0 || epoch.length > 64 || !SEQ_TEXT.test(seqText)) continue;
    const seq = Number(seqText);
    if (!Number.isSafeInteger(seq)) continue;
    points.set(symbol, { epoch, seq });
  }
  return points;
}
