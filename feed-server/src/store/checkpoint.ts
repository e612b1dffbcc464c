import { closeSync, existsSync, fdatasyncSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { INTERVALS, type BookSides, type Candle, type Interval, type SessionStats, type SymbolMeta } from '@tickfeed/protocol';
import type { LogPosition } from './tick-log.js';

/** A symbol's order book at a checkpoint: where its held history starts (rebuilt from the log) and, should that log be gone, the book itself. */
export interface BookCheckpoint {
  seq: number;
  ts: number;
  sides: BookSides;
  /** The book before its oldest held update; the log's book messages from `from` on rebuild the book and its history. */
  baseSeq: number;
  baseSides: BookSides;
  /** Position of the frame holding update baseSeq + 1 (null: no update held). */
  from: LogPosition | null;
}

/** One symbol's state at a checkpoint. */
export interface SymbolCheckpoint {
  meta: SymbolMeta;
  refPrice: number;
  epoch: string;
  stats: SessionStats;
  candles: Record<Interval, Candle[]>;
  /** Where the log's first tick of the symbol's history ring is (null: the ring is empty). */
  ringStart: LogPosition | null;
  /** Sparse (seq, position) index of the symbol's ticks in the log, for range reads by seq. */
  sampleSeqs: number[];
  samplePositions: LogPosition[];
  /** Present for a symbol with an order book. */
  book?: BookCheckpoint;
}

/** The market state as of a log position: start-up reads this and replays only the log after it. */
export interface Checkpoint {
  position: LogPosition;
  takenAt: number;
  symbols: SymbolCheckpoint[];
}

const MAGIC = Buffer.from('TFCKPT01', 'latin1');
const FILE = 'checkpoint.bin';

/**
 * Binary on purpose: the candle windows are most of a checkpoint (up to
 * CANDLES_PER_INTERVAL per interval and symbol) and copying them into a
 * Float64Array takes milliseconds where JSON would stall delivery.
 *   magic | u32 JSON length | JSON (everything but candles) | f64 × 6 per candle | u32 CRC-32 of all before
 */
export function encodeCheckpoint(checkpoint: Checkpoint): Buffer {
  let candleCount = 0;
  const head = {
    position: checkpoint.position,
    takenAt: checkpoint.takenAt,
    symbols: checkpoint.symbols.map((s) => {
      const counts = INTERVALS.map((i) => s.candles[i].length);
      for (const n of counts) candleCount += n;
      const { candles: _candles, ...rest } = s;
      return { ...rest, candleCounts: counts };
    }),
  };
  const json = Buffer.from(JSON.stringify(head), 'utf8');
  const values = new Float64Array(candleCount * 6);
  let at = 0;
  for (const s of checkpoint.symbols) {
    for (const interval of INTERVALS) {
      for (const c of s.candles[interval]) {
        values[at++] = c.time;
        values[at++] = c.open;
        values[at++] = c.high;
        values[at++] = c.low;
        values[at++] = c.close;
        values[at++] = c.volume;
      }
    }
  }
  const out = Buffer.allocUnsafe(MAGIC.length + 4 + json.length + values.byteLength + 4);
  MAGIC.copy(out, 0);
  out.writeUInt32LE(json.length, MAGIC.length);
  json.copy(out, MAGIC.length + 4);
  // Little-endian float64s: the byte order of every platform Node runs on here; checked by the CRC and the magic.
  Buffer.from(values.buffer, values.byteOffset, values.byteLength).copy(out, MAGIC.length + 4 + json.length);
  out.writeUInt32LE(crc32(out.subarray(0, out.length - 4)), out.length - 4);
  return out;
}

export function decodeCheckpoint(buf: Buffer): Checkpoint {
  if (buf.length < MAGIC.length + 8 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error('not a checkpoint file (bad header)');
  if (crc32(buf.subarray(0, buf.length - 4)) !== buf.readUInt32LE(buf.length - 4)) throw new Error('checkpoint CRC mismatch');
  const jsonLength = buf.readUInt32LE(MAGIC.length);
  const head = JSON.parse(buf.toString('utf8', MAGIC.length + 4, MAGIC.length + 4 + jsonLength)) as Omit<Checkpoint, 'symbols'> & {
    symbols: (Omit<SymbolCheckpoint, 'candles'> & { candleCounts: number[] })[];
  };
  const dataStart = MAGIC.length + 4 + jsonLength;
  const values = new Float64Array(buf.buffer.slice(buf.byteOffset + dataStart, buf.byteOffset + buf.length - 4));
  let at = 0;
  const symbols = head.symbols.map(({ candleCounts, ...rest }) => {
    const candles = {} as Record<Interval, Candle[]>;
    INTERVALS.forEach((interval, i) => {
      const list: Candle[] = [];
      for (let n = 0; n < (candleCounts[i] ?? 0); n++) {
        list.push({ time: values[at]!, open: values[at + 1]!, high: values[at + 2]!, low: values[at + 3]!, close: values[at + 4]!, volume: values[at + 5]! });
        at += 6;
      }
      candles[interval] = list;
    });
    return { ...rest, candles };
  });
  if (at !== values.length) throw new Error('checkpoint candle data does not match its counts');
  return { position: head.position, takenAt: head.takenAt, symbols };
}

/** The checkpoint in `dir`, or null when none was taken yet. Throws when it exists but is damaged. */
export function readCheckpoint(dir: string): Checkpoint | null {
  const file = join(dir, FILE);
  if (!existsSync(file)) return null;
  try {
    return decodeCheckpoint(readFileSync(file));
  } catch (error) {
    throw new Error(`${file} is damaged (${(error as Error).message}); refusing to start on it: move the data directory away (or restore a backup)`);
  }
}

/** Replaces the checkpoint atomically: a crash leaves the old one or the new one, never a mix. */
export function writeCheckpoint(dir: string, data: Buffer): void {
  const file = join(dir, FILE);
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, data);
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  const dirFd = openSync(dirname(file), 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

export function checkpointFile(dir: string): string {
  return join(dir, FILE);
}
