import type { ServerResponse } from 'node:http';
import { encodeStreamPosition, type ResumePoint } from '@tickfeed/protocol';

/** One Server-Sent-Events consumer: its symbols, its resume position, what waits to be sent. */
interface SseClient {
  readonly res: ServerResponse;
  readonly positions: Map<string, ResumePoint>;
  pending: string[];
}

/** Largest number of bytes an SSE client may leave unread before it is disconnected. */
const SSE_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/**
 * The consumers of GET /api/stream. Socket.IO clients are tracked by rooms;
 * SSE responses are not sockets, so this one module owns their subscriptions.
 * Ticks are coalesced per flush like the Socket.IO path: one `ticks` event per
 * client per flush, whose id is the client's resume position after it.
 */
export class SseHub {
  private readonly bySymbol = new Map<string, Set<SseClient>>();
  private readonly dirty = new Set<SseClient>();
  private readonly clients = new Set<SseClient>();

  constructor(private readonly onSlowClient: () => void = () => undefined) {}

  get size(): number {
    return this.clients.size;
  }

  add(res: ServerResponse, positions: Map<string, ResumePoint>): SseClient {
    const client: SseClient = { res, positions, pending: [] };
    this.clients.add(client);
    for (const symbol of positions.keys()) {
      let set = this.bySymbol.get(symbol);
      if (set === undefined) this.bySymbol.set(symbol, (set = new Set()));
      set.add(client);
    }
    return client;
  }

  remove(client: SseClient): void {
    this.clients.delete(client);
    this.dirty.delete(client);
    for (const symbol of client.positions.keys()) {
      const set = this.bySymbol.get(symbol);
      set?.delete(client);
      if (set !== undefined && set.size === 0) this.bySymbol.delete(symbol);
    }
  }

  enqueue(symbol: string, seq: number, json: string): void {
    const set = this.bySymbol.get(symbol);
    if (set === undefined) return;
    for (const client of set) {
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

  /** Writes a named event to one client. */
  send(client: SseClient, event: string, data: unknown, withId: boolean): void {
    this.write(client, event, JSON.stringify(data), withId);
  }

  flush(): void {
    if (this.dirty.size === 0) return;
    for (const client of this.dirty) this.flushClient(client);
    this.dirty.clear();
  }

  /** A comment line to every client, so proxies keep idle streams open and dead ones are noticed. */
  keepAlive(): void {
    for (const client of this.clients) if (!client.res.writableEnded) client.res.write(': keep-alive\n\n');
  }

  closeAll(): void {
    for (const client of this.clients) client.res.end();
    this.clients.clear();
    this.bySymbol.clear();
    this.dirty.clear();
  }

  private flushClient(client: SseClient): void {
    if (client.pending.length === 0) return;
    const body = `[${client.pending.join(',')}]`;
    client.pending = [];
    this.write(client, 'ticks', body, true);
  }

  private write(client: SseClient, event: string, body: string, withId: boolean): void {
    if (client.res.writableEnded) return;
    if (client.res.writableLength > SSE_MAX_BUFFERED_BYTES) {
      this.onSlowClient();
      this.remove(client);
      client.res.end();
      return;
    }
    const id = withId ? `id: ${encodeStreamPosition(client.positions)}\n` : '';
    client.res.write(`${id}event: ${event}\ndata: ${body}\n\n`);
  }
}

export type { SseClient };
