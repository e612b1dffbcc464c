import fp from 'fastify-plugin';
import type { FastifyError } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyCors from '@fastify/cors';
import { ErrorCode, PROTOCOL_VERSION, errorReply } from '@tickfeed/protocol';
import { codedErrorBody } from '../rest/error-bodies.js';
import type { CorsRule, PartOptions } from './server-parts.js';

/** Health and metrics: never rate limited, so probes and scrapes keep working under load. */
const UNLIMITED_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

export interface HttpEdgeOptions extends PartOptions {
  /** The CORS rule Socket.IO's handshake uses too; undefined without CORS_ORIGINS. */
  cors: CorsRule | undefined;
  /** Whether the server speaks HTTPS (HSTS then). */
  https: boolean;
}

/**
 * What every HTTP request passes: errors in the catalog's shape (one handler
 * hides 5xx internals), security headers, CORS, the REST rate limit, and the
 * OpenAPI description (/docs) of the routes registered after it.
 */
export const httpEdgePlugin = fp<HttpEdgeOptions>(
  async (fastify, { config, cors, https }) => {
    const metrics = fastify.feedMetrics;
    fastify.setErrorHandler((error: FastifyError, request, reply) => {
      const status = error.statusCode ?? 500;
      if (error.validation !== undefined) {
        return reply.code(400).send(errorReply(ErrorCode.BAD_REQUEST, error.message.slice(0, 300)));
      }
      if (status === 429) return reply.code(429).send(errorReply(ErrorCode.RATE_LIMITED, 'too many requests'));
      if (status === 413) return reply.code(413).send(errorReply(ErrorCode.PAYLOAD_TOO_LARGE, 'request body too large'));
      if (status < 500) return reply.code(status).send(errorReply(ErrorCode.BAD_REQUEST, error.message.slice(0, 300)));
      request.log.error({ err: error }, 'request failed');
      return reply.code(500).send(errorReply(ErrorCode.INTERNAL, 'internal error'));
    });
    fastify.addHook('onSend', async (_request, reply, payload) => {
      if (typeof payload !== 'string' || reply.statusCode < 400) return payload;
      return codedErrorBody(reply.statusCode, payload) ?? payload;
    });
    fastify.setNotFoundHandler((request, reply) =>
      reply.code(404).send(errorReply(ErrorCode.BAD_REQUEST, `no route ${request.method} ${request.url.slice(0, 100)}`)),
    );

    await fastify.register(fastifyHelmet, {
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          connectSrc: ["'self'", 'ws:', 'wss:'],
          imgSrc: ["'self'", 'data:'],
          styleSrc: ["'self'", "'unsafe-inline'"],
          scriptSrc: ["'self'"],
          upgradeInsecureRequests: null,
        },
      },
      hsts: https,
    });
    if (cors !== undefined) await fastify.register(fastifyCors, cors);
    if (config.restRateLimitPerMin > 0) {
      await fastify.register(fastifyRateLimit, {
        max: config.restRateLimitPerMin,
        timeWindow: 60_000,
        // By path, whatever the query string: `/metrics?x=1` is still the metrics route.
        allowList: (req) => UNLIMITED_PATHS.has(req.url.split('?', 1)[0]!),
        onExceeded: () => metrics.limitHits.inc({ limit: 'rest_rate' }),
      });
    }
    await fastify.register(fastifySwagger, {
      openapi: {
        info: {
          title: 'tickfeed',
          version: String(PROTOCOL_VERSION),
          description: 'Market data REST API. Live ticks: Socket.IO (see README) or GET /api/stream (SSE).',
        },
      },
    });
    await fastify.register(fastifySwaggerUi, { routePrefix: '/docs' });
  },
  { name: 'tickfeed-http-edge', dependencies: ['tickfeed-metrics'] },
);
