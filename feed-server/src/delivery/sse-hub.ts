import type { ServerResponse } from 'node:http';
import { Events, encodeStreamPosition, type BookStreamPoint, type ResumePoint } from '@tickfeed/protocol';
import { REPLAY_FRAME_TICKS, REPLAY_WINDOW_FRAMES, ReplayCursors, type ReplayHistory } from './replay-cursors.js';

/** One Server-Sent-Events consumer: its symbols, its resume position, what waits to be sent. */
interface SseClient {
  readonly res: ServerResponse;
  /** Per symbol, the last seq sent; a replaying symbol's entry is its replay cursor. */
  readonly positions: Map<string, ResumePoint>;
  pending: string[];
  /** Per followed book (`book=1`), the last update written and the client's depth; advanced as book events are written. */
  readonly books: Map<string, BookStreamPoint>;
  /** Book updates waiting for the next flush, each symbol's in ascending seq. */
  pendingBooks: PendingBookUpdate[];
  /** Null unless a resume replay is under way. */
  replay: ReplayCursors | null;
  /** The response's buffer is full: the replay continues on 'drain'. */
  awaitingDrain: boolean;
  closed: boolean;
}

/** A serialized book update for one client, with what it moves the client's book position to. */
interface PendingBookUpdate {
  readonly symbol: string;
  readonly seq: number;
  readonly json: string;
}

/** Updates in one SSE `book` event at most (a resume's missed updates are split into events of this size). */
export const SSE_BOOK_EVENT_UPDATES = 1_000;

export interface SseHubOptions {
  /** Bytes a client may leave unread before its connection is destroyed (SSE_MAX_BUFFERED_BYTES). */
  maxBufferedBytes: number;
}

/** Why a client was cut off: its unread bytes passed the cap, or the history moved past its replay. */
export type SseDropReason = 'buffer' | 'history';

/**
 * The consumers of GET /api/stream. Socket.IO clients are tracked by rooms;
 * SSE responses are not sockets, so this one module owns their subscriptions.
 * Ticks are coalesced per flush like the Socket.IO path: one `ticks` event per
 * client per flush, whose id is the client's resume position after it.
 *
 * A resume replay is written a frame at a time, the next one only once the
 * response has drained (the client read the previous one), so it never sits
 * in memory. A client that does not read is destroyed once its unread bytes
 * pass the cap or the history no longer holds where its replay stands; it
 * reconnects with Last-Event-ID like any SSE client.
 */
export class SseHub {
  private readonly bySymbol = new Map<string, Set<SseClient>>();
  private readonly byBook = new Map<string, Set<SseClient>>();
  private readonly dirty = new Set<SseClient>();
  /** Streams with book updates pending: the book channel's own flush writes them (with their pending ticks first). */
  private readonly bookDirty = new Set<SseClient>();
  private readonly clients = new Set<SseClient>();
  private readonly replaying = new Set<SseClient>();

  constructor(
    private readonly history: ReplayHistory,
    private readonly options: SseHubOptions,
    private readonly onSlowClient: (reason: SseDropReason) => void = () => undefined,
  ) {}

  get size(): number {
    return this.clients.size;
  }

  /** Registers a stream: its tick positions, and (with `book=1`) its book positions, each already sent its snapshot. */
  add(res: ServerResponse, positions: Map<string, ResumePoint>, books: Map<string, BookStreamPoint> = new Map()): SseClient {
    const client: SseClient = { res, positions, pending: [], books, pendingBooks: [], replay: null, awaitingDrain: false, closed: false };
    this.clients.add(client);
    for (const symbol of positions.keys()) joinIndex(this.bySymbol, symbol, client);
    for (const symbol of books.keys()) joinIndex(this.byBook, symbol, client);
    return client;
  }

  remove(client: SseClient): void {
    client.closed = true;
    client.replay = null;
    client.pending = [];
    this.clients.delete(client);
    this.dirty.delete(client);
    this.bookDirty.delete(client);
    this.replaying.delete(client);
    client.pendingBooks = [];
    for (const symbol of client.positions.keys()) leaveIndex(this.bySymbol, symbol, client);
    for (const symbol of client.books.keys()) leaveIndex(this.byBook, symbol, client);
  }

  /** Whether any stream follows this symbol's book (so the caller diffs only when someone reads it). */
  followsBook(symbol: string): boolean {
    return this.byBook.has(symbol);
  }

