import type { Logger } from 'pino';
import type { ServerConfig } from '../config.js';
import type { MarketState } from '../market/market-state.js';
import type { ReplayHistory } from '../delivery/replay-cursors.js';
import type { SseHub } from '../delivery/sse-hub.js';
import type { BookState } from '../book/book-state.js';
import type { Fanout } from '../delivery/fanout.js';
import type { ConnectionTracker } from '../delivery/terminate.js';
import type { FeedCore } from '../feed-core.js';
import type { QuoteHub } from '../delivery/quote-hub.js';
import type { BookChannel } from '../book/book-channel.js';
import type { FeedController } from '../ingest/feed-controller.js';
import type { IngestService } from '../ingest/ingest-service.js';
import type { FeedMetrics } from '../observability/metrics.js';
import type { EdgeGate } from '../edge/edge-gate.js';
import type { ConsumerAuth } from '../auth/socket-auth.js';
import type { RestAccess } from '../auth/rest-auth.js';
import type { TokenVerifier } from '../auth/token-verifier.js';
import type { DurableStore } from '../store/durable-store.js';
import type { ClusterLink } from '../cluster/cluster-link.js';
import type { UserUsageLink } from '../cluster/shared-user-usage.js';
import type { ConsumerNamespace, FeedIo, IngestNamespace } from '../types.js';

/** What every plugin of the feed server is given (createFeedServer builds the logger once). */
export interface PartOptions {
  config: ServerConfig;
  log: Logger;
}

/** Who may call from another origin: every origin, or the ones listed. */
export interface CorsRule {
  origin: true | string[];
}

/** One CORS rule (CORS_ORIGINS) for Socket.IO's handshake and the REST routes; undefined without one. */
export function corsRule(config: ServerConfig): CorsRule | undefined {
  if (config.corsOrigins.length === 0) return undefined;
  return { origin: config.corsOrigins.includes('*') ? true : [...config.corsOrigins] };
}

/** Socket.IO and the edge limits of its connections (socket-io-plugin.ts). */
export interface RealtimeParts {
  io: FeedIo;
  consumers: ConsumerNamespace;
  producers: IngestNamespace;
  gate: EdgeGate;
  connections: ConnectionTracker;
  /** Publisher connections on /ingest now. */
  ingestConnections(): number;
}

/** Market state, delivery and ingest (feed-plugin.ts). */
export interface FeedParts {
  market: MarketState;
  history: ReplayHistory;
  sse: SseHub;
  fanout: Fanout;
  core: FeedCore;
  controller: FeedController;
  ingest: IngestService;
  /** Conflated delivery (`throttleMs` subscriptions): one timer for the server (delivery/quote-hub.ts). */
  quotes: QuoteHub;
  /** Every symbol's order book (src/book/): made with the feed so the durable store restores books with the market. */
  bookState: BookState;
  /**
   * Channels that queue frames per client besides the tick fan-out (the order books): what must
   * reach a client before an ack that changes its subscriptions.
   */
  clientFlushers: ((socketId: string) => void)[];
}

/** Access control (access-control-plugin.ts): undefined verifier with AUTH_MODE=none. */
export interface AccessParts {
  verifier: TokenVerifier | undefined;
  auth: ConsumerAuth;
  rest: RestAccess;
}

/** The links to other instances (cluster-plugin.ts); both undefined without REDIS_URL. */
export interface ClusterLinks {
  link: ClusterLink | undefined;
  userUsage: UserUsageLink | undefined;
}

/** What the readiness check and the drain share: set by the drain and the cluster plugin. */
export interface Lifecycle {
  draining: boolean;
  redisHealthy(): boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    lifecycle: Lifecycle;
    feedMetrics: FeedMetrics;
    realtime: RealtimeParts;
    feed: FeedParts;
    durableStore: DurableStore | undefined;
    access: AccessParts;
    cluster: ClusterLinks;
    books: BookChannel;
  }
}
