import WebSocket from 'ws';
import {
  EIO_PONG,
  SioType,
  decodeEio,
  decodeSio,
  encodeEioMessage,
  encodeSio,
  engineIoUrl,
  type OpenPayload,
} from './eio-codec.js';
import { scanTicksFrame, type ScannedTicks } from './tick-scan.js';

/**
 * A minimal Socket.IO v5 client over a raw WebSocket (B1): handshake, one
 * namespace, events, acks, ping/pong. Thousands fit in one process, which
 * socket.io-client's per-socket machinery would not allow at the same cost.
 */
export interface RawClientOptions {
  /** Base URL of the server, e.g. http://127.0.0.1:3000. */
  url: string;
  /** Namespace to connect to; '/' by default. */
  namespace?: string;
  /** Sent with the connect packet (e.g. `{ token }` for /ingest). */
  auth?: Record<string, unknown>;
  /** Handshake (open + connect) must finish within this, ms. Default 10,000. */
  connectTimeoutMs?: number;
  /** Called for every server event, with the frame's arrival time (Date.now()). */
  onEvent?: (name: string, args: unknown[], receivedAt: number) => void;
  /**
   * When set, `ticks` events that the scanner reads exactly (B33) come here
   * instead of `onEvent`, without a full decode; every other frame as before.
   */
  onTicks?: (ticks: ScannedTicks, receivedAt: number) => void;
  /** Called for every WebSocket frame received (events, pings, acks). */
  onFrame?: (bytes: number, receivedAt: number) => void;
  /** Called once when the connection ends, for any reason. */
  onClose?: (reason: string) => void;
  /** Clock of arrival times; Date.now by default. */
  now?: () => number;
}

export class RawSocketIoClient {
  private ws: WebSocket | null = null;
  private nextAckId = 0;
  private readonly acks = new Map<number, { resolve: (args: unknown[]) => void; reject: (e: Error) => void }>();
  private closedReason: string | null = null;
  private readonly namespace: string;
  private readonly now: () => number;
  /** Engine.IO settings from the open packet. */
  open: OpenPayload | null = null;
  /** Socket.IO session id from the connect reply. */
  sid: string | null = null;
  /** Pings answered so far. */
  pongs = 0;

  constructor(private readonly options: RawClientOptions) {
    this.namespace = options.namespace ?? '/';
    this.now = options.now ?? Date.now;
  }

  get connected(): boolean {
    return this.sid !== null && this.closedReason === null;
  }

  get closeReason(): string | null {
    return this.closedReason;
  }

  /** Opens the WebSocket, completes the Engine.IO handshake and connects the namespace. */
  connect(): Promise<void> {
    if (this.ws) throw new Error('connect() called twice');
    const ws = new WebSocket(engineIoUrl(this.options.url), { perMessageDeflate: false, skipUTF8Validation: true });
    this.ws = ws;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error('Socket.IO handshake timed out')), this.options.connectTimeoutMs ?? 10_000);
      let settled = false;
      const fail = (e: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.shutdown(e.message);
        reject(e);
      };
      const done = () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve();
      };
      ws.on('error', (e) => fail(e));
      ws.on('close', (code) => {
        fail(new Error(`WebSocket closed during handshake (${code})`));
        this.shutdown(`websocket closed (${code})`);
      });
      ws.on('message', (raw, isBinary) => {
        const at = this.now();
        if (isBinary) {
          this.shutdown('unexpected binary frame');
          return;
        }
        const frame = raw.toString();
        this.options.onFrame?.(frame.length, at);
        const onTicks = this.options.onTicks;
        if (onTicks && this.namespace === '/' && this.sid !== null) {
          const ticks = scanTicksFrame(frame);
          if (ticks !== null) {
            onTicks(ticks, at);
            return;
          }
        }
        try {
          this.handleFrame(frame, at, done, fail);
        } catch (e) {
          const err = e instanceof Error ? e : new Error(String(e));
          fail(err);
          this.shutdown(`protocol error: ${err.message}`);
        }
      });
    });
  }

  /** Sends an event without an ack. */
  emit(event: string, ...args: unknown[]): void {
    this.sendSio({ type: SioType.EVENT, nsp: this.namespace, data: [event, ...args] });
  }

  /** Sends an event and resolves with the ack's arguments. */
  emitWithAck(event: string, args: unknown[], timeoutMs = 10_000): Promise<unknown[]> {
    const id = this.nextAckId++;
    return new Promise<unknown[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.acks.delete(id);
        reject(new Error(`ack of '${event}' timed out`));
      }, timeoutMs);
      this.acks.set(id, {
        resolve: (a) => {
          clearTimeout(timer);
          resolve(a);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.sendSio({ type: SioType.EVENT, nsp: this.namespace, id, data: [event, ...args] });
    });
  }

  /** Closes the connection; resolves once the socket is closed. */
  close(): Promise<void> {
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) {
      this.shutdown('client closed');
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      ws.once('close', () => resolve());
      if (this.connected) this.sendSio({ type: SioType.DISCONNECT, nsp: this.namespace });
      this.shutdown('client closed');
    });
  }

  private handleFrame(frame: string, at: number, connected: () => void, fail: (e: Error) => void): void {
    const eio = decodeEio(frame);
    switch (eio.kind) {
      case 'open':
        this.open = eio.open;
        this.sendSio(
          this.options.auth
            ? { type: SioType.CONNECT, nsp: this.namespace, data: this.options.auth }
            : { type: SioType.CONNECT, nsp: this.namespace },
        );
        return;
      case 'ping':
        this.ws?.send(EIO_PONG + eio.data);
        this.pongs += 1;
        return;
      case 'close':
        this.shutdown('server closed the session');
        return;
      case 'pong':
      case 'noop':
        return;
      case 'message':
        break;
    }
    const sio = decodeSio(eio.data);
    if (sio.nsp !== this.namespace) return;
    switch (sio.type) {
      case SioType.EVENT: {
        const data = sio.data;
        if (!Array.isArray(data) || typeof data[0] !== 'string') throw new Error('event without a name');
        if (sio.id !== undefined) return; // server-to-client events with acks are not part of the consumer contract
        this.options.onEvent?.(data[0], data.slice(1), at);
        return;
      }
      case SioType.ACK: {
        const pending = sio.id === undefined ? undefined : this.acks.get(sio.id);
        if (!pending || sio.id === undefined) return;
        this.acks.delete(sio.id);
        pending.resolve(Array.isArray(sio.data) ? sio.data : []);
        return;
      }
      case SioType.CONNECT: {
        const data = sio.data as { sid?: unknown } | undefined;
        this.sid = typeof data?.sid === 'string' ? data.sid : '';
        connected();
        return;
      }
      case SioType.CONNECT_ERROR: {
        const data = sio.data as { message?: unknown } | undefined;
        fail(new Error(`connect refused: ${typeof data?.message === 'string' ? data.message : 'no reason'}`));
        return;
      }
      case SioType.DISCONNECT:
        this.shutdown('server disconnected the namespace');
        return;
      default:
        return;
    }
  }

  private sendSio(packet: Parameters<typeof encodeSio>[0]): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    ws.send(encodeEioMessage(encodeSio(packet)));
  }

  private shutdown(reason: string): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    for (const pending of this.acks.values()) pending.reject(new Error(`connection closed: ${reason}`));
    this.acks.clear();
    const ws = this.ws;
    if (ws && ws.readyState !== WebSocket.CLOSED && ws.readyState !== WebSocket.CLOSING) ws.close();
    this.options.onClose?.(reason);
  }
}
