import fp from 'fastify-plugin';
import { Server } from 'socket.io';
import { INGEST_NAMESPACE, SOCKET_PATH } from '@tickfeed/protocol';
import { EdgeGate } from '../edge/edge-gate.js';
import { trackConnections } from '../delivery/terminate.js';
import type { ConsumerNamespace, FeedIo, IngestNamespace } from '../types.js';
import type { CorsRule, PartOptions } from './server-parts.js';

/**
 * Socket.IO on the Fastify HTTP server, behind the edge gate (connections and
 * pending sessions per address): `fastify.realtime`. The handlers of its two
 * namespaces are wired by socket-api-plugin.ts, once the feed exists.
 */
export const socketIoPlugin = fp<PartOptions & { cors: CorsRule | undefined }>(
  async (fastify, { config, cors }) => {
    const metrics = fastify.feedMetrics;
    const gate = new EdgeGate(config, (limit) => metrics.limitHits.inc({ limit }));
    const io: FeedIo = new Server(fastify.server, {
      path: SOCKET_PATH,
      serveClient: false,
      maxHttpBufferSize: config.maxPayloadBytes,
      pingInterval: config.pingIntervalMs,
      pingTimeout: config.pingTimeoutMs,
      connectTimeout: config.connectTimeoutMs,
      cors,
      // Recovery is ours (epoch + seq), so it also works across instances behind the Redis adapter.
      connectionStateRecovery: undefined,
      allowRequest: gate.allowRequest,
    });
    gate.watchSessions(io.engine);
    const consumers: ConsumerNamespace = io.of('/');
    // The /ingest namespace speaks other events; Socket.IO types every namespace with the server's event maps.
    const producers = io.of(INGEST_NAMESPACE) as unknown as IngestNamespace;
    let ingestConnections = 0;
    consumers.on('connection', (socket) => gate.joined(socket.conn));
    producers.on('connection', (socket) => {
      gate.joined(socket.conn);
      ingestConnections++;
      socket.on('disconnect', () => ingestConnections--);
    });
    fastify.decorate('realtime', {
      io,
      consumers,
      producers,
      gate,
      connections: trackConnections(io),
      ingestConnections: () => ingestConnections,
    });
  },
  { name: 'tickfeed-socket-io', dependencies: ['tickfeed-metrics'] },
);
