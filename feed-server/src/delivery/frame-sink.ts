import type { ConsumerSocket } from '../types.js';

type FrameWritten = (err?: Error | null) => void;

/** The TCP socket under a client's WebSocket: where ws itself writes every frame. */
export interface FrameSocket {
  write(frame: string, encoding: 'latin1', cb?: FrameWritten): boolean;
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
  _socket?: Partial<FrameSocket> | null;
}

const WS_OPEN = 1;

/**
 * The socket a finished WebSocket frame for this client can be written to
 * directly, skipping engine.io's per-packet work (a packet object, events,
 * a callback queue per frame) and ws's framing; null when the frame must go
 * through `conn.write`: long-polling, an upgrade in progress, packets still
 * held by engine.io, compression negotiated, or a closing connection.
 *
 * Order on the connection is kept: engine.io hands a packet to ws as soon
 * as its own buffer is empty, and ws without compression writes each frame
 * to this socket at once, so a frame written here follows everything sent
 * before it.
 */
export function directFrameSocket(socket: ConsumerSocket): FrameSocket | null {
  const conn = socket.conn as unknown as EngineConnView;
  if (conn.readyState !== 'open' || conn.upgrading || (conn.writeBuffer?.length ?? 1) !== 0) return null;
  const transport = conn.transport;
  if (transport.name !== 'websocket') return null;
  const ws = transport.socket;
  if (ws === undefined || ws.readyState !== WS_OPEN || ws.extensions !== '') return null;
  const tcp = ws._socket;
  return tcp !== undefined && tcp !== null && typeof tcp.write === 'function' ? (tcp as FrameSocket) : null;
}
