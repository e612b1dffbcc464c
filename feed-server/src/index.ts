export { createFeedServer, type FeedServer, type FeedServerDeps, type ClusterParts } from './app.js';
export {
  loadServerConfig,
  parseServerConfig,
  testServerConfig,
  DEFAULT_SERVER_CONFIG,
  SERVER_ENV_VARS,
  ConfigError,
  type ServerConfig,
  type SlowConsumerPolicy,
} from './config.js';
export { MarketState, type SymbolBook, type BookImage } from './market/market-state.js';
export { TickRing, parseStored, type StoredTick } from './market/tick-ring.js';
export { installShutdown } from './shutdown.js';
export { redisCluster } from './cluster/redis-cluster.js';
export { createRedisUserUsage, redisUserUsage, type UserUsageOptions } from './cluster/shared-user-usage.js';
