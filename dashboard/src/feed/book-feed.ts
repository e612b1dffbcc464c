import type { BookEvent, BookMeta, BookState, FeedClient } from '@tickfeed/client';
import type { BookSides } from '@tickfeed/protocol';
import { FrameConflator, type FrameScheduler } from '../lib/frame-conflator.js';

/** The depth the ladder follows: 10 levels a side, the most a checksum covers, so every update is verified. */
export const LADDER_DEPTH = 10;

/** One animation frame's worth of a book: its latest state and every level set since the last frame. */
export interface BookFrame {
  readonly book: BookState;
  readonly changed: BookSides;
  /** The book started over (first snapshot, reload, reset): earlier marks mean nothing. */
  readonly restarted: boolean;
}

export interface BookFeed {
  /** Follows one symbol's book; the listener gets at most one frame per animation frame. Returns the stop. */
  follow(symbol: string, meta: BookMeta, listener: (frame: BookFrame) => void): () => void;
  /** Frames handed to views so far (debug hook). */
  readonly frames: () => number;
}

/**
 * The dashboard's side of followBook: the feed client applies and verifies
 * every update as it arrives; the view sees the result once per frame, with
 * the levels changed in between for its highlights.
 */
export function createBookFeed(client: FeedClient, schedule: FrameScheduler): BookFeed {
  const listeners = new Map<string, (frame: BookFrame) => void>();
  const conflator = new FrameConflator<BookEvent>(schedule, (events) => {
    const frames = new Map<string, { book: BookState; changed: BookSides; restarted: boolean }>();
    for (const event of events) {
      let frame = frames.get(event.symbol);
      const restarted = event.cause !== 'update' && event.cause !== 'recovered';
      if (frame === undefined || restarted) {
        frame = { book: event.book, changed: { bids: [], asks: [] }, restarted: restarted || (frame?.restarted ?? false) };
        frames.set(event.symbol, frame);
      }
      frame.book = event.book;
      frame.changed.bids.push(...event.changed.bids);
      frame.changed.asks.push(...event.changed.asks);
    }
    for (const [symbol, frame] of frames) listeners.get(symbol)?.(frame);
  });
  client.on('book', (event) => {
    if (listeners.has(event.symbol)) conflator.push([event]);
  });
  return {
    follow(symbol, meta, listener) {
      listeners.set(symbol, listener);
      const held = client.book(symbol);
      if (held !== undefined) conflator.push([{ symbol, cause: 'subscribed', book: held, changed: { bids: [], asks: [] } }]);
      void client.followBook(symbol, meta, LADDER_DEPTH);
      return () => {
        if (listeners.get(symbol) !== listener) return;
        listeners.delete(symbol);
        void client.unfollowBook([symbol]);
      };
    },
    frames: () => conflator.frames,
  };
}
