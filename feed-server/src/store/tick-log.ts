import {
  closeSync,
  fdatasync,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { SEGMENT_MAGIC, scanFrames, type FrameProblem } from './frame-codec.js';

/**
 * A place in the log: segment number × 2^32 + byte offset, so positions
 * compare as plain numbers (segments stay far below 4 GB).
 */
export type LogPosition = number;
const SEGMENT_SPAN = 2 ** 32;
export const positionOf = (segment: number, offset: number): LogPosition => segment * SEGMENT_SPAN + offset;
export const segmentOf = (position: LogPosition): number => Math.floor(position / SEGMENT_SPAN);
export const offsetOf = (position: LogPosition): number => position % SEGMENT_SPAN;

/** A new segment is started once the current one holds this many bytes. */
export const SEGMENT_BYTES = 64 * 1024 * 1024;

const SEGMENT_NAME = /^ticks-(\d{8})\.log$/;
const segmentName = (n: number) => `ticks-${String(n).padStart(8, '0')}.log`;

/** A damaged place found while reading the log. */
export interface LogProblem extends FrameProblem {
  segment: number;
  file: string;
}

/**
 * The append-only tick log: numbered segment files of CRC-checked frames
 * (frame-codec.ts). One writer appends whole frames with one write(2) each;
 * `sync` is the group commit: one fdatasync covers every frame written
 * before it started.
 */
export class TickLog {
  private fd = -1;
  private segment: number;
  private size = 0;
  private syncing: Promise<void> | null = null;
  private waiting: { resolve: () => void; reject: (e: Error) => void }[] = [];
  /** Descriptors of finished segments, closed once a sync that may still use them is over. */
  private retired: number[] = [];

  private constructor(readonly dir: string, private segments: number[]) {
    this.segment = segments.at(-1) ?? 0;
  }

  /** Lists the segments of `dir` (which must exist); nothing is opened for writing yet. */
  static open(dir: string): TickLog {
    const segments = readdirSync(dir)
      .map((name) => SEGMENT_NAME.exec(name)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    return new TickLog(dir, segments);
  }

  file(segment: number): string {
    return join(this.dir, segmentName(segment));
  }

  /** Position just after the last frame written (or of the log's start when empty). */
  get end(): LogPosition {
    return positionOf(this.segment, this.size);
  }

  get start(): LogPosition {
    return positionOf(this.segments[0] ?? this.segment, 0);
  }

  /**
   * Reads every intact frame from `from` on, in order. A torn frame at the end of the last
   * segment is reported as such (and cut when `repair`); any other damage throws: the log
   * cannot be trusted past it and silently dropping acknowledged ticks is not an option.
   */
  scan(from: LogPosition, onFrame: (position: LogPosition, payload: Buffer) => void, options: { repair: boolean }): LogProblem | null {
    const fromSegment = Math.max(segmentOf(from), this.segments[0] ?? 0);
    for (let i = 0; i < this.segments.length; i++) {
      const segment = this.segments[i]!;
      if (segment < fromSegment) continue;
      const file = this.file(segment);
      const buf = readFileSync(file);
      const last = i === this.segments.length - 1;
      if (buf.length < SEGMENT_MAGIC.length || !buf.subarray(0, SEGMENT_MAGIC.length).equals(SEGMENT_MAGIC)) {
        if (last && SEGMENT_MAGIC.subarray(0, buf.length).equals(buf.subarray(0, SEGMENT_MAGIC.length))) {
          // Created but its header not fully written: nothing in it.
          if (options.repair) this.writeHeader(file);
          continue;
        }
        throw new Error(`${file} is not a tick log segment (bad header); move it away to start`);
      }
      const start = segment === segmentOf(from) ? Math.max(offsetOf(from), SEGMENT_MAGIC.length) : SEGMENT_MAGIC.length;
      const { end, problem } = scanFrames(buf, start, (offset, payload) => onFrame(positionOf(segment, offset), payload));
      if (problem === null) continue;
      const found: LogProblem = { ...problem, segment, file };
      if (problem.kind === 'corrupt' || !last) {
        throw new Error(`the tick log is damaged at ${file} offset ${problem.offset}: ${problem.detail}. Refusing to start on it; move the data directory away (or restore a backup)`);
      }
      if (options.repair) truncateSync(file, end);
      return found;
    }
    return null;
  }

  /** Opens the last segment (or a first one) for appending. */
  openForAppend(): void {
    if (this.segments.length === 0) this.startSegment(0);
    else {
      this.fd = openSync(this.file(this.segment), 'a');
      this.size = fstatSync(this.fd).size;
    }
  }

  /**
   * Appends one frame with one write; returns its position. On a failed write the segment is cut
   * back to where it was, so a half-written frame never sits in front of later ones.
   */
  append(frame: Buffer): LogPosition {
    if (this.size >= SEGMENT_BYTES) this.rotate();
    const at = positionOf(this.segment, this.size);
    try {
      let written = 0;
      while (written < frame.length) written += writeSync(this.fd, frame, written, frame.length - written);
    } catch (error) {
      try {
        ftruncateSync(this.fd, this.size);
      } catch {
        // The write error is what the caller needs to see.
      }
      throw error;
    }
    this.size += frame.length;
    return at;
  }

  /** Resolves once an fdatasync that began after this call has finished: everything appended before is on disk. */
  sync(): Promise<void> {
    const done = new Promise<void>((resolve, reject) => this.waiting.push({ resolve, reject }));
    if (this.syncing === null) this.syncing = this.runSyncs();
    return done;
  }

  private async runSyncs(): Promise<void> {
    while (this.waiting.length > 0) {
      const batch = this.waiting;
      this.waiting = [];
      const fd = this.fd;
      try {
        await new Promise<void>((resolve, reject) => fdatasync(fd, (error) => (error === null ? resolve() : reject(error))));
        for (const w of batch) w.resolve();
      } catch (error) {
        for (const w of batch) w.reject(error as Error);
      }
    }
    this.syncing = null;
    for (const fd of this.retired.splice(0)) closeSync(fd);
  }

  /** Deletes whole segments last written before `cutoffMs`, never one holding `keepFrom` or later. Returns the bytes freed. */
  dropBefore(cutoffMs: number, keepFrom: LogPosition): number {
    let freed = 0;
    while (this.segments.length > 1) {
      const oldest = this.segments[0]!;
      if (oldest >= segmentOf(keepFrom) || oldest === this.segment) break;
      const file = this.file(oldest);
      const stat = statSync(file);
      if (stat.mtimeMs >= cutoffMs) break;
      unlinkSync(file);
      freed += stat.size;
      this.segments.shift();
    }
    return freed;
  }

  /** Bytes of every segment. */
  diskBytes(): number {
    let total = 0;
    for (const segment of this.segments) {
      try {
        total += segment === this.segment && this.fd >= 0 ? this.size : statSync(this.file(segment)).size;
      } catch {
        // Deleted meanwhile.
      }
    }
    return total;
  }

  /**
   * Reads frames from `from` up to `to` (exclusive) without blocking the event loop, calling
   * `onFrame` until it returns false. For range reads while the server runs.
   */
  async read(from: LogPosition, to: LogPosition, onFrame: (position: LogPosition, payload: Buffer) => boolean): Promise<void> {
    for (const segment of [...this.segments]) {
      if (segment < segmentOf(from) || positionOf(segment, 0) >= to) continue;
      let handle;
      try {
        handle = await open(this.file(segment), 'r');
      } catch {
        continue; // dropped by retention meanwhile
      }
      try {
        const limit = segment === segmentOf(to) ? offsetOf(to) : (await handle.stat()).size;
        let offset = segment === segmentOf(from) ? Math.max(offsetOf(from), SEGMENT_MAGIC.length) : SEGMENT_MAGIC.length;
        const header = Buffer.allocUnsafe(8);
        while (offset < limit) {
          await handle.read(header, 0, 8, offset);
          const length = header.readUInt32LE(0);
          const payload = Buffer.allocUnsafe(length);
          await handle.read(payload, 0, length, offset + 8);
          if (!onFrame(positionOf(segment, offset), payload)) return;
          offset += 8 + length;
        }
      } finally {
        await handle.close();
      }
    }
  }

  close(): void {
    if (this.fd < 0) return;
    try {
      fdatasyncSync(this.fd);
    } finally {
      closeSync(this.fd);
      this.fd = -1;
    }
  }

  private rotate(): void {
    fdatasyncSync(this.fd);
    if (this.syncing !== null) this.retired.push(this.fd);
    else closeSync(this.fd);
    this.startSegment(this.segment + 1);
  }

  private startSegment(n: number): void {
    const file = this.file(n);
    this.writeHeader(file);
    this.fd = openSync(file, 'a');
    this.segment = n;
    this.size = SEGMENT_MAGIC.length;
    if (this.segments.at(-1) !== n) this.segments.push(n);
  }

  private writeHeader(file: string): void {
    const fd = openSync(file, 'w');
    try {
      writeSync(fd, SEGMENT_MAGIC);
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}
