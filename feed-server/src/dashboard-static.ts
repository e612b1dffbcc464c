import fastifyCompress from '@fastify/compress';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';

/** Vite names built assets after their content (`assets/index-3BupzPfQ.js`): such a file never changes. */
const HASHED_ASSET = /[\\/]assets[\\/][^\\/]+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** index.html names the current assets: always revalidated (cheap with its ETag). */
const REVALIDATE = 'no-cache';

/**
 * The built dashboard at `/`: compressed (br/gzip, as the browser accepts),
 * hashed assets cached for a year as immutable, everything else revalidated.
 * Compression is registered in this plugin's own scope, so API replies and the
 * SSE stream are not touched by it. Source maps are only there when the build
 * was asked for them (DASHBOARD_SOURCEMAP=1, see dashboard/README.md).
 */
export function dashboardStatic(root: string): FastifyPluginAsync {
  return async (instance: FastifyInstance) => {
    await instance.register(fastifyCompress, { global: true, threshold: 1024 });
    await instance.register(fastifyStatic, {
      root,
      prefix: '/',
      index: 'index.html',
      cacheControl: false,
      setHeaders: (res, path) => {
        res.setHeader('cache-control', HASHED_ASSET.test(path) ? IMMUTABLE : REVALIDATE);
      },
    });
  };
}