  /**
   * Queues one book update for every stream following the symbol's book;
   * `updateAt(depth)` serializes it at a depth (the caller caches per depth).
   */
  enqueueBook(symbol: string, seq: number, updateAt: (depth: number) => string): void {
    const set = this.byBook.get(symbol);
    if (set === undefined) return;
    for (const client of set) {
      const depth = client.books.get(symbol)?.depth;
      if (depth === undefined) continue;
      client.pendingBooks.push({ symbol, seq, json: updateAt(depth) });
      this.dirty.add(client);
      this.bookDirty.add(client);
    }
  }

  /** Queues a resume's missed book updates for one client (written by the next flush, before any later update). */
  enqueueBookReplay(client: SseClient, symbol: string, updates: readonly { seq: number }[]): void {
    if (client.closed) return;
    for (const update of updates) client.pendingBooks.push({ symbol, seq: update.seq, json: JSON.stringify(update) });
    if (updates.length > 0) {
      this.dirty.add(client);
      this.bookDirty.add(client);
    }
  }

  /** Writes the streams with book updates pending (ticks pending for them go first, so every id counts only what was written). */
  flushBooks(): void {
    for (const client of this.bookDirty) {
      this.dirty.delete(client);
      this.flushClient(client);
    }
    this.bookDirty.clear();
  }

  /**
   * A book starts over (new epoch): after what each follower has pending, a
   * `book:reset` with the snapshot at its depth, whose id holds the new position.
   */
  resetBook(symbol: string, epoch: string, resetAt: (depth: number) => { seq: number; body: unknown }): void {
    const set = this.byBook.get(symbol);
    if (set === undefined) return;
    for (const client of set) {
      this.flushClient(client);
      const point = client.books.get(symbol);
      if (point === undefined) continue;
      const reset = resetAt(point.depth);
      point.epoch = epoch;
      point.seq = reset.seq;
      this.write(client, Events.bookReset, JSON.stringify(reset.body), true);
    }
  }

  enqueue(symbol: string, seq: number, json: string): void {
    const set = this.bySymbol.get(symbol);
    if (set === undefined) return;
    for (const client of set) {
      // A replaying symbol's live ticks are read by its cursor, in order, from the history.
      if (client.replay !== null && client.replay.has(symbol)) continue;
      const position = client.positions.get(symbol);
      if (position !== undefined) position.seq = seq;
      client.pending.push(json);
      this.dirty.add(client);
    }
  }

  /** Writes a named event to every client of a symbol (reset), after flushing what they have pending. */
  sendToSymbol(symbol: string, event: string, data: unknown, epoch?: string): void {
    const set = this.bySymbol.get(symbol);
    if (set === undefined) return;
    const body = JSON.stringify(data);
    for (const client of set) {
      this.flushClient(client);
      const position = client.positions.get(symbol);
      if (position !== undefined && epoch !== undefined) {
        position.epoch = epoch;
        position.seq = 0;
      }
      this.write(client, event, body, true);
    }
  }

  broadcast(event: string, data: unknown): void {
    const body = JSON.stringify(data);
    for (const client of this.clients) this.write(client, event, body, false);
  }

  /**
   * Writes a `quotes` event (no id: quotes are state, not a resumable stream);
   * `written` runs once it has left the process, so the quote hub holds at most
   * one unread frame per stream. The buffer cap applies as to any event.
   */
  sendQuotes(client: SseClient, body: string, written: () => void): void {
    this.write(client, Events.quotes, body, false, written);
  }

  /** Writes a named event to one client. */
  send(client: SseClient, event: string, data: unknown, withId: boolean): void {
    this.write(client, event, JSON.stringify(data), withId);
  }

  /**
   * Replays these symbols after their positions (set to the client's resume
   * points), then sends `resumed` with the position after the replay.
   */
  replay(client: SseClient, symbols: readonly string[]): void {
    if (client.closed || symbols.length === 0) return;
    const cursors = (client.replay ??= new ReplayCursors());
    for (const symbol of symbols) {
      const position = client.positions.get(symbol);
      if (position !== undefined) cursors.start(symbol, position);
    }
    this.replaying.add(client);
    this.pump(client);
  }

  /** Whether the next flush has something to do: pending ticks, or a replay that stopped at its frame cap rather than on a full buffer. */
  get wantsFlush(): boolean {
    if (this.dirty.size > 0) return true;
    for (const client of this.replaying) if (!client.awaitingDrain) return true;
    return false;
  }

