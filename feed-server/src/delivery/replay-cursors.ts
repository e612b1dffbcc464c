import type { ResumePoint } from '@tickfeed/protocol';
import type { MarketState } from '../market/market-state.js';

/** Ticks in one replay frame at most (a frame of 1,000 ticks is about 100 KB). */
export const REPLAY_FRAME_TICKS = 1_000;

/**
 * Frames a Socket.IO client may have in flight (written, not yet taken by the
 * network) before the next replay frame is written, and the most replay frames
 * one flush writes to one client. A replay therefore goes out as fast as the
 * client reads it, and a client that stops reading pins at most this many
 * replay frames (≈ 800 KB) besides its live frames.
 */
export const REPLAY_WINDOW_FRAMES = 8;

/** A recovered resume: the symbol's missed ticks are those of `epoch` after `seq`, up to the ack's snapshot and on. */
export interface ReplayStart {
  symbol: string;
  epoch: string;
  seq: number;
}

/** What a replay reads: a symbol's current epoch, the seqs its history holds, and their texts. */
export interface ReplayHistory {
  /** The epoch and the held seq range of a symbol (first = last = 0 when nothing is held); undefined when unknown. */
  window(symbol: string): { epoch: string; first: number; last: number } | undefined;
  /** The JSON texts of the held ticks after `after`, oldest first, at most `limit` (the caller checked they are held). */
  read(symbol: string, after: number, limit: number): string[];
}

/** The replay history of a market: each symbol's tick ring. */
export function marketHistory(market: MarketState): ReplayHistory {
  return {
    window(symbol) {
      const book = market.get(symbol);
      return book === undefined ? undefined : { epoch: book.epoch, first: book.ring.firstSeq, last: book.ring.lastSeq };
    },
    read(symbol, after, limit) {
      return market.get(symbol)?.ring.after(after, limit) ?? [];
    },
  };
}

/** One chunk of a replay: ticks to write now, and the symbols that skipped ahead because history no longer held their next tick. */
export interface ReplayChunk {
  ticks: string[];
  overrun: string[];
}

/**
 * The pending resume replays of one client: per symbol, the last seq it was
 * sent (a ResumePoint, advanced as ticks are read). Pure: the transport decides
 * when to read the next chunk (when the client has taken the previous ones),
 * and while a symbol is here its live ticks are not queued for the client, since
 * the cursor reads them from the history in order, with no gap and no duplicate.
 *
 * A cursor ends when it has read the newest tick held. If the history moved past
 * it (the client read more slowly than the symbol trades), it skips to the
 * newest tick and the symbol is reported as overrun. A cursor of an epoch that
 * ended continues at seq 1 of the new one: the transport has sent the `reset`.
 */
export class ReplayCursors {
  private readonly cursors = new Map<string, ResumePoint>();

  get size(): number {
    return this.cursors.size;
  }

  has(symbol: string): boolean {
    return this.cursors.has(symbol);
  }

  /** Replays `symbol` after `point.seq`; the point is the cursor, so its owner sees it advance. Replaces an earlier cursor. */
  start(symbol: string, point: ResumePoint): void {
    this.cursors.delete(symbol);
    this.cursors.set(symbol, point);
  }

  cancel(symbol: string): void {
    this.cursors.delete(symbol);
  }

  /**
   * The next ticks of the pending replays, at most `limit`, symbol after symbol
   * in the order the replays started. Cursors that reach the newest tick end.
   */
  next(history: ReplayHistory, limit: number): ReplayChunk {
    const ticks: string[] = [];
    const overrun: string[] = [];
    for (const [symbol, cursor] of this.cursors) {
      if (ticks.length >= limit) break;
      const window = history.window(symbol);
      if (window === undefined) {
        this.cursors.delete(symbol);
        continue;
      }
      if (cursor.epoch !== window.epoch) {
        cursor.epoch = window.epoch;
        cursor.seq = 0;
      }
      if (cursor.seq >= window.last) {
        this.cursors.delete(symbol);
        continue;
      }
      if (cursor.seq + 1 < window.first) {
        overrun.push(symbol);
        cursor.seq = window.last - 1;
      }
      const read = history.read(symbol, cursor.seq, Math.min(limit - ticks.length, window.last - cursor.seq));
      for (const json of read) ticks.push(json);
      cursor.seq += read.length;
      // An empty read cannot happen for a held range; ending the cursor keeps a broken history from looping.
      if (cursor.seq >= window.last || read.length === 0) this.cursors.delete(symbol);
    }
    return { ticks, overrun };
  }

  /** Whether the history no longer holds the next tick of some pending replay (read-only: `next` does the skipping). */
  overrun(history: ReplayHistory): boolean {
    for (const [symbol, cursor] of this.cursors) {
      const window = history.window(symbol);
      if (window === undefined) continue;
      const after = cursor.epoch === window.epoch ? cursor.seq : 0;
      if (after < window.last && after + 1 < window.first) return true;
    }
    return false;
  }
}
