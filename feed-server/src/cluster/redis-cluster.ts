import type { ClusterParts } from '../app.js';
import type { ClusterLink } from './cluster-link.js';

/** Joins the instances sharing REDIS_URL. */
export async function redisCluster(parts: ClusterParts): Promise<ClusterLink> {
  throw new Error(`REDIS_URL is set (${parts.config.redisUrl ?? ''}) but scale-out is not available in this build`);
}
