import fp from 'fastify-plugin';
import type { ClusterLink } from '../cluster/cluster-link.js';
import type { UserUsageLink, UserUsageParts } from '../cluster/shared-user-usage.js';
import type { ClusterParts } from '../app.js';
import type { PartOptions } from './server-parts.js';

export interface ClusterOptions extends PartOptions {
  /** Connects this instance to the others (REDIS_URL; see main.ts). */
  join: ((parts: ClusterParts) => Promise<ClusterLink>) | undefined;
  /** Shares per-user usage with the other instances (REDIS_URL with AUTH_MODE=jwt). */
  shareUserUsage: ((parts: UserUsageParts) => Promise<UserUsageLink>) | undefined;
}

/**
 * The links to the other instances (`fastify.cluster`): the cluster link, whose
 * health the readiness check reports, and shared per-user usage (only with
 * access tokens). Joining resolves once the shared universe is loaded.
 */
export const clusterPlugin = fp<ClusterOptions>(
  async (fastify, { config, log, join, shareUserUsage }) => {
    const { core, controller } = fastify.feed;
    let link: ClusterLink | undefined;
    if (join !== undefined) {
      const joined = await join({ config, io: fastify.realtime.io, core, controller, metrics: fastify.feedMetrics, log, books: fastify.books });
      link = joined;
      fastify.lifecycle.redisHealthy = () => joined.healthy();
    }
    const userUsage =
      shareUserUsage !== undefined && fastify.access.verifier !== undefined ? await shareUserUsage({ config, log, auth: fastify.access.auth }) : undefined;
    fastify.decorate('cluster', { link, userUsage });
  },
  { name: 'tickfeed-cluster', dependencies: ['tickfeed-access-control', 'tickfeed-books'] },
);
