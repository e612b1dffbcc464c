import { closeSync, existsSync, fdatasyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Candle, Interval } from '@tickfeed/protocol';

/** Intervals whose candles outlive the in-memory window (shorter ones would cost far more disk than a chart pages back through). */
export const ARCHIVED_INTERVALS: readonly Interval[] = ['1m', '5m', '15m', '1h', '1d'];

/** time, open, high, low, close, volume: float64 each. */
export const CANDLE_RECORD_BYTES = 48;

/**
 * Candles that left the in-memory window, one file of fixed-size records per
 * symbol and interval (candles/<SYMBOL>/<interval>.bin), ascending by time, so
 * a page before a time is a binary search and one read. Only candles no
 * longer held in memory are written, and those never change again (P3).
 */
export class CandleArchive {
  private readonly pending = new Map<string, Candle[]>();
  private readonly lastTimes = new Map<string, number>();

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  /** A candle that left the window; written at the next `writePending`. */
  queue(symbol: string, interval: Interval, candle: Candle): void {
    const key = `${symbol}/${interval}`;
    let list = this.pending.get(key);
    if (list === undefined) this.pending.set(key, (list = []));
    list.push({ ...candle });
  }

  /** Appends and fdatasyncs every queued candle newer than its file's last one (so a replay after a crash adds nothing twice). */
  writePending(): void {
    for (const [key, candles] of this.pending) {
      const [symbol, interval] = key.split('/') as [string, Interval];
      let last = this.lastTime(symbol, interval);
      const fresh = candles.filter((c) => {
        if (c.time <= last) return false;
        last = c.time;
        return true;
      });
      if (fresh.length === 0) continue;
      mkdirSync(join(this.dir, symbol), { recursive: true });
      const fd = openSync(this.file(symbol, interval), 'a');
      try {
        writeSync(fd, encodeCandles(fresh));
        fdatasyncSync(fd);
      } finally {
        closeSync(fd);
      }
      this.lastTimes.set(key, last);
    }
    this.pending.clear();
  }

  /** A new epoch: the symbol's archived candles belong to the old one. */
  reset(symbol: string): void {
    for (const interval of ARCHIVED_INTERVALS) {
      this.pending.delete(`${symbol}/${interval}`);
      this.lastTimes.set(`${symbol}/${interval}`, -Infinity);
    }
    rmSync(join(this.dir, symbol), { recursive: true, force: true });
  }

  lastTime(symbol: string, interval: Interval): number {
    const key = `${symbol}/${interval}`;
    let last = this.lastTimes.get(key);
    if (last === undefined) {
      last = -Infinity;
      const file = this.file(symbol, interval);
      if (existsSync(file)) {
        const buf = readFileSync(file);
        const whole = buf.length - (buf.length % CANDLE_RECORD_BYTES);
        if (whole > 0) last = buf.readDoubleLE(whole - CANDLE_RECORD_BYTES);
      }
      this.lastTimes.set(key, last);
    }
    return last;
  }

  /** The newest `limit` archived candles with time < before, ascending. */
  async before(symbol: string, interval: Interval, before: number, limit: number): Promise<Candle[]> {
    if (!ARCHIVED_INTERVALS.includes(interval) || limit <= 0) return [];
    // Candles that left the window since the last checkpoint are not in the file yet, and are the newest.
    const queued = (this.pending.get(`${symbol}/${interval}`) ?? []).filter((c) => c.time < before && c.time > this.lastTime(symbol, interval));
    const fromFile = queued.length >= limit ? [] : await this.readBefore(symbol, interval, Math.min(before, queued[0]?.time ?? before), limit - queued.length);
    return [...fromFile, ...queued.map((c) => ({ ...c }))].slice(-limit);
  }

  private async readBefore(symbol: string, interval: Interval, before: number, limit: number): Promise<Candle[]> {
    let handle;
    try {
      handle = await open(this.file(symbol, interval), 'r');
    } catch {
      return [];
    }
    try {
      const count = Math.floor((await handle.stat()).size / CANDLE_RECORD_BYTES);
      const time = Buffer.allocUnsafe(8);
      let lo = 0;
      let hi = count;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        await handle.read(time, 0, 8, mid * CANDLE_RECORD_BYTES);
        if (time.readDoubleLE(0) < before) lo = mid + 1;
        else hi = mid;
      }
      const first = Math.max(0, lo - limit);
      const buf = Buffer.allocUnsafe((lo - first) * CANDLE_RECORD_BYTES);
      if (buf.length > 0) await handle.read(buf, 0, buf.length, first * CANDLE_RECORD_BYTES);
      return decodeCandles(buf);
    } finally {
      await handle.close();
    }
  }

  /**
   * Drops archived candles more than `keepMs` older than each file's newest one (not the wall clock:
   * a replayed tape of an old year keeps its candles); returns the bytes freed.
   */
  trim(keepMs: number): number {
    let freed = 0;
    for (const symbol of this.symbols()) {
      for (const interval of ARCHIVED_INTERVALS) {
        const file = this.file(symbol, interval);
        if (!existsSync(file)) continue;
        const buf = readFileSync(file);
        const whole = buf.length - (buf.length % CANDLE_RECORD_BYTES);
        if (whole === 0) continue;
        const cutoff = buf.readDoubleLE(whole - CANDLE_RECORD_BYTES) - keepMs;
        if (buf.readDoubleLE(0) >= cutoff) continue;
        let keepFrom = 0;
        while (keepFrom < whole && buf.readDoubleLE(keepFrom) < cutoff) keepFrom += CANDLE_RECORD_BYTES;
        const tmp = `${file}.tmp`;
        const fd = openSync(tmp, 'w');
        try {
          writeSync(fd, buf.subarray(keepFrom, whole));
          fdatasyncSync(fd);
        } finally {
          closeSync(fd);
        }
        renameSync(tmp, file);
        freed += keepFrom;
      }
    }
    return freed;
  }

  diskBytes(): number {
    let total = 0;
    for (const symbol of this.symbols()) {
      for (const interval of ARCHIVED_INTERVALS) {
        try {
          total += statSync(this.file(symbol, interval)).size;
        } catch {
          // No candle of that interval archived yet.
        }
      }
    }
    return total;
  }

  private symbols(): string[] {
    return readdirSync(this.dir);
  }

  private file(symbol: string, interval: Interval): string {
    return join(this.dir, symbol, `${interval}.bin`);
  }
}

export function encodeCandles(candles: readonly Candle[]): Buffer {
  const buf = Buffer.allocUnsafe(candles.length * CANDLE_RECORD_BYTES);
  let at = 0;
  for (const c of candles) {
    buf.writeDoubleLE(c.time, at);
    buf.writeDoubleLE(c.open, at + 8);
    buf.writeDoubleLE(c.high, at + 16);
    buf.writeDoubleLE(c.low, at + 24);
    buf.writeDoubleLE(c.close, at + 32);
    buf.writeDoubleLE(c.volume, at + 40);
    at += CANDLE_RECORD_BYTES;
  }
  return buf;
}

export function decodeCandles(buf: Buffer): Candle[] {
  const out: Candle[] = [];
  for (let at = 0; at + CANDLE_RECORD_BYTES <= buf.length; at += CANDLE_RECORD_BYTES) {
    out.push({
      time: buf.readDoubleLE(at),
      open: buf.readDoubleLE(at + 8),
      high: buf.readDoubleLE(at + 16),
      low: buf.readDoubleLE(at + 24),
      close: buf.readDoubleLE(at + 32),
      volume: buf.readDoubleLE(at + 40),
    });
  }
  return out;
}
