import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import Fastify, { LogController, type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import pino, { type Logger } from 'pino';
import { ErrorCode, Events, errorReply, type IngestPort } from '@tickfeed/protocol';
import type { ServerConfig } from './config.js';
import type { FeedCore } from './feed-core.js';
import type { FeedController } from './ingest/feed-controller.js';
import { createLocalIngest } from './ingest/local-ingest.js';
import type { FeedMetrics } from './observability/metrics.js';
import type { FeedIo } from './types.js';
import type { ClusterLink } from './cluster/cluster-link.js';
import type { BookChannel } from './book/book-channel.js';
import { trustFunction } from './edge/client-address.js';
import type { UserUsageLink, UserUsageParts } from './cluster/shared-user-usage.js';
import { corsRule } from './plugins/server-parts.js';
import { metricsPlugin } from './plugins/metrics-plugin.js';
import { socketIoPlugin } from './plugins/socket-io-plugin.js';
import { feedPlugin } from './plugins/feed-plugin.js';
import { durableStorePlugin } from './plugins/durable-store-plugin.js';
import { accessControlPlugin } from './plugins/access-control-plugin.js';
import { bookPlugin } from './plugins/book-plugin.js';
import { socketApiPlugin } from './plugins/socket-api-plugin.js';
import { httpEdgePlugin } from './plugins/http-edge-plugin.js';
import { restRoutesPlugin } from './plugins/rest-routes-plugin.js';
import { dashboardPlugin } from './plugins/dashboard-plugin.js';
import { clusterPlugin } from './plugins/cluster-plugin.js';

export interface FeedServerDeps {
  /** Logger to use instead of one built from the config. */
  logger?: Logger;
  /** Source of epoch ids (default: random). */
  newEpoch?: () => string;
  /** Wall clock, epoch ms (default Date.now): bounds the ts of published ticks. */
  now?: () => number;
  /** Connects this instance to the others (set when REDIS_URL is configured; see main.ts). */
  cluster?: (parts: ClusterParts) => Promise<ClusterLink>;
  /** Shares per-user usage with the other instances (REDIS_URL with AUTH_MODE=jwt; see main.ts). */
  userUsage?: (parts: UserUsageParts) => Promise<UserUsageLink>;
}

/** What a cluster link needs of the server it joins. */
export interface ClusterParts {
  config: ServerConfig;
  io: FeedIo;
  core: FeedCore;
  controller: FeedController;
  metrics: FeedMetrics;
  log: Logger;
  /** The order books, shared like ticks (C30–C33). */
  books: BookChannel;
}

/**
 * Fastify's own answer to a URL it cannot decode, in the catalog's shape. That answer is sent
 * before any hook runs, so the onSend rewrite of Fastify's error bodies never sees it.
 */
function badUrlHandler(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  void reply.code(400).send(errorReply(ErrorCode.BAD_REQUEST, error.message.slice(0, 200)));
}

function buildFastify(config: ServerConfig, log: Logger, https: { cert: Buffer; key: Buffer } | null) {
  return Fastify({
    loggerInstance: log,
    frameworkErrors: badUrlHandler,
    // Ajv's removeAdditional would strip fields while it tries each branch of a union (FeedControl),
    // so `{ action: 'seek', to }` would lose `to`: schemas say additionalProperties: false instead.
    ajv: { customOptions: { removeAdditional: false } },
    // Per-request logs would flood at dashboard polling rates; errors are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    // The same trust function as Socket.IO handshakes and SSE use, so every path sees one client address.
    trustProxy: trustFunction(config.trustProxy),
    bodyLimit: 64 * 1024,
    ...(https !== null ? { https } : {}),
  }).withTypeProvider<TypeBoxTypeProvider>();
}

export type FeedFastify = ReturnType<typeof buildFastify>;

export interface FeedServer {
  readonly fastify: FeedFastify;
  readonly io: FeedIo;
  readonly core: FeedCore;
  readonly metrics: FeedMetrics;
  readonly log: Logger;
  /** Starts listening on the configured host and port; resolves with the address. */
  listen(): Promise<{ url: string; port: number }>;
  /** A publisher connection inside this process (the embedded simulator uses it). */
  localIngest(): IngestPort;
  /**
   * Graceful drain: refuse new clients, tell the connected ones to reconnect
   * elsewhere, flush pending ticks, close sockets and the cluster link.
   */
  close(reason?: string): Promise<void>;
}

const SSE_KEEPALIVE_MS = 15_000;

/**
 * Builds the whole server (HTTP, Socket.IO, state) without listening. Each part is a Fastify
 * plugin (src/plugins/), registered in the order its parts need: metrics first (every part
 * counts into it), then Socket.IO, the feed, the durable store, access control, the Socket.IO
 * API, the HTTP edge, the REST routes, the dashboard, and the cluster link last (it loads the
 * shared universe into the feed).
 */
export async function createFeedServer(config: ServerConfig, deps: FeedServerDeps = {}): Promise<FeedServer> {
  const log = deps.logger ?? pino({ level: config.logLevel, base: { serverId: config.serverId } });
  const https =
    config.tlsCertFile !== undefined && config.tlsKeyFile !== undefined
      ? { cert: readFileSync(config.tlsCertFile), key: readFileSync(config.tlsKeyFile) }
      : null;
  const fastify = buildFastify(config, log, https);
  const parts = { config, log };
  const cors = corsRule(config);

  fastify.decorate('lifecycle', { draining: false, redisHealthy: () => true });
  await fastify.register(metricsPlugin);
  await fastify.register(socketIoPlugin, { ...parts, cors });
  await fastify.register(feedPlugin, { ...parts, ...(deps.newEpoch !== undefined ? { newEpoch: deps.newEpoch } : {}), ...(deps.now !== undefined ? { now: deps.now } : {}) });
  await fastify.register(durableStorePlugin, { ...parts, clustered: deps.cluster !== undefined });
  await fastify.register(accessControlPlugin, parts);
  await fastify.register(bookPlugin, { ...parts, ...(deps.now !== undefined ? { now: deps.now } : {}) });
  await fastify.register(socketApiPlugin, parts);
  await fastify.register(httpEdgePlugin, { ...parts, cors, https: https !== null });
  await fastify.register(restRoutesPlugin, parts);
  if (config.dashboardDir !== undefined) await fastify.register(dashboardPlugin, { dir: config.dashboardDir });
  await fastify.register(clusterPlugin, { ...parts, join: deps.cluster, shareUserUsage: deps.userUsage });

  const { io, consumers, producers, connections } = fastify.realtime;
  const { sse, fanout, core, ingest, quotes } = fastify.feed;
  const { books } = fastify;
  const { auth } = fastify.access;
  const metrics = fastify.feedMetrics;
  const store = fastify.durableStore;
  const sseKeepAlive = setInterval(() => sse.keepAlive(), SSE_KEEPALIVE_MS);
  // Quotes channel: after the cluster link, which replaces the namespace's adapter.
  consumers.adapter.on('create-room', (room: string) => quotes.roomCreated(room));
  consumers.adapter.on('delete-room', (room: string) => quotes.roomDeleted(room));
  fanout.start();
  await fastify.ready();

  let closing: Promise<void> | undefined;
  return {
    fastify,
    io,
    core,
    metrics,
    log,
    async listen() {
      await fastify.listen({ port: config.port, host: config.host });
      const address = fastify.server.address() as AddressInfo;
      const scheme = https !== null ? 'https' : 'http';
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      return { url: `${scheme}://${host}:${address.port}`, port: address.port };
    },
    localIngest() {
      return createLocalIngest(ingest, config.publisherGraceMs, books.ingest);
    },
    close(reason = 'server shutting down') {
      closing ??= (async () => {
        fastify.lifecycle.draining = true;
        fanout.flushAllNow();
        books.flushAllNow();
        const shutdown = { reason, reconnectAfterMs: 0 };
        consumers.local.emit(Events.shutdown, shutdown);
        producers.local.emit(Events.shutdown, shutdown);
        fanout.stop();
        quotes.stop();
        books.stop();
        ingest.stop();
        auth.stop();
        await fastify.cluster.userUsage?.close();
        clearInterval(sseKeepAlive);
        sse.closeAll();
        await fastify.cluster.link?.close();
        // Each client gets a close packet after everything already written to it. Engine.IO's own
        // close discards unsent packets, so wait (bounded) for clients to read and close first;
        // clients that stopped reading are cut off when the grace period ends.
        consumers.local.disconnectSockets(true);
        producers.local.disconnectSockets(true);
        if (!(await connections.waitAllClosed(config.drainGraceMs))) connections.terminateAll();
        await new Promise<void>((resolve) => io.close(() => resolve()));
        await fastify.close();
        // Last: nothing can publish any more, so the final checkpoint holds everything.
        await store?.close();
      })();
      return closing;
    },
  };
}
