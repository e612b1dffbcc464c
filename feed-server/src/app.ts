import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import Fastify, { LogController, type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import { Server } from 'socket.io';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import fastifyStatic from '@fastify/static';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyCors from '@fastify/cors';
import pino, { type Logger } from 'pino';
import {
  ErrorCode,
  Events,
  INGEST_NAMESPACE,
  PROTOCOL_VERSION,
  SOCKET_PATH,
  errorReply,
  type IngestPort,
} from '@tickfeed/protocol';
import type { ServerConfig } from './config.js';
import { MarketState } from './market/market-state.js';
import { Fanout } from './delivery/fanout.js';
import { SseHub } from './delivery/sse-hub.js';
import { marketHistory } from './delivery/replay-cursors.js';
import { trackConnections } from './delivery/terminate.js';
import { FeedCore } from './feed-core.js';
import { IngestService } from './ingest/ingest-service.js';
import { FeedController } from './ingest/feed-controller.js';
import { attachIngestNamespace } from './ingest/ingest-namespace.js';
import { createLocalIngest } from './ingest/local-ingest.js';
import { attachConsumerNamespace } from './consumer/consumer-namespace.js';
import { createMetrics, type FeedMetrics } from './observability/metrics.js';
import { apiRoutes } from './rest/api-routes.js';
import { streamRoute } from './rest/stream-route.js';
import { opsRoutes } from './rest/ops-routes.js';
import { codedErrorBody } from './rest/error-bodies.js';
import type { ConsumerNamespace, FeedIo, IngestNamespace } from './types.js';
import type { ClusterLink } from './cluster/cluster-link.js';
import { EdgeGate } from './edge/edge-gate.js';
import { trustFunction } from './edge/client-address.js';
import { openDurableStore } from './store/open-store.js';
import { createTokenVerifier } from './auth/token-verifier.js';
import { ConsumerAuth } from './auth/socket-auth.js';
import { restAccess } from './auth/rest-auth.js';
import type { UserUsageLink, UserUsageParts } from './cluster/shared-user-usage.js';

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
/** Health and metrics: never rate limited, so probes and scrapes keep working under load. */
const UNLIMITED_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

/** Builds the whole server (HTTP, Socket.IO, state) without listening. */
export async function createFeedServer(config: ServerConfig, deps: FeedServerDeps = {}): Promise<FeedServer> {
  const log = deps.logger ?? pino({ level: config.logLevel, base: { serverId: config.serverId } });
  const https =
    config.tlsCertFile !== undefined && config.tlsKeyFile !== undefined
      ? { cert: readFileSync(config.tlsCertFile), key: readFileSync(config.tlsKeyFile) }
      : null;
  const fastify = buildFastify(config, log, https);
  // One CORS rule for Socket.IO's handshake and the REST routes.
  const corsOrigin = config.corsOrigins.length > 0 ? { origin: config.corsOrigins.includes('*') ? true : [...config.corsOrigins] } : undefined;

  let draining = false;
  let ingestConnections = 0;
  const gate = new EdgeGate(config, (limit) => metrics.limitHits.inc({ limit }));
  const io: FeedIo = new Server(fastify.server, {
    path: SOCKET_PATH,
    serveClient: false,
    maxHttpBufferSize: config.maxPayloadBytes,
    pingInterval: config.pingIntervalMs,
    pingTimeout: config.pingTimeoutMs,
    connectTimeout: config.connectTimeoutMs,
    cors: corsOrigin,
    // Recovery is ours (epoch + seq), so it also works across instances behind the Redis adapter.
    connectionStateRecovery: undefined,
    allowRequest: gate.allowRequest,
  });
  gate.watchSessions(io.engine);
  const connections = trackConnections(io);
  const consumers: ConsumerNamespace = io.of('/');
  // The /ingest namespace speaks other events; Socket.IO types every namespace with the server's event maps.
  const producers = io.of(INGEST_NAMESPACE) as unknown as IngestNamespace;
  consumers.on('connection', (socket) => gate.joined(socket.conn));
  producers.on('connection', (socket) => {
    gate.joined(socket.conn);
    ingestConnections++;
    socket.on('disconnect', () => ingestConnections--);
  });

  const market = new MarketState({
    historyTicks: config.historyTicks,
    candlesPerInterval: config.candlesPerInterval,
    newEpoch: deps.newEpoch ?? (() => randomBytes(6).toString('base64url')),
  });
  const history = marketHistory(market);
  const sse = new SseHub(history, { maxBufferedBytes: config.sseMaxBufferedBytes }, (reason) =>
    metrics.limitHits.inc({ limit: reason === 'buffer' ? 'sse_buffer' : 'sse_history' }),
  );
  let redisHealthy = () => true;
  const metrics = createMetrics({
    connections: () => fanout.connectionCount,
    ingestConnections: () => ingestConnections,
    subscriptions: () => {
      let total = 0;
      for (const [room, members] of consumers.adapter.rooms) if (!consumers.sockets.has(room)) total += members.size;
      return total;
    },
    rooms: () => {
      let total = 0;
      for (const room of consumers.adapter.rooms.keys()) if (!consumers.sockets.has(room)) total++;
      return total;
    },
    sseClients: () => sse.size,
    symbols: () => market.size,
    framesInflight: () => fanout.framesInflight(),
    conflatingClients: () => fanout.conflatingClients(),
    addressConnections: () => gate.connections.total,
    pendingSessions: () => gate.pending.total,
  });
  metrics.redisUp.set(1);
  const fanout = new Fanout(consumers, sse, history, config, metrics, log);
  const core = new FeedCore(market, fanout, sse, consumers, metrics, log);
  const store = config.dataDir !== undefined ? openDurableStore(config, market, metrics, log, deps.cluster !== undefined) : undefined;
  if (store !== undefined) core.journal = store;
  const controller = new FeedController();
  const ingest = new IngestService(core, controller, metrics, log, {
    maxSymbols: config.maxSymbols,
    maxTickClockSkewMs: config.maxTickClockSkewMs,
    now: deps.now ?? Date.now,
  });

  const verifier = config.authMode === 'jwt' ? createTokenVerifier(config, log) : undefined;
  if (verifier === undefined) log.info('AUTH_MODE=none: consumers are anonymous and may read every symbol (set AUTH_MODE=jwt to require access tokens)');
  else log.info({ algorithms: config.authJwtAlgorithms, jwks: config.authJwksUrl !== undefined }, 'AUTH_MODE=jwt: consumers need an access token');
  const auth = new ConsumerAuth(verifier, config, { metrics, log, now: Date.now, flushClient: (id) => fanout.flushClient(id) });
  const access = restAccess(verifier, config.adminToken);
  attachConsumerNamespace(consumers, { config, core, fanout, gate, metrics, log, isDraining: () => draining, auth });
  attachIngestNamespace(producers, { config, ingest, metrics, log, isDraining: () => draining });

  fastify.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (error.validation !== undefined) {
      return reply.code(400).send(errorReply(ErrorCode.BAD_REQUEST, error.message.slice(0, 300)));
    }
    if (status === 429) return reply.code(429).send(errorReply(ErrorCode.RATE_LIMITED, 'too many requests'));
    if (status === 413) return reply.code(413).send(errorReply(ErrorCode.PAYLOAD_TOO_LARGE, 'request body too large'));
    if (status < 500) return reply.code(status).send(errorReply(ErrorCode.BAD_REQUEST, error.message.slice(0, 300)));
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send(errorReply(ErrorCode.INTERNAL, 'internal error'));
  });
  fastify.addHook('onSend', async (_request, reply, payload) => {
    if (typeof payload !== 'string' || reply.statusCode < 400) return payload;
    return codedErrorBody(reply.statusCode, payload) ?? payload;
  });
  fastify.setNotFoundHandler((request, reply) =>
    reply.code(404).send(errorReply(ErrorCode.BAD_REQUEST, `no route ${request.method} ${request.url.slice(0, 100)}`)),
  );

  await fastify.register(fastifyHelmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        connectSrc: ["'self'", 'ws:', 'wss:'],
        imgSrc: ["'self'", 'data:'],
        styleSrc: ["'self'", "'unsafe-inline'"],
        scriptSrc: ["'self'"],
        upgradeInsecureRequests: null,
      },
    },
    hsts: https !== null,
  });
  if (corsOrigin !== undefined) await fastify.register(fastifyCors, corsOrigin);
  if (config.restRateLimitPerMin > 0) {
    await fastify.register(fastifyRateLimit, {
      max: config.restRateLimitPerMin,
      timeWindow: 60_000,
      // By path, whatever the query string: `/metrics?x=1` is still the metrics route.
      allowList: (req) => UNLIMITED_PATHS.has(req.url.split('?', 1)[0]!),
      onExceeded: () => metrics.limitHits.inc({ limit: 'rest_rate' }),
    });
  }
  await fastify.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'tickfeed',
        version: String(PROTOCOL_VERSION),
        description: 'Market data REST API. Live ticks: Socket.IO (see README) or GET /api/stream (SSE).',
      },
    },
  });
  await fastify.register(fastifySwaggerUi, { routePrefix: '/docs' });
  await fastify.register(apiRoutes(core, controller, access, store));
  await fastify.register(streamRoute(core, sse, config.maxSymbolsPerRequest, gate, access));

  let cluster: ClusterLink | undefined;
  await fastify.register(
    opsRoutes(
      config.serverId,
      {
        ready() {
          const reasons: string[] = [];
          if (draining) reasons.push('draining');
          if (!redisHealthy()) reasons.push('redis unavailable');
          const refusal = store?.refusal();
          if (refusal !== undefined && refusal !== null) reasons.push(refusal);
          return { ready: reasons.length === 0, reasons };
        },
      },
      metrics.registry,
      config.metricsToken,
    ),
  );
  if (config.dashboardDir !== undefined) {
    await fastify.register(fastifyStatic, { root: config.dashboardDir, prefix: '/', index: 'index.html' });
  }

  if (deps.cluster !== undefined) {
    cluster = await deps.cluster({ config, io, core, controller, metrics, log });
    const link = cluster;
    redisHealthy = () => link.healthy();
  }

  const userUsage = deps.userUsage !== undefined && verifier !== undefined ? await deps.userUsage({ config, log, auth }) : undefined;

  const sseKeepAlive = setInterval(() => sse.keepAlive(), SSE_KEEPALIVE_MS);
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
      return createLocalIngest(ingest, config.publisherGraceMs);
    },
    close(reason = 'server shutting down') {
      closing ??= (async () => {
        draining = true;
        fanout.flushAllNow();
        const shutdown = { reason, reconnectAfterMs: 0 };
        consumers.local.emit(Events.shutdown, shutdown);
        producers.local.emit(Events.shutdown, shutdown);
        fanout.stop();
        ingest.stop();
        auth.stop();
        await userUsage?.close();
        clearInterval(sseKeepAlive);
        sse.closeAll();
        await cluster?.close();
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
