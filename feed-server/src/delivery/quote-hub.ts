import { performance } from 'node:perf_hooks';
import { Events, snapshotOf } from '@tickfeed/protocol';
import type { MarketState } from '../market/market-state.js';
import type { ConsumerSocket } from '../types.js';
import { parseSubscriptionRoom, subscriptionRoom } from '../consumer/subscription-rooms.js';

/** What the hub reads of Socket.IO: the local rooms and sockets of the consumer namespace. */
export interface QuoteRooms {
  members(room: string): ReadonlySet<string> | undefined;
  socket(id: string): ConsumerSocket | undefined;
}

/** Socket.IO EVENT packet of a `quotes` event whose argument is the array of the given snapshot JSON texts. */
const QUOTES_PREFIX = `2[${JSON.stringify(Events.quotes)},[`;
const QUOTES_SUFFIX = ']]';

export function quotesPacket(snapshotJsons: readonly string[]): string {
  return QUOTES_PREFIX + snapshotJsons.join(',') + QUOTES_SUFFIX;
}

/**
 * Where an SSE stream's quotes go: `send` writes one `quotes` event whose data
 * is the JSON array `body` and calls `written` once it has left the process.
 */
export type QuoteStreamSink = (body: string, written: () => void) => void;

/** One conflated client: the frames it has not read yet and a batch reused by every flush. */
interface QuoteClient {
  readonly id: string;
  inflight: number;
  readonly written: () => void;
  readonly batch: string[];
  closed: boolean;
  /** Set for an SSE stream (not a socket): how its frames are written. */
  readonly sink?: QuoteStreamSink;
}

/** An SSE stream's quotes subscription, as registered with addStream. */
export interface QuoteStream {
  readonly symbols: readonly string[];
  readonly throttleMs: number;
}

/** Every subscription at one interval: which symbols changed since the last flush, and who was skipped. */
interface Bucket {
  readonly throttleMs: number;
  /** Symbols with at least one subscriber at this interval, with how many hold it (its room counts one, each SSE stream one). */
  readonly symbols: Map<string, number>;
  /** Symbols that changed since this bucket last flushed. */
  readonly dirty: Set<string>;
  /** Clients skipped while they had a quotes frame in flight, with the symbols they are owed (made only for slow clients). */
  owed: Map<QuoteClient, Set<string>> | null;
  /** When the bucket flushes next, on the hub's clock (ms). */
  dueAt: number;
}

/** A symbol's snapshot JSON, serialized once per change however many clients and buckets send it. */
interface CachedQuote {
  epoch: string;
  seq: number;
  json: string;
}

/**
 * Conflated delivery (`subscribe { throttleMs }`): each client gets, at most
 * once per its interval, one `quotes` frame with the latest snapshot of each
 * of its symbols that changed. A tick only marks its symbol dirty in the
 * buckets (one per interval) that have subscribers of it: no work per client
 * per tick. One timer for the whole server wakes when the next bucket is due
 * (intervals are multiples of QUOTE_LIMITS.throttleStepMs and aligned to the
 * hub's start, so buckets due together flush in one wake-up); it runs only
 * while some conflated subscription exists.
 *
 * Subscriptions are the rooms `SYM@ms` (subscription-rooms.ts); the hub
 * learns which exist from the adapter's create-room/delete-room events and
 * walks their members when it flushes, so it keeps no registry of its own.
 * SSE streams are not sockets: addStream registers them in the same buckets
 * (so they share the timer and the serialized snapshots), each written
 * through its own sink.
 *
 * A client that has a quotes frame in flight (not yet written to the
 * network) is skipped: what it is owed is kept as symbols, not frames, and
 * it gets their then-latest state at the first flush of the interval after it
 * read its frame. So a client that stops reading pins one frame, never more,
 * and nothing it is sent is older than the state at the time of sending.
 */
export class QuoteHub {
  private readonly buckets = new Map<number, Bucket>();
  private readonly bySymbol = new Map<string, Bucket[]>();
  private readonly clients = new Map<string, QuoteClient>();
  private readonly cache = new Map<string, CachedQuote>();
  /** SSE streams by subscription key (`SYM@ms`). */
  private readonly streams = new Map<string, Set<QuoteClient>>();
  private readonly streamClients = new Map<QuoteStream, QuoteClient>();
  private nextStreamId = 0;
  /** Clients with something in their batch during a flush (reused). */
  private readonly touched: QuoteClient[] = [];
  private readonly origin = performance.now();
  private timer: NodeJS.Timeout | undefined;
  private timerDueAt = Infinity;
  private stopped = false;
  /** Frames written and frames deferred because the client had one in flight, since start (for metrics and tests). */
  framesSent = 0;
  framesDeferred = 0;

