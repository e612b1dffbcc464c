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

/** Tracks the open Engine.IO connections of a server, so a drain can cut off the ones left. */
export function trackConnections(io: FeedIo): ConnectionTracker {
  const open = new Set<EngineConnection>();
  let onEmpty: (() => void) | undefined;
  io.engine.on('connection', (conn: EngineConnection) => {
    open.add(conn);
    conn.once('close', () => {
      open.delete(conn);
      if (open.size === 0) onEmpty?.();
    });
  });
  return {
    async waitAllClosed(timeoutMs) {
      if (open.size === 0) return true;
      let timer: NodeJS.Timeout | undefined;
      const closed = await Promise.race([
        new Promise<boolean>((resolve) => (onEmpty = () => resolve(true))),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
      ]);
      clearTimeout(timer);
      onEmpty = undefined;
      return closed;
    },
    terminateAll() {
      for (const conn of [...open]) terminateEngineSocket(conn);
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
