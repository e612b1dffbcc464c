export { createFeedServer, type FeedServer, type FeedServerDeps, type ClusterParts } from './app.js';
export {
  loadServerConfig,
  parseServerConfig,
  testServerConfig,
  DEFAULT_SERVER_CONFIG,
  DEFAULT_DATA_DIR,
  SERVER_ENV_VARS,
  ConfigError,
  type ServerConfig,
  type SlowConsumerPolicy,
  type GroupCommit,
} from './config.js';
export { MarketState, type SymbolBook, type BookImage } from './market/market-state.js';
export { TickRing, parseStored, type StoredTick } from './market/tick-ring.js';
export { installShutdown } from './shutdown.js';
export { redisCluster } from './cluster/redis-cluster.js';
export { DurableStore, StoreError, type DurableStoreOptions, type RestoreReport } from './store/durable-store.js';
export { TickLog } from './store/tick-log.js';
export { readEntries, EntryKind } from './store/frame-codec.js';
export { createRedisUserUsage, redisUserUsage, type UserUsageOptions } from './cluster/shared-user-usage.js';
