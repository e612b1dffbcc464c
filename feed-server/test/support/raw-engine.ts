import { request } from 'node:http';
import type { Socket as NetSocket } from 'node:net';
import WebSocket from 'ws';
import { SOCKET_PATH } from '@tickfeed/protocol';

/**
 * A bare Engine.IO v4 WebSocket, for what socket.io-client will not do: send
 * a namespace connect and vanish in the same breath, send junk, never join a
 * namespace, or reset the TCP connection. Answers pings so that only what the
 * test does ends it.
 */
export class RawEngine {
  readonly frames: string[] = [];
  readonly closed: Promise<void>;
  private waiters: { match: (frame: string) => boolean; resolve: (frame: string) => void }[] = [];

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => ws.once('close', () => resolve()));
    ws.on('message', (data: Buffer) => {
      const frame = data.toString();
      if (frame === '2') ws.send('3');
      this.frames.push(frame);
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(frame)) return true;
        w.resolve(frame);
        return false;
      });
    });
  }

  /** Opens the WebSocket and waits for Engine.IO's open packet; rejects when the handshake is refused. */
  static open(url: string, headers: Record<string, string> = {}): Promise<RawEngine> {
    const target = new URL(`${SOCKET_PATH}?EIO=4&transport=websocket`, url);
    target.protocol = 'ws:';
    const raw = new RawEngine(new WebSocket(target, { headers, perMessageDeflate: false }));
    return new Promise((resolve, reject) => {
      raw.ws.once('error', reject);
      raw.ws.once('unexpected-response', (_req, res) => reject(new Error(`handshake refused: ${res.statusCode}`)));
      void raw.next((f) => f.startsWith('0')).then(() => resolve(raw));
    });
  }

  /** Resolves with the first frame (already received or to come) that matches. */
  next(match: (frame: string) => boolean): Promise<string> {
    const seen = this.frames.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  send(frame: string): void {
    this.ws.send(frame);
  }

  /** The TCP connection under the WebSocket (ws keeps it private). */
  get tcp(): NetSocket {
    const socket = (this.ws as unknown as { _socket?: NetSocket })._socket;
    if (socket === undefined) throw new Error('no TCP socket');
    return socket;
  }

  /** Ends the TCP connection with a RST, as a crashed peer or a middlebox would. */
  reset(): void {
    this.tcp.resetAndDestroy();
  }
}

/** One plain HTTP request (node:http, so Host and X-Forwarded-For can be set freely). */
export function httpRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** An Engine.IO long-polling handshake; resolves with the session id. */
export async function pollingHandshake(url: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await httpRequest(`${url}${SOCKET_PATH}?EIO=4&transport=polling`, { headers });
  if (res.status !== 200) throw new Error(`handshake refused: ${res.status} ${res.body}`);
  return (JSON.parse(res.body.slice(1)) as { sid: string }).sid;
}

/** Posts Engine.IO packets (joined with the record separator) on a polling session. */
export function pollingPost(url: string, sid: string, packets: readonly string[]): Promise<{ status: number; body: string }> {
  return httpRequest(`${url}${SOCKET_PATH}?EIO=4&transport=polling&sid=${encodeURIComponent(sid)}`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain;charset=UTF-8' },
    body: packets.join('\x1e'),
  });
}
