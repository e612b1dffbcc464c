import { createAdapter } from '@socket.io/redis-adapter';
import type { ClusterParts } from '../app.js';
import { NO_REPLICATION } from '../feed-core.js';
import { NO_BOOK_REPLICATION } from '../book/book-ingest.js';
import type { ClusterLink } from './cluster-link.js';
import type { ClusterContext } from './cluster-context.js';
import { closeClient, connectWithin, createRedisClients, destroyClients, quietPublishes, redactUrl } from './redis-clients.js';
import { RedisHealth } from './redis-health.js';
import { SharedStore } from './shared-store.js';
import { StoreWriter } from './store-writer.js';
import { SymbolSync } from './symbol-sync.js';
import { DEFAULT_KEY_PREFIX } from './store-keys.js';
import { StatusRelay } from './status-relay.js';
import { Reconciler, reconcileWithStore } from './reconciler.js';
import { declareThroughStore } from './store-declare.js';
import { catchUpForBookSubscribe, catchUpForSubscribe } from './subscribe-catch-up.js';
import { listenToInstances } from './instance-events.js';
import { BookStore } from './book-store.js';
import { BookLink } from './book-link.js';

/** Tuning of the cluster link; the defaults suit production, tests shorten some. */
export interface RedisClusterOptions {
  /** Prefix of every Redis key and channel (default 'tickfeed:'). */
  keyPrefix: string;
  /** How often each instance compares its state with the store's and repairs differences, ms (default 2,000). */
  reconcileIntervalMs: number;
  /** How often Redis is probed with PING, ms (default 1,000). */
  healthCheckIntervalMs: number;
  /** A probe unanswered this long counts as Redis down, ms (default 2,000). */
  healthCheckTimeoutMs: number;
  /** Longest a publisher's ack waits for the store write, ms (default 2,000). */
  ackTimeoutMs: number;
  /** How long a starting instance waits for Redis before giving up, ms (default 15,000). */
  startupTimeoutMs: number;
  /** Longest pause between reconnect attempts, ms (default 1,000). */
  reconnectMaxDelayMs: number;
  /** Longest a resuming subscribe waits for this instance to catch up with the store, ms (default 1,000). */
  catchUpTimeoutMs: number;
  /** Longest a control command forwarded to other instances waits for their answers, ms (default 5,000). */
  controlTimeoutMs: number;
  /** Longest the drain waits for store writes in flight, ms (default 2,000). */
  closeTimeoutMs: number;
}

export const DEFAULT_CLUSTER_OPTIONS: RedisClusterOptions = Object.freeze({
  keyPrefix: DEFAULT_KEY_PREFIX,
  reconcileIntervalMs: 2_000,
  healthCheckIntervalMs: 1_000,
  healthCheckTimeoutMs: 2_000,
  ackTimeoutMs: 2_000,
  startupTimeoutMs: 15_000,
  reconnectMaxDelayMs: 1_000,
  catchUpTimeoutMs: 1_000,
  controlTimeoutMs: 5_000,
  closeTimeoutMs: 2_000,
});

/** Joins the instances sharing REDIS_URL (what main.ts passes as `deps.cluster`). */
export const redisCluster = createRedisCluster();

export function createRedisCluster(overrides: Partial<RedisClusterOptions> = {}): (parts: ClusterParts) => Promise<ClusterLink> {
  const options: RedisClusterOptions = { ...DEFAULT_CLUSTER_OPTIONS, ...overrides };
  return (parts) => joinCluster(parts, options);
}

/**
 * Connects this instance to Redis and to the other instances:
 * - fan-out: Socket.IO's Redis adapter carries the inter-server events; each
 *   instance delivers to its own clients from its own rooms (instance-events.ts);
 * - shared state: what this instance ingests is written to the store before
 *   it is announced (StoreWriter); declares go through the store first
 *   (store-declare.ts), so epochs and the last seq are the same whichever
 *   instance a publisher reaches; a subscribe naming what this instance has
 *   not heard of yet waits for a catch-up (subscribe-catch-up.ts);
 * - repair: gaps, missed declares, Redis outages and restarts are reconciled
 *   against the store (SymbolSync, reconciler.ts), never left silent.
 * Resolves once the universe is loaded, so the instance serves correct
 * snapshots and candles from its first request.
 */
