import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, errorReply, type ErrorReply } from '@tickfeed/protocol';
import type { ServerConfig } from '../config.js';
import type { ConsumerSocket } from '../types.js';
import { hostAllowed, originAllowed } from './allowed-hosts.js';
import { clientAddress } from './client-address.js';
import { ConnectionsPerIp } from './connections-per-ip.js';

type EngineConnection = ConsumerSocket['conn'];

/** The limits the gate applies, as counted in `feed_limit_hits_total{limit}`. */
export type EdgeLimit = 'connections_per_ip' | 'pending_sessions_per_ip' | 'allowed_hosts';

/** Why a long-lived stream was not admitted: the HTTP status and the coded body. */
export interface Refusal {
  readonly status: number;
  readonly body: ErrorReply;
}

/**
 * Who may open a long-lived connection, before any of its messages are read:
 * the Host allow-list and origin check, the cap on Engine.IO sessions per
 * address that have not joined a namespace, and the cap on connections per
 * address shared by Socket.IO consumers and SSE streams. Every count is
 * undone by the close of the connection it counts, however it closes.
 */
export class EdgeGate {
  /** Socket.IO consumer connections and SSE streams, per address (MAX_CONNECTIONS_PER_IP). */
  readonly connections: ConnectionsPerIp;
  /** Engine.IO sessions that have not joined a namespace yet, per address (MAX_PENDING_SESSIONS_PER_IP). */
  readonly pending: ConnectionsPerIp;
  private readonly releasePending = new WeakMap<EngineConnection, () => void>();

  constructor(
    private readonly config: ServerConfig,
    private readonly onLimit: (limit: EdgeLimit) => void,
  ) {
    this.connections = new ConnectionsPerIp(config.maxConnectionsPerIp);
    this.pending = new ConnectionsPerIp(config.maxPendingSessionsPerIp);
  }

  /** The client's address (TRUST_PROXY applied). */
  addressOf(req: IncomingMessage): string {
    return clientAddress(req, this.config.trustProxy);
  }

  /**
   * Engine.IO's `allowRequest`, run on every handshake before a session
   * exists: a refused one costs an HTTP answer, no session.
   */
  readonly allowRequest = (req: IncomingMessage, callback: (error: string | null | undefined, success: boolean) => void): void => {
    const host = req.headers.host;
    if (!hostAllowed(host, this.config.allowedHosts)) {
      this.onLimit('allowed_hosts');
      callback(`${ErrorCode.BAD_REQUEST}: host not allowed (ALLOWED_HOSTS)`, false);
      return;
    }
    // Browsers send Origin; other clients (programs) may not. Same origin or an allowed one only.
    const origin = req.headers.origin;
    if (origin !== undefined && !originAllowed(origin, host, this.config.corsOrigins)) {
      callback('origin not allowed', false);
      return;
    }
    if (this.pending.full(this.addressOf(req))) {
      this.onLimit('pending_sessions_per_ip');
      callback(`${ErrorCode.RATE_LIMITED}: too many sessions from this address have not joined a namespace`, false);
      return;
    }
    callback(null, true);
  };

  /**
   * Counts every new Engine.IO session as pending until it joins a namespace
   * (`joined`) or closes, whichever comes first. Socket.IO closes it after
   * CONNECT_TIMEOUT_MS if it never joins.
   */
  watchSessions(engine: { on(event: 'connection', listener: (conn: EngineConnection) => void): unknown }): void {
    engine.on('connection', (conn) => {
      const ip = this.addressOf(conn.request);
      // allowRequest checked the cap; handshakes in flight together may still pass it at once.
      if (!this.pending.tryAdd(ip)) {
        this.onLimit('pending_sessions_per_ip');
        conn.close(true);
        return;
      }
      const release = (): void => {
        if (!this.releasePending.delete(conn)) return;
        conn.off('close', release);
        this.pending.remove(ip);
      };
      this.releasePending.set(conn, release);
      conn.once('close', release);
    });
  }

  /** A namespace accepted the session: it no longer counts as pending. */
  joined(conn: EngineConnection): void {
    this.releasePending.get(conn)?.();
  }

  /**
   * Admits a Socket.IO consumer from `ip` on `conn`, counted until the
   * Engine.IO connection closes (not the namespace's `disconnect`, which
   * never fires for a socket Socket.IO discards). 'closed' when the
   * connection closed before its namespace request was handled.
   */
  admitConsumer(conn: EngineConnection, ip: string): 'ok' | 'full' | 'closed' {
    if (conn.readyState !== 'open') return 'closed';
    if (this.connections.holdUntilClosed(ip, conn)) return 'ok';
    this.onLimit('connections_per_ip');
    return 'full';
  }

  /** Admits an SSE stream, counted with the Socket.IO consumers until its response closes. */
  admitStream(req: IncomingMessage, ip: string, res: ServerResponse): Refusal | undefined {
    if (!hostAllowed(req.headers.host, this.config.allowedHosts)) {
      this.onLimit('allowed_hosts');
      return { status: 403, body: errorReply(ErrorCode.BAD_REQUEST, 'host not allowed (ALLOWED_HOSTS)') };
    }
    // A response already closed would never say so again: count nothing for it.
    if (res.destroyed) return { status: 400, body: errorReply(ErrorCode.BAD_REQUEST, 'the client went away') };
    if (this.connections.holdUntilClosed(ip, res)) return undefined;
    this.onLimit('connections_per_ip');
    return { status: 429, body: errorReply(ErrorCode.RATE_LIMITED, 'too many connections from this address') };
  }
}
