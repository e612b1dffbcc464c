import fp from 'fastify-plugin';
import { createMetrics } from '../observability/metrics.js';

/**
 * The Prometheus metrics (`fastify.feedMetrics`). Registered first, since every
 * other part counts into it; its gauges read the parts registered after it
 * (Socket.IO, the feed) when a scrape asks, never before.
 */
export const metricsPlugin = fp(
  async (fastify) => {
    const rooms = () => {
      const { consumers } = fastify.realtime;
      let rooms = 0;
      let subscriptions = 0;
      for (const [room, members] of consumers.adapter.rooms) {
        if (consumers.sockets.has(room)) continue;
        rooms++;
        subscriptions += members.size;
      }
      return { rooms, subscriptions };
    };
    const metrics = createMetrics({
      connections: () => fastify.feed.fanout.connectionCount,
      ingestConnections: () => fastify.realtime.ingestConnections(),
      subscriptions: () => rooms().subscriptions,
      rooms: () => rooms().rooms,
      sseClients: () => fastify.feed.sse.size,
      symbols: () => fastify.feed.market.size,
      framesInflight: () => fastify.feed.fanout.framesInflight(),
      conflatingClients: () => fastify.feed.fanout.conflatingClients(),
      addressConnections: () => fastify.realtime.gate.connections.total,
      pendingSessions: () => fastify.realtime.gate.pending.total,
    });
    metrics.redisUp.set(1);
    fastify.decorate('feedMetrics', metrics);
  },
  { name: 'tickfeed-metrics' },
);