  constructor(
    private readonly rooms: QuoteRooms,
    private readonly market: Pick<MarketState, 'get'>,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** A room was created in the consumer namespace (adapter event). */
  roomCreated(room: string): void {
    const { symbol, throttleMs } = parseSubscriptionRoom(room);
    this.retain(symbol, throttleMs);
  }

  /** A room was deleted (its last member left). */
  roomDeleted(room: string): void {
    const { symbol, throttleMs } = parseSubscriptionRoom(room);
    this.release(symbol, throttleMs);
  }

  /**
   * Registers an SSE stream's symbols at one interval (already effective:
   * rounded and bounded); `sink` writes its frames. Undone by removeStream.
   */
  addStream(symbols: readonly string[], throttleMs: number, sink: QuoteStreamSink): QuoteStream {
    const stream: QuoteStream = { symbols: [...symbols], throttleMs };
    const client = newClient(`sse:${this.nextStreamId++}`, sink);
    this.streamClients.set(stream, client);
    for (const symbol of stream.symbols) {
      const key = subscriptionRoom(symbol, throttleMs);
      let set = this.streams.get(key);
      if (set === undefined) this.streams.set(key, (set = new Set()));
      set.add(client);
      this.retain(symbol, throttleMs);
    }
    return stream;
  }

  /** The stream closed: it gets nothing more, and its symbols are released. */
  removeStream(stream: QuoteStream): void {
    const client = this.streamClients.get(stream);
    if (client === undefined) return;
    this.streamClients.delete(stream);
    client.closed = true;
    for (const bucket of this.buckets.values()) bucket.owed?.delete(client);
    for (const symbol of stream.symbols) {
      const key = subscriptionRoom(symbol, stream.throttleMs);
      const set = this.streams.get(key);
      set?.delete(client);
      if (set?.size === 0) this.streams.delete(key);
      this.release(symbol, stream.throttleMs);
    }
  }

  private retain(symbol: string, throttleMs: number): void {
    if (throttleMs === 0 || !Number.isInteger(throttleMs) || this.stopped) return;
    let bucket = this.buckets.get(throttleMs);
    if (bucket === undefined) {
      const elapsed = this.now() - this.origin;
      bucket = { throttleMs, symbols: new Map(), dirty: new Set(), owed: null, dueAt: this.origin + (Math.floor(elapsed / throttleMs) + 1) * throttleMs };
      this.buckets.set(throttleMs, bucket);
    }
    const holders = bucket.symbols.get(symbol) ?? 0;
    bucket.symbols.set(symbol, holders + 1);
    if (holders > 0) return;
    const list = this.bySymbol.get(symbol);
    if (list === undefined) this.bySymbol.set(symbol, [bucket]);
    else if (!list.includes(bucket)) list.push(bucket);
    this.arm();
  }

  private release(symbol: string, throttleMs: number): void {
    const bucket = throttleMs === 0 ? undefined : this.buckets.get(throttleMs);
    const holders = bucket?.symbols.get(symbol);
    if (bucket === undefined || holders === undefined) return;
    if (holders > 1) {
      bucket.symbols.set(symbol, holders - 1);
      return;
    }
    bucket.symbols.delete(symbol);
    bucket.dirty.delete(symbol);
    if (bucket.owed !== null) for (const owed of bucket.owed.values()) owed.delete(symbol);
    const list = this.bySymbol.get(symbol);
    if (list !== undefined) {
      const index = list.indexOf(bucket);
      if (index >= 0) list.splice(index, 1);
      if (list.length === 0) {
        this.bySymbol.delete(symbol);
        this.cache.delete(symbol);
      }
    }
    if (bucket.symbols.size === 0) this.buckets.delete(throttleMs);
  }

  /** The symbol's state changed (a tick, a new epoch): due to its conflated subscribers at their next flush. */
  changed(symbol: string): void {
    const list = this.bySymbol.get(symbol);
    if (list === undefined) return;
    for (let i = 0; i < list.length; i++) list[i]!.dirty.add(symbol);
  }

  /** The client disconnected: forget what it was owed. */
  unregister(socketId: string): void {
    const client = this.clients.get(socketId);
    if (client === undefined) return;
    client.closed = true;
    this.clients.delete(socketId);
    for (const bucket of this.buckets.values()) bucket.owed?.delete(client);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Buckets (distinct intervals) with subscribers, and clients that were ever sent quotes and are still connected. */
  get size(): { buckets: number; clients: number } {
    return { buckets: this.buckets.size, clients: this.clients.size };
  }

  /** Sets the one timer for the earliest due bucket, unless it is already set for that time. */
  private arm(): void {
    if (this.stopped) return;
    let next = Infinity;
    for (const bucket of this.buckets.values()) if (bucket.dueAt < next) next = bucket.dueAt;
    if (next === Infinity || (this.timer !== undefined && this.timerDueAt <= next)) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerDueAt = next;
    this.timer = setTimeout(() => this.onTimer(), Math.max(0, next - this.now()));
  }

  private onTimer(): void {
    this.timer = undefined;
    this.timerDueAt = Infinity;
    const now = this.now();
    for (const bucket of this.buckets.values()) {
      // Timers fire a little early or late: within a millisecond counts as due.
      if (bucket.dueAt > now + 1) continue;
      this.flush(bucket);
      // Missed intervals (a stalled event loop) are skipped, not caught up in a burst.
      bucket.dueAt += Math.max(1, Math.ceil((now + 1 - bucket.dueAt) / bucket.throttleMs)) * bucket.throttleMs;
    }
    this.arm();
  }

  private flush(bucket: Bucket): void {
    const touched = this.touched;
    if (bucket.owed !== null) this.collectOwed(bucket, touched);
    for (const symbol of bucket.dirty) {
      const key = subscriptionRoom(symbol, bucket.throttleMs);
      const members = this.rooms.members(key);
      const streams = this.streams.get(key);
      if (members === undefined && streams === undefined) continue;
      const json = this.quoteJson(symbol);
      if (json === undefined) continue;
      if (members !== undefined) for (const id of members) this.add(bucket, this.client(id), symbol, json, touched);
      if (streams !== undefined) for (const client of streams) this.add(bucket, client, symbol, json, touched);
    }
    bucket.dirty.clear();
    for (let i = 0; i < touched.length; i++) this.write(touched[i]!);
    touched.length = 0;
  }

  private add(bucket: Bucket, client: QuoteClient, symbol: string, json: string, touched: QuoteClient[]): void {
    if (client.inflight > 0) {
      this.owe(bucket, client, symbol);
      return;
    }
    if (client.batch.length === 0) touched.push(client);
    client.batch.push(json);
  }

  /** Adds to the batches what clients that have read their frame since were owed (skipping what the dirty pass adds). */
  private collectOwed(bucket: Bucket, touched: QuoteClient[]): void {
    const owed = bucket.owed!;
    for (const [client, symbols] of owed) {
      if (client.closed) {
        owed.delete(client);
        continue;
      }
      if (client.inflight > 0) continue;
      for (const symbol of symbols) {
        if (bucket.dirty.has(symbol)) continue;
        // It may have unsubscribed or switched to another interval meanwhile.
        const key = subscriptionRoom(symbol, bucket.throttleMs);
        const member = client.sink === undefined ? this.rooms.members(key)?.has(client.id) : this.streams.get(key)?.has(client);
        if (member !== true) continue;
        const json = this.quoteJson(symbol);
        if (json === undefined) continue;
        if (client.batch.length === 0) touched.push(client);
        client.batch.push(json);
      }
      owed.delete(client);
    }
    if (owed.size === 0) bucket.owed = null;
  }

  private owe(bucket: Bucket, client: QuoteClient, symbol: string): void {
    const owed = (bucket.owed ??= new Map());
    let symbols = owed.get(client);
    if (symbols === undefined) {
      symbols = new Set();
      owed.set(client, symbols);
      this.framesDeferred++;
    }
    symbols.add(symbol);
  }

  private write(client: QuoteClient): void {
    const batch = client.batch;
    if (client.sink !== undefined) {
      if (client.closed) {
        batch.length = 0;
        return;
      }
      const body = `[${batch.join(',')}]`;
      batch.length = 0;
      client.inflight++;
      this.framesSent++;
      client.sink(body, client.written);
      return;
    }
    const socket = this.rooms.socket(client.id);
    if (socket === undefined || client.closed) {
      batch.length = 0;
      return;
    }
    const packet = quotesPacket(batch);
    batch.length = 0;
    client.inflight++;
    this.framesSent++;
    // Through Engine.IO, so it keeps its place among everything else sent on the connection.
    socket.conn.write(packet, undefined, client.written);
  }

  private client(id: string): QuoteClient {
    let client = this.clients.get(id);
    if (client === undefined) {
      client = newClient(id);
      this.clients.set(id, client);
    }
    return client;
  }

  private quoteJson(symbol: string): string | undefined {
    const book = this.market.get(symbol);
    if (book === undefined) return undefined;
    const cached = this.cache.get(symbol);
    if (cached !== undefined && cached.seq === book.stats.seq && cached.epoch === book.epoch) return cached.json;
    const json = JSON.stringify(snapshotOf(symbol, book.stats, book.format));
    if (cached === undefined) this.cache.set(symbol, { epoch: book.epoch, seq: book.stats.seq, json });
    else {
      cached.epoch = book.epoch;
      cached.seq = book.stats.seq;
      cached.json = json;
    }
    return json;
  }
}

function newClient(id: string, sink?: QuoteStreamSink): QuoteClient {
  const client: QuoteClient = {
    id,
    inflight: 0,
    batch: [],
    closed: false,
    written: () => {
      client.inflight--;
    },
    ...(sink !== undefined ? { sink } : {}),
  };
  return client;
}
