import type { ConsumerSocket, FeedIo } from '../types.js';

interface EngineTransport {
  name: string;
  /** The `ws` WebSocket under Engine.IO's websocket transport. */
  socket?: { terminate?: () => void };
}

/**
 * Disconnects a client at once, even one that stopped reading. Socket.IO's
 * disconnect waits for the outbound buffer to drain, which a stalled client
 * never does; destroying the WebSocket frees its resources now.
 */
export function terminateConnection(socket: ConsumerSocket): void {
  socket.disconnect(true);
  terminateEngineSocket(socket.conn);
}

/** How often a drain looks whether every connection has closed, ms. */
const CLOSED_POLL_MS = 25;

/**
 * The open Engine.IO connections of a server, so a drain can cut off the
 * ones left. Reads Engine.IO's own registry rather than keeping a second one:
 * a listener per connection would cost memory on every idle connection for
 * something used once, at shutdown.
 */
export function trackConnections(io: FeedIo): ConnectionTracker {
  const engine = io.engine;
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
      // Engine.IO documents `clients` (open connections by id); its typings mark it protected.
      const clients = (engine as unknown as { clients: Record<string, EngineConnection> }).clients;
      for (const conn of Object.values(clients)) terminateEngineSocket(conn);
    },
  };
}

export interface ConnectionTracker {
  /** Resolves true once every connection has closed, false when the timeout came first. */
  waitAllClosed(timeoutMs: number): Promise<boolean>;
  terminateAll(): void;
}

type EngineConnection = ConsumerSocket['conn'];

function terminateEngineSocket(conn: EngineConnection): void {
  // Engine.IO does not expose terminate: reach the ws socket of its websocket transport.
  const transport = conn.transport as unknown as EngineTransport;
  if (transport.name === 'websocket') transport.socket?.terminate?.();
  else conn.close(true);
}
