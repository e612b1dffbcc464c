import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Registry } from 'prom-client';

export interface Readiness {
  ready(): { ready: boolean; reasons: string[] };
}

const Health = Type.Object({ status: Type.String(), serverId: Type.String(), reasons: Type.Optional(Type.Array(Type.String())) });

/** Liveness, readiness and Prometheus metrics. */
export function opsRoutes(serverId: string, readiness: Readiness, registry: Registry): FastifyPluginAsyncTypebox {
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
    app.get('/metrics', { schema: { summary: 'Prometheus metrics', hide: false } }, async (_req, reply) => {
      const text = await registry.metrics();
      return reply.type(registry.contentType).send(text);
    });
  };
}
