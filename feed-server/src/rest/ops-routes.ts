import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Registry } from 'prom-client';
import { ErrorCode, errorReply } from '@tickfeed/protocol';
import { tokensEqual } from '../ingest/ingest-namespace.js';

export interface Readiness {
  ready(): { ready: boolean; reasons: string[] };
}

const Health = Type.Object({ status: Type.String(), serverId: Type.String(), reasons: Type.Optional(Type.Array(Type.String())) });

/** Liveness, readiness and Prometheus metrics (behind METRICS_TOKEN when set; health is always open). */
export function opsRoutes(serverId: string, readiness: Readiness, registry: Registry, metricsToken?: string): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/healthz', { schema: { summary: 'Liveness: the process serves requests', response: { 200: Health } } }, async () => ({
      status: 'ok',
      serverId,
    }));
    app.get(
      '/readyz',
      { schema: { summary: 'Readiness: accepting clients and, with Redis, connected to it', response: { 200: Health, 503: Health } } },
      async (_req, reply) => {
        const { ready, reasons } = readiness.ready();
        return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', serverId, reasons });
      },
    );
    app.get('/metrics', { schema: { summary: 'Prometheus metrics (Bearer METRICS_TOKEN when set)', hide: false } }, async (req, reply) => {
      const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (metricsToken !== undefined && (given === undefined || !tokensEqual(given, metricsToken))) {
        return reply.code(401).header('www-authenticate', 'Bearer').send(errorReply(ErrorCode.UNAUTHORIZED, 'metrics require the metrics token'));
      }
      const text = await registry.metrics();
      return reply.type(registry.contentType).send(text);
    });
  };
}
