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

/** Decodes an id made by encodeStreamPosition; malformed parts are skipped, never thrown. */
export function decodeStreamPosition(id: string): Map<string, ResumePoint> {
  const points = new Map<string, ResumePoint>();
  if (id.length > 100_000) return points;
  for (const part of id.split(' ')) {
    const [symbol, epoch, seqText] = part.split('~');
    if (symbol === undefined || epoch === undefined || seqText === undefined) continue;
    const seq = Number(seqText);
    if (!isValidSymbol(symbol) || epoch.length === 0 || epoch.length > 64 || !Number.isSafeInteger(seq) || seq < 0) continue;
    points.set(symbol, { epoch, seq });
  }
  return points;
}
