import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The server's Prometheus metrics, in a registry of its own so several apps can live in one process. */
export interface FeedMetrics {
  readonly registry: Registry;
  readonly ticksIn: Counter;
  readonly ticksRejected: Counter<'code'>;
  readonly framesOut: Counter<'path'>;
  readonly ticksOut: Counter;
  readonly flushInterval: Histogram;
  readonly flushDuration: Histogram;
  readonly lingerMs: Gauge;
  readonly requestsRejected: Counter<'event' | 'code'>;
  readonly slowConsumers: Counter<'policy'>;
  readonly limitHits: Counter<'limit'>;
  readonly redisUp: Gauge;
  readonly clusterTicksIn: Counter;
}

export interface MetricSources {
  connections(): number;
  ingestConnections(): number;
  subscriptions(): number;
  rooms(): number;
  sseClients(): number;
  symbols(): number;
  framesInflight(): number;
  conflatingClients(): number;
  addressConnections(): number;
  pendingSessions(): number;
}

export function createMetrics(sources: MetricSources): FeedMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  gauge('feed_connections', 'Consumer Socket.IO connections on this instance', sources.connections);
  gauge('feed_ingest_connections', 'Publisher connections on /ingest on this instance', sources.ingestConnections);
  gauge('feed_subscriptions', 'Symbol subscriptions held by consumers of this instance', sources.subscriptions);
  gauge('feed_rooms', 'Symbol rooms with at least one consumer on this instance', sources.rooms);
  gauge('feed_sse_clients', 'Server-Sent-Events consumers on this instance', sources.sseClients);
  gauge('feed_symbols', 'Symbols in the universe', sources.symbols);
  gauge('feed_outbound_frames_inflight', 'Frames written to consumers and not yet on the network (outbound backlog)', sources.framesInflight);
  gauge('feed_conflating_clients', 'Consumers on conflated delivery because they fell behind', sources.conflatingClients);
  gauge(
    'feed_address_connections',
    'Consumer connections (Socket.IO and SSE) counted against MAX_CONNECTIONS_PER_IP, summed over addresses; equals the open ones',
    sources.addressConnections,
  );
  gauge('feed_pending_sessions', 'Engine.IO sessions that have not joined a namespace yet (MAX_PENDING_SESSIONS_PER_IP)', sources.pendingSessions);
  return {
    registry,
    ticksIn: new Counter({ name: 'feed_ticks_in_total', help: 'Ticks accepted from publishers', registers: [registry] }),
    ticksRejected: new Counter({
      name: 'feed_ticks_rejected_total',
      help: 'Ticks rejected at ingest, by error code',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    framesOut: new Counter({
      name: 'feed_frames_out_total',
      help: 'Tick frames handed to Engine.IO, by path: "websocket" (with its pre-encoded WebSocket frame) or "engine" (encoded by Engine.IO: long-polling)',
      labelNames: ['path'],
      registers: [registry],
    }),
    ticksOut: new Counter({ name: 'feed_ticks_out_total', help: 'Tick deliveries to consumers', registers: [registry] }),
    flushInterval: new Histogram({
      name: 'feed_flush_interval_seconds',
      help: 'Time between flushes (flush lag: above the configured interval means the loop is late)',
      buckets: [0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
    flushDuration: new Histogram({
      name: 'feed_flush_duration_seconds',
      help: 'Time to write one flush to every client with pending ticks',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
      registers: [registry],
    }),
    lingerMs: new Gauge({
      name: 'feed_flush_linger_ms',
      help: 'How long a frame now waits for more ticks (0: latency first; FLUSH_LINGER_MS once the event loop is busy past FLUSH_LINGER_LOAD_PERCENT)',
      registers: [registry],
    }),
    requestsRejected: new Counter({
      name: 'feed_requests_rejected_total',
      help: 'Client requests answered with an error, by event and code',
      labelNames: ['event', 'code'] as const,
      registers: [registry],
    }),
    slowConsumers: new Counter({
      name: 'feed_slow_consumers_total',
      help: 'Times a consumer exceeded its outbound buffer cap, by policy applied',
      labelNames: ['policy'] as const,
      registers: [registry],
    }),
    limitHits: new Counter({
      name: 'feed_limit_hits_total',
      help: 'Times a configured limit was hit, by limit',
      labelNames: ['limit'] as const,
      registers: [registry],
    }),
    redisUp: new Gauge({ name: 'feed_redis_up', help: '1 when Redis is reachable (or not used), 0 when down', registers: [registry] }),
    clusterTicksIn: new Counter({
      name: 'feed_cluster_ticks_in_total',
      help: 'Ticks received from other instances',
      registers: [registry],
    }),
  };
}
