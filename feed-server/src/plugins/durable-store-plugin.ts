import fp from 'fastify-plugin';
import { openDurableStore } from '../store/open-store.js';
import type { PartOptions } from './server-parts.js';

/**
 * The durable store of a single instance (DATA_DIR; `fastify.durableStore`):
 * restores the market from disk and journals what the feed applies from then
 * on. Undefined in memory-only mode; refused in cluster mode, where Redis
 * holds the history.
 */
export const durableStorePlugin = fp<PartOptions & { clustered: boolean }>(
  async (fastify, { config, log, clustered }) => {
    const { market, core, bookState } = fastify.feed;
    const store = config.dataDir !== undefined ? openDurableStore(config, market, fastify.feedMetrics, log, clustered, bookState) : undefined;
    if (store !== undefined) core.journal = store;
    fastify.decorate('durableStore', store);
  },
  { name: 'tickfeed-durable-store', dependencies: ['tickfeed-feed'] },
);
