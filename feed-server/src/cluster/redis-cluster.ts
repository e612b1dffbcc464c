import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { createAdapter } from '@socket.io/redis-adapter';
import {
  ErrorCode,
  Events,
  errorReply,
  isValidSymbol,
  type DeclareRequest,
  type FeedStatus,
} from '@tickfeed/protocol';
import type { ClusterParts } from '../app.js';
import { NO_REPLICATION, type PreparedDeclare } from '../feed-core.js';
import type { ClusterLink } from './cluster-link.js';
import { RedisHealth } from './redis-health.js';
import { SharedStore, type RedisClient } from './shared-store.js';
import { StoreWriter } from './store-writer.js';
import { SymbolSync } from './symbol-sync.js';
import { DEFAULT_KEY_PREFIX } from './store-keys.js';
import type { StoreHead } from './store-codec.js';

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

/** Subscribes of one connection that may wait for a catch-up at once. */
const MAX_QUEUED_CATCH_UPS = 4;

/** Joins the instances sharing REDIS_URL (what main.ts passes as `deps.cluster`). */
export const redisCluster = createRedisCluster();

export function createRedisCluster(overrides: Partial<RedisClusterOptions> = {}): (parts: ClusterParts) => Promise<ClusterLink> {
  const options: RedisClusterOptions = { ...DEFAULT_CLUSTER_OPTIONS, ...overrides };
  return (parts) => joinCluster(parts, options);
}

/**
 * Connects this instance to Redis and to the other instances:
 * - fan-out: Socket.IO's Redis adapter carries the inter-server events; each
 *   instance delivers to its own clients from its own rooms;
 * - shared state: what this instance ingests is written to the store before
 *   it is announced; declares go through the store first, so epochs and the
 *   last seq are the same whichever instance a publisher reaches;
 * - repair: gaps, missed declares, Redis outages and restarts are reconciled
 *   against the store (SymbolSync, StoreWriter.push), never left silent.
 * Resolves once the universe is loaded, so the instance serves correct
 * snapshots and candles from its first request.
 */
