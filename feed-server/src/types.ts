import type { Namespace, Server, Socket } from 'socket.io';
import type {
  ClientToServerEvents,
  IngestClientToServerEvents,
  IngestServerToClientEvents,
  ServerToClientEvents,
} from '@tickfeed/protocol';
import type { TokenBucket } from './consumer/token-bucket.js';
import type { Entitlement } from './auth/entitlements.js';
import type { InterServerEvents } from './cluster/inter-server-events.js';

export interface ConsumerSocketData {
  ip: string;
  bucket: TokenBucket;
  /** What this consumer may read (ANONYMOUS with AUTH_MODE=none); set before the connection exists. */
  entitlement: Entitlement;
  /** Requests of this connection waiting behind a cluster catch-up (see consumer-namespace.ts). */
  waiting: number;
  /** The last of them; later requests are answered after it, so requests are answered in order. */
  queue: Promise<void> | undefined;
}

export interface IngestSocketData {
  ip: string;
}

export type FeedIo = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, ConsumerSocketData>;
export type ConsumerNamespace = Namespace<
  ClientToServerEvents,
  ServerToClientEvents,
  InterServerEvents,
  ConsumerSocketData
>;
export type ConsumerSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, ConsumerSocketData>;
export type IngestNamespace = Namespace<
  IngestClientToServerEvents,
  IngestServerToClientEvents,
  InterServerEvents,
  IngestSocketData
>;
export type IngestSocket = Socket<
  IngestClientToServerEvents,
  IngestServerToClientEvents,
  InterServerEvents,
  IngestSocketData
>;
