import { crc32 } from 'node:zlib';

/**
 * The tick log's on-disk format. A segment file starts with SEGMENT_MAGIC and
 * holds frames; a frame is one write (one publish batch or declare):
 *
 *   u32 payload length | u32 CRC-32 of the payload | payload
 *
 * and the payload is a run of entries `u8 kind | u32 body length | body`:
 *   TICK:    u8 symbol length | symbol (ASCII) | f64 seq | the tick's JSON (UTF-8)
 *   DECLARE: JSON of a DeclareEntry (UTF-8)
 *   BOOK:    u8 symbol length | symbol (ASCII) | f64 seq | the accepted book message's JSON (UTF-8)
 * Symbol and seq sit outside the JSON so a start-up fills the tick history
 * without parsing. All integers little-endian. Pure: no I/O.
 */
export const SEGMENT_MAGIC = Buffer.from('TFLOG001', 'latin1');
export const FRAME_HEADER_BYTES = 8;
/** Larger lengths are not ours: a frame is at most one publish batch. */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

export const EntryKind = { TICK: 1, DECLARE: 2, BOOK: 3 } as const;

/** What the log keeps of a declare: enough to replay it exactly (same epoch). */
export interface DeclareEntry {
  symbol: string;
  name: string;
  kind: string;
  currency: string;
  tickSize: number;
  refPrice: number;
  lotSize?: number;
  book?: boolean;
  epoch: string;
  newEpoch: boolean;
}

export type LogEntry =
  | { kind: typeof EntryKind.TICK; symbol: string; seq: number; json: string }
  | { kind: typeof EntryKind.DECLARE; declare: DeclareEntry }
  | { kind: typeof EntryKind.BOOK; symbol: string; seq: number; json: string };

/** Accumulates entries into one frame, reusing its buffer. */
export class FrameBuilder {
  private buf = Buffer.allocUnsafe(64 * 1024);
  private at = FRAME_HEADER_BYTES;
  entries = 0;

  addTick(symbol: string, seq: number, json: string): void {
    this.addKeyed(EntryKind.TICK, symbol, seq, json);
  }

  /** An accepted book snapshot or update (BookPublish JSON). */
  addBook(symbol: string, seq: number, json: string): void {
    this.addKeyed(EntryKind.BOOK, symbol, seq, json);
  }

  private addKeyed(kind: number, symbol: string, seq: number, json: string): void {
    // Worst case UTF-8 is 3 bytes per UTF-16 unit; the symbol is ASCII (P8).
    this.reserve(1 + 4 + 1 + symbol.length + 8 + json.length * 3);
    const buf = this.buf;
    const start = this.at;
    buf[start] = kind;
    let at = start + 5;
    buf[at++] = symbol.length;
    at += buf.write(symbol, at, 'latin1');
    buf.writeDoubleLE(seq, at);
    at += 8;
    at += buf.write(json, at, 'utf8');
    buf.writeUInt32LE(at - start - 5, start + 1);
    this.at = at;
    this.entries++;
  }

  addDeclare(entry: DeclareEntry): void {
    const json = JSON.stringify(entry);
    this.reserve(5 + json.length * 3);
    const start = this.at;
    this.buf[start] = EntryKind.DECLARE;
    const length = this.buf.write(json, start + 5, 'utf8');
    this.buf.writeUInt32LE(length, start + 1);
    this.at = start + 5 + length;
    this.entries++;
  }

  /** The finished frame (a view of the builder's buffer: write it before adding more), or null when empty. */
  take(): Buffer | null {
    if (this.entries === 0) return null;
    const payload = this.buf.subarray(FRAME_HEADER_BYTES, this.at);
    this.buf.writeUInt32LE(payload.length, 0);
    this.buf.writeUInt32LE(crc32(payload), 4);
    const frame = this.buf.subarray(0, this.at);
    this.at = FRAME_HEADER_BYTES;
    this.entries = 0;
    return frame;
  }

  private reserve(bytes: number): void {
    if (this.at + bytes <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + bytes));
    this.buf.copy(next, 0, 0, this.at);
    this.buf = next;
  }
}

/** Where reading a segment stopped short of its end, and why. */
export interface FrameProblem {
  offset: number;
  /** torn: the last frame is incomplete or fails its check with nothing after it (a write cut off); corrupt: anything else. */
  kind: 'torn' | 'corrupt';
  detail: string;
}

/**
 * Calls `onFrame(offset, payload)` for each intact frame of `buf` from `from`;
 * returns the offset after the last intact frame and the problem that stopped it, if any.
 */
export function scanFrames(buf: Buffer, from: number, onFrame: (offset: number, payload: Buffer) => void): { end: number; problem: FrameProblem | null } {
  let at = from;
  while (at < buf.length) {
    if (buf.length - at < FRAME_HEADER_BYTES) {
      return { end: at, problem: { offset: at, kind: 'torn', detail: `${buf.length - at} bytes of a frame header at the end` } };
    }
    const length = buf.readUInt32LE(at);
    const expected = buf.readUInt32LE(at + 4);
    if (length === 0 && expected === 0 && isZero(buf, at)) {
      // A file extended but never written (a crash of the machine): only zeros follow.
      return { end: at, problem: { offset: at, kind: 'torn', detail: `${buf.length - at} zero bytes at the end` } };
    }
    if (length === 0 || length > MAX_FRAME_BYTES) {
      return { end: at, problem: { offset: at, kind: 'corrupt', detail: `impossible frame length ${length}` } };
    }
    const end = at + FRAME_HEADER_BYTES + length;
    if (end > buf.length) {
      return { end: at, problem: { offset: at, kind: 'torn', detail: `frame of ${length} bytes cut off after ${buf.length - at - FRAME_HEADER_BYTES}` } };
    }
    const payload = buf.subarray(at + FRAME_HEADER_BYTES, end);
    if (crc32(payload) !== expected) {
      const kind = end === buf.length ? 'torn' : 'corrupt';
      return { end: at, problem: { offset: at, kind, detail: `CRC mismatch in a frame of ${length} bytes${kind === 'torn' ? ' (the last one)' : ` with ${buf.length - end} bytes after it`}` } };
    }
    onFrame(at, payload);
    at = end;
  }
  return { end: at, problem: null };
}

function isZero(buf: Buffer, from: number): boolean {
  for (let i = from; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

/** The entries of one frame's payload, in order. Throws on a malformed payload (its CRC matched: a bug, not damage). */
export function* readEntries(payload: Buffer): Generator<LogEntry> {
  let at = 0;
  while (at < payload.length) {
    const kind = payload[at]!;
    const length = payload.readUInt32LE(at + 1);
    const body = at + 5;
    const end = body + length;
    if (end > payload.length) throw new Error(`log entry overruns its frame (${end} > ${payload.length})`);
    if (kind === EntryKind.TICK || kind === EntryKind.BOOK) {
      const symbolLength = payload[body]!;
      const symbol = payload.toString('latin1', body + 1, body + 1 + symbolLength);
      const seqAt = body + 1 + symbolLength;
      const seq = payload.readDoubleLE(seqAt);
      yield { kind, symbol, seq, json: payload.toString('utf8', seqAt + 8, end) };
    } else if (kind === EntryKind.DECLARE) {
      yield { kind, declare: JSON.parse(payload.toString('utf8', body, end)) as DeclareEntry };
    } else {
      throw new Error(`unknown log entry kind ${kind}`);
    }
    at = end;
  }
}
