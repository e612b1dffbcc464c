import { randomUUID } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import {
  DEFAULT_LIMITS,
  ErrorCode,
  INGEST_NAMESPACE,
  errorReply,
  type BookPublishReply,
  type BookPublishRequest,
  type ControlHandler,
  type ControlReply,
  type DeclareReply,
  type DeclareRequest,
  type FeedStatus,
  type IngestClientToServerEvents,
  type IngestPort,
  type IngestServerToClientEvents,
  type PublishReply,
  type PublishRequest,
  type SymbolDeclaration,
} from '@tickfeed/protocol';
import { silentLogger, type Logger } from './logger.js';
import { ConnectionLostError } from './publisher.js';

export interface SocketIngestOptions {
  /** Feed server base URL, e.g. http://127.0.0.1:3000. */
  url: string;
  /** Ingest token (the server's INGEST_TOKEN). */
  token: string;
  logger?: Logger;
  /** A request not acknowledged within this long counts as lost: the port reconnects. Default 10 000 ms. */
  ackTimeoutMs?: number;
  /** Delay before reconnecting after the server dropped or refused us, ms. Default 1000. */
  retryDelayMs?: number;
  /**
   * Identity sent as `auth.publisherId`: the server keeps this publisher's symbols and feed status
   * across its reconnects (for PUBLISHER_GRACE_MS after a lost connection). Default: a random id
   * per port, so each process is its own publisher.
   */
  publisherId?: string;
  /** The server's MAX_PAYLOAD_BYTES: declares are split to fit it. Default 1,000,000. */
  maxPayloadBytes?: number;
}

/** Room left in each message for Socket.IO's framing (`42<ack id>["declare",{…}]`) and the request's flags. */
const FRAMING_BYTES = 1_024;

type IngestSocket = Socket<IngestServerToClientEvents, IngestClientToServerEvents>;

/**
 * IngestPort over Socket.IO to a feed server's /ingest namespace. Requests
 * never sit in socket.io's offline buffer (a batch sent before the re-declare
 * would be refused): while disconnected they fail at once with
 * ConnectionLostError, and a disconnect fails every request in flight, so the
 * Publisher knows which batch is unacknowledged. Reconnects by itself, also
 * after the server closed the connection or refused the handshake, and calls
 * the onReconnect handlers after each re-established connection.
 */
export class SocketIngestPort implements IngestPort {
  private readonly socket: IngestSocket;
  private readonly logger: Logger;
  private readonly ackTimeoutMs: number;
  private readonly retryDelayMs: number;
  private readonly reconnectHandlers: Array<() => void> = [];
  private connectedOnce = false;
  private closed = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private controlHandler: ControlHandler | null = null;
  private readonly declareBytes: number;
  /** The id this port sends as `auth.publisherId`. */
  readonly publisherId: string;

  constructor(private readonly options: SocketIngestOptions) {
    this.logger = options.logger ?? silentLogger;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 10_000;
    this.retryDelayMs = options.retryDelayMs ?? 1_000;
    this.declareBytes = Math.max(FRAMING_BYTES, (options.maxPayloadBytes ?? DEFAULT_LIMITS.maxPayloadBytes) - FRAMING_BYTES);
    this.publisherId = options.publisherId ?? `simulator-${randomUUID()}`;
    const base = options.url.replace(/\/+$/, '');
    this.socket = io(`${base}${INGEST_NAMESPACE}`, {
      auth: { token: options.token, publisherId: this.publisherId },
      transports: ['websocket'],
      // A Manager of its own: socket.io-client would otherwise share it (and autoConnect: false) with other sockets to the same host.
      forceNew: true,
      autoConnect: false,
      reconnectionDelay: 250,
      reconnectionDelayMax: 5_000,
    });
    this.socket.on('connect', () => {
      if (this.connectedOnce) {
        this.logger.info({ url: base }, 'reconnected to the feed server');
        for (const handler of this.reconnectHandlers) handler();
      }
      this.connectedOnce = true;
    });
    this.socket.on('disconnect', (reason) => {
      if (this.closed) return;
      this.logger.warn({ reason }, 'disconnected from the feed server');
      // socket.io does not reconnect by itself after a server-side disconnect.
      if (!this.socket.active) this.scheduleRetry();
    });
    this.socket.on('connect_error', (error) => {
      if (this.closed || !this.connectedOnce) return;
      this.logger.warn({ error: error.message }, 'cannot reach the feed server; retrying');
      if (!this.socket.active) this.scheduleRetry();
    });
    this.socket.on('server:shutdown', (shutdown) => {
      this.logger.info({ reason: shutdown.reason }, 'feed server is shutting down; will reconnect');
    });
    this.socket.on('control', (command, ack) => {
      if (typeof ack !== 'function') return;
      const handler = this.controlHandler;
      if (handler === null) {
        ack(errorReply(ErrorCode.NO_CONTROLLABLE_FEED, 'this producer takes no control commands'));
        return;
      }
      Promise.resolve()
        .then(() => handler(command))
        .then(
          (reply: ControlReply) => ack(reply),
          (error: unknown) => {
            this.logger.error({ error: String(error) }, 'control handler failed');
            ack(errorReply(ErrorCode.INTERNAL, 'the producer failed to apply the command'));
          },
        );
    });
  }

