import { createClient } from 'redis';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config.js';
import type { ConsumerAuth } from '../auth/socket-auth.js';
import type { RemoteUsage } from '../auth/user-limits.js';
import { DEFAULT_KEY_PREFIX } from './store-keys.js';

/** What sharing per-user usage needs of the server. */
export interface UserUsageParts {
  config: ServerConfig;
  log: Logger;
  auth: ConsumerAuth;
}

export interface UserUsageLink {
  close(): Promise<void>;
}

export interface UserUsageOptions {
  /** Prefix of the Redis keys (default 'tickfeed:', as the cluster's). */
  keyPrefix: string;
  /** How often usage is written and read, ms (default 1,000): the window in which two instances can overshoot a cap together. */
  syncIntervalMs: number;
}

export const DEFAULT_USER_USAGE_OPTIONS: UserUsageOptions = Object.freeze({ keyPrefix: DEFAULT_KEY_PREFIX, syncIntervalMs: 1_000 });

/** Shares per-user usage over REDIS_URL (what main.ts passes as `deps.userUsage` with AUTH_MODE=jwt). */
export const redisUserUsage = createRedisUserUsage();

/**
 * Per-user limits across instances, eventually consistent: every sync each
 * instance rewrites one hash of its own (`user-usage:<serverId>`, sub → held,
 * expiring unless refreshed, so a dead instance's entries vanish), heartbeats
 * in a sorted set of instances, and reads the live instances' entries for the
 * users connected to it. Checks stay synchronous against that view: a user
 * can exceed a cap across instances by at most what it adds within one sync.
 * With Redis away the view ages out and each instance enforces its own limits.
 */
export function createRedisUserUsage(overrides: Partial<UserUsageOptions> = {}): (parts: UserUsageParts) => Promise<UserUsageLink> {
  const options = { ...DEFAULT_USER_USAGE_OPTIONS, ...overrides };
  return (parts) => Promise.resolve(shareUserUsage(parts, options));
}

function shareUserUsage({ config, log, auth }: UserUsageParts, options: UserUsageOptions): UserUsageLink {
  const url = config.redisUrl;
  if (url === undefined) throw new Error('sharing user usage needs REDIS_URL');
  const staleMs = options.syncIntervalMs * 3;
  const ownKey = `${options.keyPrefix}user-usage:${config.serverId}`;
  const instancesKey = `${options.keyPrefix}user-usage-instances`;
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 5_000, reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 10), 1_000) },
  });
  // Outages are reported by the cluster's health check; here they only age the view out.
  client.on('error', () => undefined);
  void client.connect().catch(() => undefined);

  let remote = new Map<string, { held: number; instances: number }>();
  let fresh = 0;
  const view: RemoteUsage = {
    held: (sub) => (Date.now() - fresh > staleMs ? 0 : (remote.get(sub)?.held ?? 0)),
    instances: (sub) => (Date.now() - fresh > staleMs ? 0 : (remote.get(sub)?.instances ?? 0)),
  };
  auth.setRemoteUsage(view);

  let running = false;
  async function sync(): Promise<void> {
    if (running || !client.isReady) return;
    running = true;
    try {
      const usage = auth.localUsage();
      const now = Date.now();
      const write = client.multi().del(ownKey);
      if (usage.size > 0) {
        write.hSet(ownKey, Object.fromEntries([...usage].map(([sub, held]) => [sub, String(held)]))).pExpire(ownKey, staleMs);
      }
      await write.zAdd(instancesKey, { score: now, value: config.serverId }).zRemRangeByScore(instancesKey, '-inf', now - 100 * staleMs).exec();
      const next = new Map<string, { held: number; instances: number }>();
      const subs = [...usage.keys()];
      if (subs.length > 0) {
        const others = (await client.zRangeByScore(instancesKey, now - staleMs, '+inf')).filter((id) => id !== config.serverId);
        for (const id of others) {
          const values = await client.hmGet(`${options.keyPrefix}user-usage:${id}`, subs);
          values.forEach((value, i) => {
            if (value === null) return;
            const entry = next.get(subs[i]!) ?? { held: 0, instances: 0 };
            entry.held += Number(value) || 0;
            entry.instances++;
            next.set(subs[i]!, entry);
          });
        }
      }
      remote = next;
      fresh = Date.now();
    } catch (error) {
      log.debug({ error: error instanceof Error ? error.message : 'unknown' }, 'user usage sync failed; per-instance limits apply');
    } finally {
      running = false;
    }
  }

  const timer = setInterval(() => void sync(), options.syncIntervalMs);
  timer.unref();
  return {
    async close() {
      clearInterval(timer);
      auth.setRemoteUsage({ held: () => 0, instances: () => 0 });
      try {
        if (client.isReady) await client.multi().del(ownKey).zRem(instancesKey, config.serverId).exec();
      } catch {
        // Redis is away: the hash expires on its own.
      }
      client.destroy();
    },
  };
}
