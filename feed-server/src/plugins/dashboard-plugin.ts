import type { FastifyPluginAsync } from 'fastify';
import fastifyStatic from '@fastify/static';

/** The built dashboard (DASHBOARD_DIR) at `/`. */
export const dashboardPlugin: FastifyPluginAsync<{ dir: string }> = async (fastify, { dir }) => {
  await fastify.register(fastifyStatic, { root: dir, prefix: '/', index: 'index.html' });
};
