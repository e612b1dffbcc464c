import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { apiRoutes } from '../rest/api-routes.js';
import { streamRoute } from '../rest/stream-route.js';
import { opsRoutes } from '../rest/ops-routes.js';
import type { PartOptions } from './server-parts.js';

/** The REST API (/api), the SSE stream (/api/stream), and health, readiness and metrics. */
export const restRoutesPlugin: FastifyPluginAsyncTypebox<PartOptions> = async (fastify, { config }) => {
  const { core, controller, sse, quotes } = fastify.feed;
  const access = fastify.access.rest;
  const store = fastify.durableStore;
  const { lifecycle } = fastify;
  await fastify.register(apiRoutes(core, controller, access, store));
  await fastify.register(
    streamRoute(core, sse, config.maxSymbolsPerRequest, fastify.realtime.gate, access, fastify.books, {
      hub: quotes,
      minThrottleMs: config.quotesMinThrottleMs,
    }),
  );
  await fastify.register(fastify.books.routes(access));
  await fastify.register(
    opsRoutes(
      config.serverId,
      {
        ready() {
          const reasons: string[] = [];
          if (lifecycle.draining) reasons.push('draining');
          if (!lifecycle.redisHealthy()) reasons.push('redis unavailable');
          const refusal = store?.refusal();
          if (refusal !== undefined && refusal !== null) reasons.push(refusal);
          return { ready: reasons.length === 0, reasons };
        },
      },
      fastify.feedMetrics.registry,
      config.metricsToken,
    ),
  );
};