async function joinCluster(parts: ClusterParts, options: RedisClusterOptions): Promise<ClusterLink> {
  const { config, io, core, controller, metrics } = parts;
  const log = parts.log.child({ component: 'cluster' });
  const url = config.redisUrl;
  if (url === undefined) throw new Error('the cluster link needs REDIS_URL');
  const serverId = config.serverId;

  const socket = {
    connectTimeout: 5_000,
    reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 10), options.reconnectMaxDelayMs),
  };
  // Store commands fail fast while Redis is away (no offline queue): callers fall back and reconcile later.
  const storeClient: RedisClient = createClient({ url, socket, disableOfflineQueue: true });
  // The adapter's clients; node-redis restores the subscriptions after a reconnect.
  const pubClient: RedisClient = createClient({ url, socket });
  const subClient: RedisClient = pubClient.duplicate();
  const clients = [storeClient, pubClient, subClient];

  const store = new SharedStore(
    storeClient,
    { historyTicks: config.historyTicks, candlesPerInterval: config.candlesPerInterval },
    options.keyPrefix,
  );
  let closed = false;
  const reconciler = new Reconciler(() => reconcile());
  const health = new RedisHealth(
    clients,
    {
      prepare: () => store.loadScripts(),
      probe: () => store.ping(),
      onUp: () => reconciler.request(),
      onDown: () => undefined,
    },
    { checkIntervalMs: options.healthCheckIntervalMs, checkTimeoutMs: options.healthCheckTimeoutMs },
    metrics.redisUp,
    log,
  );

  // connect() resolves on the first successful connection and keeps retrying until then.
  const connected = await within(Promise.all(clients.map((c) => c.connect())), options.startupTimeoutMs);
  if (!connected) {
    for (const client of clients) client.destroy();
    throw new Error(`REDIS_URL: no answer from ${redactUrl(url)} within ${options.startupTimeoutMs} ms`);
  }
  // The adapter subscribes at once, which needs a connected client (node-redis drops the listener otherwise).
  io.adapter(
    createAdapter(quietPublishes(pubClient), subClient, { key: store.keys.adapterChannel, requestsTimeout: options.controlTimeoutMs }),
  );

  const sync = new SymbolSync(core, store, log);
  const writer = new StoreWriter(
    core,
    store,
    {
      healthy: () => health.healthy && !closed,
      announce: (epochs, tickJsons) => {
        if (!closed) io.serverSideEmit('cluster:ticks', serverId, epochs, tickJsons);
      },
      announceHeads: (heads) => {
        if (!closed) io.serverSideEmit('cluster:changed', serverId, heads);
      },
      diverged: (symbol) => void sync.sync(symbol, 'resync'),
      behind: () => reconciler.request(),
      noteFailure: (error) => health.noteFailure(error),
    },
    { candlesPerInterval: config.candlesPerInterval, ackTimeoutMs: options.ackTimeoutMs },
    log,
  );

  let localStatus: FeedStatus | undefined;
  let statusStored = true;
  const storeStatus = async (status: FeedStatus): Promise<void> => {
    if (closed || !health.healthy) return;
    try {
      await store.writeFeedStatus(status);
      if (localStatus === status) statusStored = true;
      io.serverSideEmit('cluster:status', serverId, status);
    } catch (error) {
      health.noteFailure(error);
    }
  };

  core.replicator = {
    ticks: (entries) => writer.write(entries),
    declare: (request) => {
      if (closed) return;
      const epochs: Record<string, string> = {};
      for (const decl of request.symbols) {
        const book = core.market.get(decl.symbol);
        if (book !== undefined) epochs[decl.symbol] = book.epoch;
      }
      io.serverSideEmit('cluster:declare', serverId, request, epochs);
    },
    status: (status) => {
      localStatus = status;
      statusStored = false;
      void storeStatus(status);
    },
    prepareDeclare: (request) => prepareDeclare(request),
  };

  /**
   * A declare is answered from the store: the epoch it holds, and this
   * instance's book brought up to the store's last seq first, so a publisher
   * that moved here continues each symbol's seq where it left off.
   */
  async function prepareDeclare(request: DeclareRequest): Promise<PreparedDeclare> {
    const unavailable = errorReply(
      ErrorCode.STORE_UNAVAILABLE,
      'the shared store (Redis) is unreachable, so the last seq of each symbol is not known here; retry shortly',
    );
    if (closed || !health.healthy) return unavailable;
    try {
      const reset = request.reset === true;
      const heads = await store.declare(
        request.symbols.map((decl) => ({ decl, epoch: randomBytes(6).toString('base64url') })),
        reset,
      );
      const epochs: Record<string, string> = {};
      const behind: Promise<void>[] = [];
      request.symbols.forEach((decl, i) => {
        const head = heads[i]!;
        epochs[decl.symbol] = head.epoch;
        if (!reset && isBehind(decl.symbol, head)) behind.push(sync.sync(decl.symbol, 'resync'));
      });
      await Promise.all(behind);
      if (!reset && request.symbols.some((decl, i) => isBehind(decl.symbol, heads[i]!))) return unavailable;
      return { ok: true, epochs };
    } catch (error) {
      health.noteFailure(error);
      log.warn({ err: error instanceof Error ? error.message : String(error) }, 'declare could not reach the shared store');
      return unavailable;
    }
  }

  function isBehind(symbol: string, head: StoreHead): boolean {
    const book = core.market.get(symbol);
    return book === undefined || book.epoch !== head.epoch || book.stats.seq < head.seq;
  }

  /** Compares every symbol with the store and repairs what differs, in whichever direction. */
  async function reconcile(): Promise<void> {
    if (closed || !health.healthy) return;
    const heads = await store.heads();
    const tasks: Promise<unknown>[] = [];
    const push = new Set(writer.behindList());
    for (const book of core.market.all()) {
      const head = heads.get(book.meta.symbol);
      if (head === undefined || (head.epoch === book.epoch && head.seq < book.stats.seq)) push.add(book.meta.symbol);
    }
    for (const symbol of push) {
      tasks.push(
        writer.push(symbol, heads.get(symbol)).then((sameHistory) => (sameHistory ? undefined : sync.sync(symbol, 'resync'))),
      );
    }
    for (const [symbol, head] of heads) if (!push.has(symbol) && isBehind(symbol, head)) tasks.push(sync.sync(symbol, 'resync'));
    if (!statusStored && localStatus !== undefined) tasks.push(storeStatus(localStatus));
    await Promise.allSettled(tasks);
  }

  io.on('cluster:ticks', (_origin, epochs, tickJsons) => {
    if (!closed && Array.isArray(tickJsons) && typeof epochs === 'object' && epochs !== null) sync.onRemoteTicks(epochs, tickJsons);
  });
  io.on('cluster:declare', (_origin, request, epochs) => {
    if (!closed && Array.isArray(request?.symbols) && typeof epochs === 'object' && epochs !== null) sync.onRemoteDeclare(request, epochs);
  });
  io.on('cluster:status', (_origin, status) => {
    if (!closed) core.setStatus(status);
  });
  io.on('cluster:changed', (_origin, heads) => {
    if (closed || typeof heads !== 'object' || heads === null) return;
    for (const [symbol, head] of Object.entries(heads)) if (isBehind(symbol, head)) void sync.sync(symbol, 'resync');
  });
  io.on('cluster:control', (_origin, command, ack) => {
    controller.sendLocal(command).then(
      (reply) => ack(reply),
      () => ack(null),
    );
  });

  controller.remote = async (command) => {
    if (closed || !health.healthy) {
      return errorReply(ErrorCode.STORE_UNAVAILABLE, 'the other instances are unreachable (Redis is down)');
    }
    try {
      const replies = await io.serverSideEmitWithAck('cluster:control', serverId, command);
      const reply = replies.find((r) => r !== null && r !== undefined);
      return reply ?? errorReply(ErrorCode.NO_CONTROLLABLE_FEED, 'no connected publisher accepts control commands');
    } catch {
      return errorReply(ErrorCode.NO_CONTROLLABLE_FEED, 'no instance answered the control command in time');
    }
  };

  // A subscribe may name what this instance has not heard of yet: a symbol just declared on another
  // instance, or a resume point from a client that was on another instance a moment ago. Catch up
  // from the store before the subscribe is answered.
  io.of('/').on('connection', (client) => {
    let queued = 0;
    let tail = Promise.resolve();
    client.use((packet, next) => {
      // Catching up costs store reads (concurrent ones for a symbol share one); a socket that piles
      // up subscribes gets them answered from local state instead.
      const behind = packet[0] === Events.subscribe && queued < MAX_QUEUED_CATCH_UPS ? symbolsBehind(packet[1]) : undefined;
      if (queued === 0 && behind === undefined) return next();
      // Later packets wait too, so requests are still handled in the order they came.
      queued++;
      tail = tail
        .then(() => (behind !== undefined ? catchUp(behind) : undefined))
        .then(() => {
          queued--;
          next();
        });
    });
  });

  /** Symbols of a subscribe this instance may be behind on: resumed ahead of it, or unknown here. */
  function symbolsBehind(raw: unknown): { lagging: string[]; unknown: string[] } | undefined {
    if (closed || !health.healthy || typeof raw !== 'object' || raw === null) return undefined;
    const { symbols, resume } = raw as { symbols?: unknown; resume?: unknown };
    const lagging: string[] = [];
    const unknown: string[] = [];
    if (Array.isArray(symbols)) {
      for (const symbol of symbols.slice(0, config.maxSymbolsPerRequest)) {
        if (isValidSymbol(symbol) && !core.market.has(symbol as string)) unknown.push(symbol as string);
      }
    }
    if (typeof resume === 'object' && resume !== null) {
      for (const [symbol, point] of Object.entries(resume).slice(0, config.maxSymbolsPerRequest)) {
        if (typeof point !== 'object' || point === null || !isValidSymbol(symbol)) continue;
        const { epoch, seq } = point as { epoch?: unknown; seq?: unknown };
        if (typeof epoch !== 'string' || typeof seq !== 'number') continue;
        const book = core.market.get(symbol);
        if (book !== undefined && (book.epoch !== epoch || book.stats.seq < seq)) lagging.push(symbol);
      }
    }
    return lagging.length > 0 || unknown.length > 0 ? { lagging, unknown } : undefined;
  }

  async function catchUp({ lagging, unknown }: { lagging: string[]; unknown: string[] }): Promise<void> {
    const work = (async () => {
      // One membership check for all unknown names, so made-up symbols cost one command.
      const known = await store.inUniverse(unknown);
      await Promise.allSettled([...lagging, ...known].map((s) => sync.sync(s, 'resync')));
    })();
    await within(work.catch(() => undefined), options.catchUpTimeoutMs);
  }

  health.start();
  if (!(await health.waitUntilUp(options.startupTimeoutMs))) {
    closed = true;
    health.stop();
    for (const client of clients) client.destroy();
    throw new Error(`REDIS_URL: ${redactUrl(url)} accepted connections but did not become usable`);
  }
  await reconciler.settled();
  try {
    const status = await store.readFeedStatus();
    if (status !== null) core.setStatus(status);
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
      closed = true;
      clearInterval(timer);
      health.stop();
      core.replicator = NO_REPLICATION;
      controller.remote = undefined;
      await Promise.all(clients.map((client) => closeClient(client)));
    },
  };
}

/** Runs one reconcile at a time; a request during a run schedules one more. */
class Reconciler {
  private running: Promise<void> | undefined;
  private again = false;

  constructor(private readonly run: () => Promise<void>) {}

  request(): void {
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
    });
  }

  /** Resolves when no reconcile is running or scheduled. */
  async settled(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.run();
      } catch {
        // Redis went away mid-way; the health transition back to up requests another run.
      }
    } while (this.again);
  }
}

async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The adapter does not handle a failed PUBLISH (Redis gone with the command in
 * flight): without this, each would be an unhandled rejection. A lost
 * announcement is repaired by the receivers' gap detection and the reconcile.
 */
function quietPublishes(client: RedisClient): RedisClient {
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

async function closeClient(client: RedisClient): Promise<void> {
  if (!client.isOpen) return;
  if (!client.isReady || !(await within(client.close(), 1_000).catch(() => false))) client.destroy();
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
