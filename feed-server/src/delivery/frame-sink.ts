import type { ConsumerSocket } from '../types.js';

export type FrameWritten = (err?: Error | null) => void;

/** The part of ws's Sender that engine.io itself writes pre-encoded frames through (Socket.IO's room broadcasts). */
export interface FrameSender {
  sendFrame(list: Buffer[], cb?: FrameWritten): void;
}

/* What the check reads of engine.io's socket and ws's WebSocket: neither is in their typings. */
interface EngineConnView {
  readyState: string;
  upgrading: boolean;
  writeBuffer?: unknown[];
  transport: { name: string; socket?: WsView };
}
interface WsView {
  readyState: number;
  extensions?: string;
  _sender?: Partial<FrameSender>;
}

const WS_OPEN = 1;

/**
 * The sender a finished WebSocket frame for this client can be written to
 * directly, skipping engine.io's per-packet work (a packet object, events,
 * a callback queue per frame); null when the frame must go through
 * `conn.write`: long-polling, an upgrade in progress, packets still held by
 * engine.io, compression negotiated, or a closing connection.
 *
 * Order on the connection is kept: engine.io hands a packet to ws as soon
 * as its own buffer is empty, and ws without compression writes each frame
 * to the TCP socket at once, so a frame written here follows everything sent
 * before it.
 */
export function directFrameSender(socket: ConsumerSocket): FrameSender | null {
  const conn = socket.conn as unknown as EngineConnView;
  if (conn.readyState !== 'open' || conn.upgrading || (conn.writeBuffer?.length ?? 1) !== 0) return null;
  const transport = conn.transport;
  if (transport.name !== 'websocket') return null;
  const ws = transport.socket;
  if (ws === undefined || ws.readyState !== WS_OPEN || ws.extensions !== '') return null;
  const sender = ws._sender;
  return sender !== undefined && typeof sender.sendFrame === 'function' ? (sender as FrameSender) : null;
}
