import type { Socket } from 'node:net';
import type { ConsumerSocket } from '../types.js';

type EngineConnection = ConsumerSocket['conn'];

/**
 * The TCP socket under a connection that opened directly as a WebSocket: the
 * socket of its first request (the HTTP upgrade, Engine.IO's public
 * `request`), which `ws` then reads and writes. Null for a connection that
 * started on long-polling (its first request's socket is an HTTP one; the
 * WebSocket it may upgrade to has no public handle).
 */
export function upgradeSocketOf(conn: EngineConnection): Socket | null {
  const request = conn.request;
  return request.headers.upgrade?.toLowerCase() === 'websocket' ? request.socket : null;
}
