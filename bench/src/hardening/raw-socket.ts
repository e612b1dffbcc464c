import type { Socket as NetSocket } from 'node:net';
import WebSocket from 'ws';
import { SOCKET_PATH } from '@tickfeed/protocol';
import { SioType, decodeEio, decodeSio, type EioPacket, type SioPacket } from '../eio-codec.js';

/**
 * A bare Engine.IO v4 / Socket.IO v5 connection over `ws`, for what
 * socket.io-client will not do: send any frame at all (malformed packets,
 * binary junk, oversize messages), stop reading, and vanish without closing
 * (destroy or reset the TCP socket). Cheap enough to run hundreds at once.
 */
export interface RawSocketOptions {
  /** http://host:port of the server. */
  url: string;
  /** Namespace to connect after the handshake; null connects none (Engine.IO only). */
  namespace?: string | null;
  /** Sent with the namespace connect packet (e.g. `{ token }` for /ingest). */
  auth?: unknown;
  /** Give up the handshake after this, ms (default 10,000). */
  connectTimeoutMs?: number;
  /** Extra handshake headers (e.g. X-Forwarded-For, Host, Origin). */
  headers?: Record<string, string>;
}

/** The server answered the WebSocket handshake with an HTTP status instead of upgrading. */
export class HandshakeRefused extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`handshake refused: ${status} ${body.slice(0, 200)}`);
  }
}

/** How the connection ended, as seen from this side. */
export interface RawClose {
  /** WebSocket close code (1006: no close frame, e.g. destroyed). */
  code: number;
  reason: string;
  /** Who ended it: this side on purpose, or the server/network. */
  by: 'client' | 'server';
}

export type RawAck = { kind: 'ack'; args: unknown[] } | { kind: 'closed'; close: RawClose } | { kind: 'timeout' };

const TICKS_PREFIX = '42["ticks"';

/** How a churning client leaves (F10): politely, or as a crashed or cut-off peer would. */
export type LeaveMode = 'disconnect' | 'close' | 'destroy' | 'reset' | 'silent';

export class RawSocket {
  private readonly ws: WebSocket;
  private readonly acks = new Map<number, (result: RawAck) => void>();
  private nextId = 1;
  private closeInfo: RawClose | null = null;
  private leaving = false;
  private readonly closeWaiters: ((close: RawClose) => void)[] = [];
  /** Tick frames received (counted, not parsed). */
  tickFrames = 0;
  /** Bytes of frames received. */
  bytesIn = 0;
  /** Whether to answer the server's pings (a silent peer does not). */
  answerPings = true;
  /** Namespace connect reply: the session id, or the refusal's message. */
  connectResult: { ok: true; sid: string } | { ok: false; message: string } | null = null;
  readonly namespace: string | null;

  private constructor(
    readonly options: RawSocketOptions,
    ws: WebSocket,
  ) {
    this.ws = ws;
    this.namespace = options.namespace === undefined ? '/' : options.namespace;
  }

