import type { FastifyPluginAsync } from 'fastify';
import { dashboardStatic } from '../dashboard-static.js';

/** The built dashboard (DASHBOARD_DIR) at `/`: compressed, hashed assets cached as immutable (dashboard-static.ts). */
export const dashboardPlugin: FastifyPluginAsync<{ dir: string }> = async (fastify, { dir }) => {
  await fastify.register(dashboardStatic(dir));
};