  flush(): void {
    for (const client of this.dirty) this.flushClient(client);
    this.dirty.clear();
    this.bookDirty.clear();
    for (const client of this.replaying) {
      if (!client.awaitingDrain) this.pump(client);
      else if (client.replay?.overrun(this.history) === true) this.drop(client, 'history');
    }
  }

  /** A comment line to every client, so proxies keep idle streams open and dead ones are noticed. */
  keepAlive(): void {
    for (const client of this.clients) if (!client.res.writableEnded) client.res.write(': keep-alive\n\n');
  }

  closeAll(): void {
    for (const client of this.clients) {
      client.closed = true;
      client.res.end();
    }
    this.clients.clear();
    this.bySymbol.clear();
    this.byBook.clear();
    this.dirty.clear();
    this.bookDirty.clear();
    this.replaying.clear();
  }

  /**
   * Writes replay frames until the response's buffer is full (then 'drain'
   * continues) or REPLAY_WINDOW_FRAMES were written (then the next flush does).
   * Pending live ticks go first, so each frame's id counts only ticks sent.
   */
  private pump(client: SseClient): void {
    const cursors = client.replay;
    if (cursors === null || client.closed) return;
    this.flushClient(client);
    for (let frames = 0; frames < REPLAY_WINDOW_FRAMES && !client.awaitingDrain && cursors.size > 0; frames++) {
      const chunk = cursors.next(this.history, REPLAY_FRAME_TICKS);
      if (chunk.overrun.length > 0) {
        this.drop(client, 'history');
        return;
      }
      if (chunk.ticks.length === 0) continue;
      if (!this.write(client, Events.ticks, `[${chunk.ticks.join(',')}]`, true)) {
        if (client.closed) return;
        client.awaitingDrain = true;
        client.res.once('drain', () => {
          client.awaitingDrain = false;
          this.pump(client);
        });
      }
    }
    if (cursors.size === 0 && !client.closed) {
      client.replay = null;
      this.replaying.delete(client);
      this.write(client, 'resumed', JSON.stringify({ symbols: client.positions.size }), true);
    }
  }

  private flushClient(client: SseClient): void {
    if (client.pending.length > 0) {
      const body = `[${client.pending.join(',')}]`;
      client.pending = [];
      this.write(client, 'ticks', body, true);
    }
    if (client.pendingBooks.length > 0) this.writeBooks(client);
  }

  /** Writes pending book updates as `book` events; each event's id holds the book positions after it, never ahead of what was written. */
  private writeBooks(client: SseClient): void {
    const pending = client.pendingBooks;
    client.pendingBooks = [];
    for (let from = 0; from < pending.length && !client.closed; from += SSE_BOOK_EVENT_UPDATES) {
      const chunk = pending.slice(from, from + SSE_BOOK_EVENT_UPDATES);
      for (const update of chunk) {
        const point = client.books.get(update.symbol);
        if (point !== undefined) point.seq = update.seq;
      }
      this.write(client, Events.book, `[${chunk.map((u) => u.json).join(',')}]`, true);
    }
  }

  /** Writes one event; false when the response wants a 'drain' first, or the client is gone. */
  private write(client: SseClient, event: string, body: string, withId: boolean, written?: () => void): boolean {
    if (client.closed || client.res.writableEnded) return false;
    if (client.res.writableLength > this.options.maxBufferedBytes) {
      this.drop(client, 'buffer');
      return false;
    }
    const id = withId ? `id: ${encodeStreamPosition(client.positions, client.books)}\n` : '';
    const chunk = `${id}event: ${event}\ndata: ${body}\n\n`;
    return written === undefined ? client.res.write(chunk) : client.res.write(chunk, () => written());
  }

  /**
   * Cuts a client off now. Ending the response would leave everything it did
   * not read buffered until the TCP connection closes; destroying frees it.
   */
  private drop(client: SseClient, reason: SseDropReason): void {
    this.onSlowClient(reason);
    this.remove(client);
    client.res.destroy();
  }
}

function joinIndex(index: Map<string, Set<SseClient>>, symbol: string, client: SseClient): void {
  let set = index.get(symbol);
  if (set === undefined) index.set(symbol, (set = new Set()));
  set.add(client);
}

function leaveIndex(index: Map<string, Set<SseClient>>, symbol: string, client: SseClient): void {
  const set = index.get(symbol);
  set?.delete(client);
  if (set !== undefined && set.size === 0) index.delete(symbol);
}

export type { SseClient };
