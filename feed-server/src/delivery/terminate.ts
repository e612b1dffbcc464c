import type { ConsumerSocket, FeedIo } from '../types.js';
import { upgradeSocketOf } from './upgrade-socket.js';

type EngineConnection = ConsumerSocket['conn'];

/**
 * Disconnects a client at once, even one that stopped reading. Socket.IO's
 * disconnect waits for the outbound buffer to drain, which a stalled client
 * never does; closing the Engine.IO connection with `discard` ends it now,
 * and destroying its TCP socket frees what it did not read.
 */
export function terminateConnection(socket: ConsumerSocket): void {
  socket.disconnect(true);
  terminateEngineConnection(socket.conn);
}

/** How often a drain looks whether every connection has closed, ms. */
const CLOSED_POLL_MS = 25;

/**
 * The open Engine.IO connections of a server, so a drain can cut off the
 * ones left. Engine.IO keeps its registry to itself (`clients` is protected),
 * so this keeps its own from the public `connection` and `close` events: a
 * Set entry and one listener per connection.
 */
export function trackConnections(io: FeedIo): ConnectionTracker {
  const engine = io.engine;
  const open = new Set<EngineConnection>();
  engine.on('connection', (conn: EngineConnection) => {
    open.add(conn);
    conn.once('close', () => open.delete(conn));
  });
  return {
    async waitAllClosed(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (engine.clientsCount > 0) {
        if (Date.now() >= deadline) return false;
        await new Promise((resolve) => setTimeout(resolve, CLOSED_POLL_MS));
      }
      return true;
    },
    terminateAll() {
      for (const conn of [...open]) terminateEngineConnection(conn);
    },
  };
}

export interface ConnectionTracker {
  /** Resolves true once every connection has closed, false when the timeout came first. */
  waitAllClosed(timeoutMs: number): Promise<boolean>;
  terminateAll(): void;
}

/**
 * Closes a connection without waiting for its buffer to drain: `close(true)`
 * discards what Engine.IO still holds and closes the transport now. A
 * connection that opened directly as a WebSocket has its TCP socket as the
 * socket of its first request (the HTTP upgrade): destroying it frees the
 * bytes the client did not read at once. One that upgraded from long-polling
 * has no public handle to its WebSocket's socket; `ws` then ends the TCP
 * connection when its closing handshake times out (30 s), holding at most the
 * SLOW_CONSUMER_MAX_FRAMES frames it was given meanwhile.
 */
function terminateEngineConnection(conn: EngineConnection): void {
  conn.close(true);
  upgradeSocketOf(conn)?.destroy();
}