async function joinCluster(parts: ClusterParts, options: RedisClusterOptions): Promise<ClusterLink> {
  const { config, io, core, controller, metrics, books } = parts;
  const log = parts.log.child({ component: 'cluster' });
  const url = config.redisUrl;
  if (url === undefined) throw new Error('the cluster link needs REDIS_URL');

  const clients = createRedisClients(url, options);
  const store = new SharedStore(
    clients.store,
    { historyTicks: config.historyTicks, candlesPerInterval: config.candlesPerInterval },
    options.keyPrefix,
  );
  let closed = false;
  const reconciler = new Reconciler(() => reconcileWithStore(ctx, writer, status));
  const health = new RedisHealth(
    clients.all,
    { prepare: () => store.loadScripts(), probe: () => store.ping(), onUp: () => reconciler.request(), onDown: () => undefined },
    { checkIntervalMs: options.healthCheckIntervalMs, checkTimeoutMs: options.healthCheckTimeoutMs },
    metrics.redisUp,
    log,
  );
  await connectWithin(clients, url, options.startupTimeoutMs);
  // The adapter subscribes at once, which needs a connected client (node-redis drops the listener otherwise).
  io.adapter(
    createAdapter(quietPublishes(clients.pub), clients.sub, { key: store.keys.adapterChannel, requestsTimeout: options.controlTimeoutMs }),
  );

  const ctx: ClusterContext = {
    core,
    io,
    serverId: config.serverId,
    store,
    sync: new SymbolSync(core, store, log),
    health,
    log,
    isOpen: () => !closed,
  };
  const writer = new StoreWriter(
    core,
    store,
    {
      healthy: () => health.healthy && !closed,
      announce: (epochs, tickJsons) => {
        if (!closed) io.serverSideEmit('cluster:ticks', config.serverId, epochs, tickJsons);
      },
      announceHeads: (heads) => {
        if (!closed) io.serverSideEmit('cluster:changed', config.serverId, heads);
      },
      diverged: (symbol) => void ctx.sync.sync(symbol, 'resync'),
      behind: () => reconciler.request(),
      noteFailure: (error) => health.noteFailure(error),
    },
    { candlesPerInterval: config.candlesPerInterval, ackTimeoutMs: options.ackTimeoutMs },
    log,
  );
  const status = new StatusRelay(ctx);
  const bookLink = new BookLink({
    books,
    store: new BookStore(clients.store, store.keys, config.bookHistoryUpdates),
    announce: (epochs, jsons) => {
      if (!closed) io.serverSideEmit('cluster:book', config.serverId, epochs, jsons);
    },
    usable: () => health.healthy && !closed,
    noteFailure: (error) => health.noteFailure(error),
    ackTimeoutMs: options.ackTimeoutMs,
    log,
  });

  core.replicator = {
    ticks: (entries) => writer.write(entries),
    declare: (request) => {
      if (closed) return;
      // Every declared symbol's epoch, not only the new ones: receivers compare them with their books.
      const epochs: Record<string, string> = {};
      for (const decl of request.symbols) {
        const book = core.market.get(decl.symbol);
        if (book !== undefined) epochs[decl.symbol] = book.epoch;
      }
      io.serverSideEmit('cluster:declare', config.serverId, request, epochs);
    },
    status: (next) => status.set(next),
    prepareDeclare: (request) => declareThroughStore(ctx, request),
    prepareSubscribe: (request) => catchUpForSubscribe(ctx, request, options.catchUpTimeoutMs),
  };
  listenToInstances(ctx, controller);
  io.on('cluster:book', (_origin, epochs, jsons) => {
    if (!closed && Array.isArray(jsons) && typeof epochs === 'object' && epochs !== null) bookLink.onRemote(epochs, jsons);
  });

  health.start();
  if (!(await health.waitUntilUp(options.startupTimeoutMs))) {
    closed = true;
    health.stop();
    destroyClients(clients.all);
    throw new Error(`REDIS_URL: ${redactUrl(url)} accepted connections but did not become usable`);
  }
  await reconciler.settled();
  // Every instance names its books as the store does, so a book resume point is valid on each (L26).
  books.state.setCopy(await bookLink.copy(books.state.copy));
  await Promise.allSettled([...core.market.all()].filter((b) => b.meta.book === true).map((b) => bookLink.sync(b.meta.symbol)));
  books.ingest.replication = bookLink;
  books.prepareSubscribe = (request) => catchUpForBookSubscribe(ctx, books.state, (symbol) => bookLink.sync(symbol), request, options.catchUpTimeoutMs);
  try {
    const stored = await store.readFeedStatus();
    if (stored !== null) core.setStatus(stored);
  } catch (error) {
    health.noteFailure(error);
  }
  const timer = setInterval(() => reconciler.request(), options.reconcileIntervalMs);
  timer.unref();
  log.info({ symbols: core.market.size, redis: redactUrl(url) }, 'joined the cluster');

  return {
    healthy: () => health.healthy && !closed,
    async close() {
      if (closed) return;
      // Writes already accepted finish first, so another instance can serve what this one acknowledged.
      await writer.idle(options.closeTimeoutMs);
      await bookLink.idle(options.closeTimeoutMs);
      closed = true;
      books.ingest.replication = NO_BOOK_REPLICATION;
      books.prepareSubscribe = undefined;
      clearInterval(timer);
      health.stop();
      core.replicator = NO_REPLICATION;
      controller.remote = undefined;
      await Promise.all(clients.all.map((client) => closeClient(client)));
    },
  };
}