  /**
   * Opens the WebSocket, waits for the Engine.IO open packet and, with a
   * namespace, for its connect reply. Resolves even when the namespace
   * refuses (see connectResult); rejects when the handshake fails.
   */
  static connect(options: RawSocketOptions): Promise<RawSocket> {
    const url = new URL(SOCKET_PATH, options.url);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('EIO', '4');
    url.searchParams.set('transport', 'websocket');
    const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true, maxPayload: 256 * 1024 * 1024, headers: options.headers });
    const socket = new RawSocket(options, ws);
    return socket.handshake(options.connectTimeoutMs ?? 10_000);
  }

  get closed(): RawClose | null {
    return this.closeInfo;
  }

  get open(): boolean {
    return this.closeInfo === null && this.ws.readyState === WebSocket.OPEN;
  }

  /** The TCP socket under the WebSocket (ws keeps it private). */
  get tcp(): NetSocket | undefined {
    return (this.ws as unknown as { _socket?: NetSocket })._socket;
  }

  /** Sends one frame exactly as given: text for a string, binary for a Buffer. */
  sendRaw(data: string | Buffer): void {
    if (!this.open) return;
    this.ws.send(data, { binary: Buffer.isBuffer(data) });
  }

  /** Sends `42[/nsp,]<id>[event, ...args]` built from already-serialized JSON and waits for `43<id>`. */
  emitRawWithAck(event: string, argsJson: readonly string[], timeoutMs: number): Promise<RawAck> {
    const id = this.nextId++;
    return this.sendWithAck(id, `4${this.eventPrefix(2)}${id}[${[JSON.stringify(event), ...argsJson].join(',')}]`, timeoutMs);
  }

  /** Sends a whole frame whose ack id is `id` and waits for the ack, a close or the timeout. */
  sendWithAck(id: number, frame: string | Buffer, timeoutMs: number): Promise<RawAck> {
    if (this.closeInfo !== null) return Promise.resolve({ kind: 'closed', close: this.closeInfo });
    return new Promise<RawAck>((resolve) => {
      const timer = setTimeout(() => {
        this.acks.delete(id);
        resolve({ kind: 'timeout' });
      }, timeoutMs);
      this.acks.set(id, (result) => {
        clearTimeout(timer);
        resolve(result);
      });
      this.sendRaw(frame);
    });
  }

  /** A fresh ack id for a hand-built frame. */
  takeAckId(): number {
    return this.nextId++;
  }

  emit(event: string, ...args: unknown[]): void {
    this.sendRaw(`4${this.eventPrefix(2)}${JSON.stringify([event, ...args])}`);
  }

  emitWithAck(event: string, args: readonly unknown[], timeoutMs: number): Promise<RawAck> {
    return this.emitRawWithAck(event, args.map((a) => JSON.stringify(a) ?? 'null'), timeoutMs);
  }

  /** Stops reading (and so answering pings) without leaving: the server's writes pile up in its buffers. */
  stopReading(): void {
    this.answerPings = false;
    this.tcp?.pause();
  }

  /** Reads and answers pings again after `stopReading()`. */
  resumeReading(): void {
    this.answerPings = true;
    this.tcp?.resume();
  }

  /** Resolves when the connection is closed, however that happens. */
  whenClosed(): Promise<RawClose> {
    if (this.closeInfo !== null) return Promise.resolve(this.closeInfo);
    return new Promise((resolve) => this.closeWaiters.push(resolve));
  }

  /** Ends the connection the way `mode` says; resolves once this side is closed. */
  leave(mode: LeaveMode): Promise<RawClose> {
    this.leaving = true;
    const tcp = this.tcp;
    switch (mode) {
      case 'disconnect':
        if (this.namespace !== null) this.sendRaw(`4${this.eventPrefix(1)}`);
        this.ws.close(1000);
        break;
      case 'close':
        this.ws.close(1000);
        break;
      case 'destroy':
        this.ws.terminate();
        break;
      case 'reset':
        if (tcp !== undefined && typeof tcp.resetAndDestroy === 'function') tcp.resetAndDestroy();
        else this.ws.terminate();
        break;
      case 'silent':
        // Stop reading and answering: the server must find out by itself (heartbeat, outbound cap).
        this.stopReading();
        return Promise.resolve({ code: 0, reason: 'silent', by: 'client' });
    }
    return this.whenClosed();
  }

  /** `<type>[/nsp,]` of a packet on this socket's namespace. */
  private eventPrefix(type: number): string {
    return this.namespace === null || this.namespace === '/' ? String(type) : `${type}${this.namespace},`;
  }

  private handshake(timeoutMs: number): Promise<RawSocket> {
    return new Promise<RawSocket>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => settle(new Error(`handshake timed out after ${timeoutMs} ms`)), timeoutMs);
      const settle = (error?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error === undefined) {
          resolve(this);
        } else {
          this.ws.terminate();
          reject(error);
        }
      };
      this.ws.on('error', (error) => {
        if (!settled) settle(error);
      });
      // A refused handshake: keep the status and the body, which must name the reason.
      this.ws.on('unexpected-response', (_req, res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => settle(new HandshakeRefused(res.statusCode ?? 0, Buffer.concat(chunks).toString())));
        res.on('error', () => settle(new HandshakeRefused(res.statusCode ?? 0, Buffer.concat(chunks).toString())));
      });
      this.ws.on('close', (code, reason) => {
        this.finish({ code, reason: reason.toString() || 'closed', by: this.leaving ? 'client' : 'server' });
        if (!settled) settle(new Error(`closed during the handshake (${code})`));
      });
      this.ws.on('message', (data, isBinary) => {
        if (isBinary || !Buffer.isBuffer(data)) return;
        this.bytesIn += data.length;
        // Tick frames are most of the traffic: count them without decoding.
        if (data.length > TICKS_PREFIX.length && data.toString('latin1', 0, TICKS_PREFIX.length) === TICKS_PREFIX) {
          this.tickFrames++;
          return;
        }
        this.onFrame(data.toString(), () => settle());
      });
    });
  }

  private onFrame(frame: string, ready: () => void): void {
    let eio: EioPacket;
    let sio: SioPacket;
    try {
      eio = decodeEio(frame);
      if (eio.kind === 'ping') {
        if (this.answerPings) this.sendRaw(`3${eio.data}`);
        return;
      }
      if (eio.kind === 'open') {
        if (this.namespace === null) {
          ready();
          return;
        }
        const auth = this.options.auth === undefined ? '' : JSON.stringify(this.options.auth);
        this.sendRaw(this.namespace === '/' ? `40${auth}` : `40${this.namespace},${auth}`);
        return;
      }
      if (eio.kind !== 'message') return;
      sio = decodeSio(eio.data);
    } catch {
      // Not a packet this side understands: the server's replies are checked through what does arrive (acks time out).
      return;
    }
    switch (sio.type) {
      case SioType.EVENT: {
        if (Array.isArray(sio.data) && sio.data[0] === 'ticks') this.tickFrames++;
        return;
      }
      case SioType.ACK: {
        const waiter = sio.id === undefined ? undefined : this.acks.get(sio.id);
        if (waiter === undefined || sio.id === undefined) return;
        this.acks.delete(sio.id);
        waiter({ kind: 'ack', args: Array.isArray(sio.data) ? sio.data : [] });
        return;
      }
      case SioType.CONNECT: {
        const data = sio.data as { sid?: unknown } | undefined;
        this.connectResult ??= { ok: true, sid: typeof data?.sid === 'string' ? data.sid : '' };
        ready();
        return;
      }
      case SioType.CONNECT_ERROR: {
        const data = sio.data as { message?: unknown } | string | undefined;
        const message = typeof data === 'string' ? data : typeof data?.message === 'string' ? data.message : JSON.stringify(data ?? null).slice(0, 300);
        this.connectResult ??= { ok: false, message };
        ready();
        return;
      }
      default:
        return;
    }
  }

  private finish(close: RawClose): void {
    if (this.closeInfo !== null) return;
    this.closeInfo = close;
    for (const waiter of this.acks.values()) waiter({ kind: 'closed', close });
    this.acks.clear();
    for (const waiter of this.closeWaiters.splice(0)) waiter(close);
  }
}