  /** Connects; resolves on the first connection, rejects when the server refuses the handshake (e.g. bad token). */
  connect(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onConnect = () => {
        this.socket.off('connect_error', onError);
        resolve();
      };
      const onError = (error: Error) => {
        if (this.socket.active) {
          this.logger.warn({ url: this.options.url, error: error.message }, 'waiting for the feed server');
          return;
        }
        this.socket.off('connect', onConnect);
        this.socket.off('connect_error', onError);
        reject(new Error(`the feed server at ${this.options.url} refused the ingest connection: ${error.message}`));
      };
      this.socket.once('connect', onConnect);
      this.socket.on('connect_error', onError);
      this.socket.connect();
    });
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  /**
   * Declares any number of symbols: split into requests that fit the server's payload limit and
   * maxSymbolsPerDeclare (a message over the limit would close the connection without an answer),
   * sent one after another; the replies are merged, and the first refused request is the answer.
   */
  async declare(request: DeclareRequest): Promise<DeclareReply> {
    const chunks = splitDeclarations(request.symbols, this.declareBytes, DEFAULT_LIMITS.maxSymbolsPerDeclare);
    if (chunks.length <= 1) return this.request('declare', request);
    const merged: Extract<DeclareReply, { ok: true }> = { ok: true, declared: [], rejected: [] };
    for (const symbols of chunks) {
      const reply = await this.request('declare', { ...request, symbols });
      if (!reply.ok) return reply;
      merged.declared.push(...reply.declared);
      merged.rejected.push(...reply.rejected);
    }
    return merged;
  }

  publish(request: PublishRequest): Promise<PublishReply> {
    return this.request('publish', request);
  }

  publishBook(request: BookPublishRequest): Promise<BookPublishReply> {
    return this.request('book:publish', request);
  }

  status(status: FeedStatus): void {
    if (this.socket.connected) this.socket.emit('status', status);
  }

  onControl(handler: ControlHandler): void {
    this.controlHandler = handler;
  }

  onReconnect(handler: () => void): void {
    this.reconnectHandlers.push(handler);
  }

  /** Drops the connection as if the network failed; it reconnects by itself. For tests and diagnostics. */
  simulateConnectionLoss(): void {
    this.socket.io.engine?.close();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.socket.disconnect();
  }

  private async request<E extends 'declare' | 'publish' | 'book:publish'>(
    event: E,
    payload: E extends 'declare' ? DeclareRequest : E extends 'publish' ? PublishRequest : BookPublishRequest,
  ): Promise<E extends 'declare' ? DeclareReply : PublishReply> {
    if (!this.socket.connected) throw new ConnectionLostError(`not connected to ${this.options.url}`);
    try {
      const timed = this.socket.timeout(this.ackTimeoutMs);
      const reply =
        event === 'declare'
          ? await timed.emitWithAck('declare', payload as DeclareRequest)
          : event === 'publish'
            ? await timed.emitWithAck('publish', payload as PublishRequest)
            : await timed.emitWithAck('book:publish', payload as BookPublishRequest);
      return reply as E extends 'declare' ? DeclareReply : PublishReply;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (/timed out/.test(message) && this.socket.connected) {
        // The server may or may not have applied it: start over on a fresh connection and re-declare.
        this.logger.warn({ event, timeoutMs: this.ackTimeoutMs }, 'request not acknowledged in time; reconnecting');
        this.socket.io.engine?.close();
      }
      throw new ConnectionLostError(`${event} not acknowledged: ${message}`);
    }
  }

  private scheduleRetry(): void {
    if (this.retryTimer !== null || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.closed && !this.socket.connected) this.socket.connect();
    }, this.retryDelayMs);
  }
}

/** Splits declarations into runs of at most `maxCount` whose JSON fits `maxBytes` (UTF-8) together. */
export function splitDeclarations(symbols: readonly SymbolDeclaration[], maxBytes: number, maxCount: number): SymbolDeclaration[][] {
  const chunks: SymbolDeclaration[][] = [];
  let chunk: SymbolDeclaration[] = [];
  // An array's JSON: its items, a comma after each but the last, and two brackets.
  let bytes = 1;
  for (const decl of symbols) {
    const size = Buffer.byteLength(JSON.stringify(decl)) + 1;
    if (chunk.length > 0 && (bytes + size > maxBytes || chunk.length === maxCount)) {
      chunks.push(chunk);
      chunk = [];
      bytes = 1;
    }
    chunk.push(decl);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

/** Creates a SocketIngestPort and waits for its first connection. */
export async function connectIngest(options: SocketIngestOptions): Promise<SocketIngestPort> {
  const port = new SocketIngestPort(options);
  try {
    await port.connect();
  } catch (error) {
    await port.close();
    throw error;
  }
  return port;
}
