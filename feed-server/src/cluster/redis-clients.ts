import { createClient } from 'redis';
import type { RedisClient } from './shared-store.js';
import { within } from './within.js';

/** The three connections of a cluster link: store commands, and the adapter's publisher and subscriber. */
export interface RedisClients {
  /** Store commands; fail fast while Redis is away (no offline queue): callers fall back and reconcile later. */
  store: RedisClient;
  /** The adapter's clients; node-redis restores the subscriptions after a reconnect. */
  pub: RedisClient;
  sub: RedisClient;
  all: readonly RedisClient[];
}

/** The cluster link's clients for `url`, not connected yet (register error listeners first: see RedisHealth). */
export function createRedisClients(url: string, options: { reconnectMaxDelayMs: number }): RedisClients {
  const socket = {
    connectTimeout: 5_000,
    reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 10), options.reconnectMaxDelayMs),
  };
  const store: RedisClient = createClient({ url, socket, disableOfflineQueue: true });
  const pub: RedisClient = createClient({ url, socket });
  const sub: RedisClient = pub.duplicate();
  return { store, pub, sub, all: [store, pub, sub] };
}

/**
 * Connects every client; throws with the URL (password redacted) when Redis
 * does not answer within `timeoutMs`. connect() resolves on the first
 * successful connection and keeps retrying until then.
 */
export async function connectWithin(clients: RedisClients, url: string, timeoutMs: number): Promise<void> {
  if (!(await within(Promise.all(clients.all.map((c) => c.connect())), timeoutMs))) {
    destroyClients(clients.all);
    throw new Error(`REDIS_URL: no answer from ${redactUrl(url)} within ${timeoutMs} ms`);
  }
}

export function destroyClients(clients: readonly RedisClient[]): void {
  for (const client of clients) client.destroy();
}

/** Closes politely when Redis answers within a second, else drops the connection. */
export async function closeClient(client: RedisClient): Promise<void> {
  if (!client.isOpen) return;
  if (!client.isReady || !(await within(client.close(), 1_000).catch(() => false))) client.destroy();
}

/**
 * The adapter does not handle a failed PUBLISH (Redis gone with the command in
 * flight): without this, each would be an unhandled rejection. A lost
 * announcement is repaired by the receivers' gap detection and the reconcile.
 */
export function quietPublishes(client: RedisClient): RedisClient {
  return new Proxy(client, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (property !== 'publish') return method.bind(target);
      return (...args: unknown[]) => {
        const result = method.apply(target, args);
        if (result instanceof Promise) result.catch(() => undefined);
        return result;
      };
    },
  });
}

/** The URL without its password, for logs and errors. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'REDIS_URL';
  }
}
