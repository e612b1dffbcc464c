import { isIP } from 'node:net';
import { hostname } from 'node:os';
import proxyAddr from '@fastify/proxy-addr';
import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DEFAULT_LIMITS, QUOTE_LIMITS } from '@tickfeed/protocol';
import { parseAuthSettings } from './auth/config-keys.js';

/** What to do with a consumer whose outbound buffer is over its cap. */
export type SlowConsumerPolicy = 'conflate' | 'disconnect';
/** How consumers authenticate: 'none' (anonymous, every symbol) or 'jwt' (access tokens with entitlements). */
export type AuthMode = 'none' | 'jwt';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
/**
 * Which peers may tell the client's address in X-Forwarded-For: nobody, the
 * listed proxy addresses, or the nearest `hops` hops whatever their address
 * (only sound when the server cannot be reached except through them).
 */
export type TrustProxy =
  | { readonly kind: 'none' }
  | { readonly kind: 'addresses'; readonly addresses: readonly string[] }
  | { readonly kind: 'hops'; readonly hops: number };

/** Every setting of the feed server. Built once by loadServerConfig; nothing else reads the environment. */
export interface ServerConfig {
  /** PORT: TCP port to listen on (default 3000; 0 picks a free one). */
  readonly port: number;
  /** HOST: interface to bind (default 127.0.0.1; 0.0.0.0 in containers). */
  readonly host: string;
  /** SERVER_ID: name of this instance in logs, metrics and `welcome` (default hostname-pid). */
  readonly serverId: string;
  /** REDIS_URL: shared state and fan-out across instances; unset runs alone, with its history in DATA_DIR. */
  readonly redisUrl: string | undefined;
  /** INGEST_TOKEN: token publishers send as `auth.token` on /ingest; unset refuses every publisher. */
  readonly ingestToken: string | undefined;
  /** ADMIN_TOKEN: bearer token for POST /api/feed/control; unset disables the control API. */
  readonly adminToken: string | undefined;
  /**
   * FLUSH_INTERVAL_MS: least time between the starts of two flushes (default 0 ms: a flush starts as soon as
   * there is something to send and the previous flush is done, and under load each frame holds what arrived
   * meanwhile). A higher value trades latency for fewer, bigger frames.
   */
  readonly flushIntervalMs: number;
  /** FLUSH_BUDGET_MS: longest stretch one flush runs before yielding to the event loop, so ingest stays responsive (default 8 ms). */
  readonly flushBudgetMs: number;
  /**
   * FLUSH_LINGER_MS: once the server is loaded (see FLUSH_LINGER_LOAD_PERCENT), each client's frame waits up to this long
   * after its first tick so the ticks that follow share it: a write costs about the same for one tick or several
   * (default 18 ms; 0: never wait, latency first at any load).
   */
  readonly flushLingerMs: number;
  /**
   * FLUSH_LINGER_LOAD_PERCENT: event-loop utilization, in percent, from which frames wait up to FLUSH_LINGER_MS; below half
   * of it they go out at once again (default 30; 0: always wait).
   */
  readonly flushLingerLoadPercent: number;
  /** HISTORY_TICKS: ticks kept per symbol for resume and REST (default 10,000). */
  readonly historyTicks: number;
  /** CANDLES_PER_INTERVAL: candles kept per symbol and interval (default 2,000). */
  readonly candlesPerInterval: number;
  /** BOOK_MAX_DEPTH: price levels per side kept of each order book, and the deepest `depth` a client may follow (default 50). */
  readonly bookMaxDepth: number;
  /** BOOK_HISTORY_UPDATES: order-book updates kept per symbol for exact resume (default 10,000). */
  readonly bookHistoryUpdates: number;
  /** MAX_SUBSCRIPTIONS: symbols one connection may subscribe to (default 200). */
  readonly maxSubscriptions: number;
  /** MAX_SYMBOLS_PER_REQUEST: symbols in one subscribe/unsubscribe (default 200). */
  readonly maxSymbolsPerRequest: number;
  /** MAX_PAYLOAD_BYTES: largest Socket.IO message accepted (default 1,000,000 bytes). */
  readonly maxPayloadBytes: number;
  /** SUBSCRIBE_BURST: subscribe/unsubscribe requests a connection may make at once (default 20). */
  readonly subscribeBurst: number;
  /** SUBSCRIBE_RATE: subscribe/unsubscribe requests per second sustained per connection (default 10). */
  readonly subscribeRatePerSec: number;
  /** SLOW_CONSUMER_MAX_FRAMES: frames queued for one client before the slow-consumer policy applies (default 100). */
  readonly slowConsumerMaxFrames: number;
  /** SLOW_CONSUMER_POLICY: 'conflate' (latest tick per symbol, gap visible) or 'disconnect' (default conflate). */
  readonly slowConsumerPolicy: SlowConsumerPolicy;
  /** QUOTES_MIN_THROTTLE_MS: shortest interval a conflated (`throttleMs`) subscription gets; a request below it is raised to it, and the ack says so (default 100 ms, 100 to 60,000). */
  readonly quotesMinThrottleMs: number;
  /** SSE_MAX_BUFFERED_BYTES: bytes an SSE client may leave unread before its connection is destroyed (default 4 MiB). */
  readonly sseMaxBufferedBytes: number;
  /** MAX_CONNECTIONS_PER_IP: consumer Socket.IO connections plus SSE streams from one address (default 0 = unlimited). */
  readonly maxConnectionsPerIp: number;
  /** MAX_PENDING_SESSIONS_PER_IP: Engine.IO sessions from one address that have not joined a namespace yet (default 256; 0 = unlimited). */
  readonly maxPendingSessionsPerIp: number;
  /** CONNECT_TIMEOUT_MS: how long a session may stay without joining a namespace before it is closed (default 5,000 ms). */
  readonly connectTimeoutMs: number;
  /** REST_RATE_LIMIT: REST requests per minute per address (default 1,200; 0 = off). */
  readonly restRateLimitPerMin: number;
  /** PING_INTERVAL_MS: Engine.IO heartbeat interval (default 10,000 ms). */
  readonly pingIntervalMs: number;
  /** PING_TIMEOUT_MS: time without a pong before a connection is dropped (default 10,000 ms). */
  readonly pingTimeoutMs: number;
  /** CORS_ORIGINS: comma-separated origins allowed besides same-origin (default none; '*' allows any). */
  readonly corsOrigins: readonly string[];
  /**
   * ALLOWED_HOSTS: comma-separated host names Socket.IO handshakes and SSE streams may name in `Host`,
   * besides IP literals and localhost names, which always pass (`.example.com` = the domain and its
   * subdomains, `*` = any). Default: HOST when it is a name.
   */
  readonly allowedHosts: readonly string[];
  /** TLS_CERT / TLS_KEY: PEM file paths; both set serves https:// and wss://. */
  readonly tlsCertFile: string | undefined;
  readonly tlsKeyFile: string | undefined;
  /** DASHBOARD_DIR: built dashboard served at / (default: none). */
  readonly dashboardDir: string | undefined;
  /** SHUTDOWN_TIMEOUT_MS: longest graceful drain before exit (default 10,000 ms). */
  readonly shutdownTimeoutMs: number;
  /** DRAIN_GRACE_MS: during a drain, how long clients get to read what was sent before they are cut off (default 2,000 ms). */
  readonly drainGraceMs: number;
  /** LOG_LEVEL: pino level (default info). */
  readonly logLevel: LogLevel;
  /**
   * TRUST_PROXY: the load balancers whose X-Forwarded-For is believed: comma-separated addresses or CIDRs
   * (also `loopback`, `linklocal`, `uniquelocal`), or a hop count (default false, none). `true` is refused:
   * it would take the left-most entry, which the client writes.
   */
  readonly trustProxy: TrustProxy;
  /**
   * MAX_TICK_CLOCK_SKEW_MS: how far a tick's `ts` may lie ahead of the later of the server's clock
   * and the publisher's announced replay clock (default 60,000 ms); a later one is INVALID_TICK.
   */
  readonly maxTickClockSkewMs: number;
  /** MAX_SYMBOLS: symbols this server holds at most; a declare over it is refused per symbol (default 20,000). */
  readonly maxSymbols: number;
  /**
   * PUBLISHER_GRACE_MS: how long a publisher that sent `auth.publisherId` keeps its symbols and the
   * feed status after its last connection closed, so that it can reconnect (default 30,000 ms).
   */
  readonly publisherGraceMs: number;
  /**
   * DATA_DIR: directory of the durable tick store (ticks, checkpoints, candle archive), resolved against the
   * working directory. The server and `npm start` default to ./data; empty (or --ephemeral) keeps everything in
   * memory; with REDIS_URL the shared store in Redis holds the history instead.
   */
  readonly dataDir: string | undefined;
  /** RETENTION_DAYS: days of ticks kept in the store's log (default 7). */
  readonly retentionDays: number;
  /** CANDLE_RETENTION_DAYS: days of candles kept in the store's candle archive, counted back from each series' newest candle (default 90). */
  readonly candleRetentionDays: number;
  /** GROUP_COMMIT: 'fsync' acks a batch once fdatasync covered it; 'write' once it is in the OS (survives a crash of the process, not of the machine) (default fsync). */
  readonly groupCommit: GroupCommit;
  /** CHECKPOINT_INTERVAL_MS: longest time between two checkpoints of the market state, which bound the log replayed at start (default 60,000 ms). */
  readonly checkpointIntervalMs: number;
  /** CHECKPOINT_TICKS: ticks after which a checkpoint is taken sooner (default 1,000,000). */
  readonly checkpointTicks: number;
  /** MIN_FREE_DISK_MB: below this much free space on DATA_DIR's disk the server refuses ticks and is not ready (default 256 MB). */
  readonly minFreeDiskMb: number;
  /** AUTH_MODE: 'none' (consumers are anonymous and read every symbol) or 'jwt' (access tokens; default none). */
  readonly authMode: AuthMode;
  /** AUTH_JWT_SECRET: HS256 shared secret, at least 32 bytes (one of the three key sources with AUTH_MODE=jwt). */
  readonly authJwtSecret: string | undefined;
  /** AUTH_JWT_PUBLIC_KEY: PEM public key (RSA, EC or Ed25519; `\n` escapes allowed) that verifies tokens. */
  readonly authJwtPublicKey: string | undefined;
  /** AUTH_JWKS_URL: JSON Web Key Set URL; keys are fetched, cached and picked by `kid`. */
  readonly authJwksUrl: string | undefined;
  /** AUTH_JWT_ALGORITHMS: accepted algorithms, comma-separated (default: HS256 for a secret, the key's own for a PEM key, RS256 for JWKS). */
  readonly authJwtAlgorithms: readonly string[];
  /** AUTH_ISSUER: required `iss` claim (default: not checked). */
  readonly authIssuer: string | undefined;
  /** AUTH_AUDIENCE: required `aud` claim (default: not checked). */
  readonly authAudience: string | undefined;
  /** AUTH_CLOCK_TOLERANCE_S: allowed clock skew for `exp` and `nbf` (default 5 s). */
  readonly authClockToleranceSec: number;
  /** AUTH_MAX_TOKEN_BYTES: longest access token accepted (default 8,192 bytes). */
  readonly authMaxTokenBytes: number;
  /** AUTH_JWKS_TIMEOUT_MS: longest wait for the JWKS endpoint before a token is refused (default 5,000 ms). */
  readonly authJwksTimeoutMs: number;
  /** AUTH_JWKS_CACHE_MS: how long fetched keys are used before they are fetched again (default 600,000 ms). */
  readonly authJwksCacheMs: number;
  /** USER_MAX_SUBSCRIPTIONS: symbols one user (`sub`) may hold across all its connections (default 1,000; jwt mode). */
  readonly userMaxSubscriptions: number;
  /** USER_SUBSCRIBE_BURST: subscribe/unsubscribe/refresh requests one user may make at once, all connections together (default 100). */
  readonly userSubscribeBurst: number;
  /** USER_SUBSCRIBE_RATE: such requests per second sustained per user (default 50). */
  readonly userSubscribeRatePerSec: number;
  /** METRICS_TOKEN: bearer token GET /metrics requires (default: unset, /metrics is open). */
  readonly metricsToken: string | undefined;
}

/** When a publisher's batch counts as stored. */
export type GroupCommit = 'fsync' | 'write';

/** Where `npm start` and the standalone server keep their store unless told otherwise. */
export const DEFAULT_DATA_DIR = './data';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export const DEFAULT_SERVER_CONFIG: ServerConfig = Object.freeze({
  port: 3000,
  host: '127.0.0.1',
  serverId: `${hostname()}-${process.pid}`,
  redisUrl: undefined,
  ingestToken: undefined,
  adminToken: undefined,
  flushIntervalMs: 0,
  flushBudgetMs: 8,
  flushLingerMs: 18,
  flushLingerLoadPercent: 30,
  historyTicks: DEFAULT_LIMITS.historyTicksPerSymbol,
  candlesPerInterval: DEFAULT_LIMITS.candlesPerInterval,
  bookMaxDepth: DEFAULT_LIMITS.bookMaxDepth,
  bookHistoryUpdates: DEFAULT_LIMITS.bookHistoryUpdates,
  maxSubscriptions: DEFAULT_LIMITS.maxSubscriptionsPerConnection,
  maxSymbolsPerRequest: DEFAULT_LIMITS.maxSymbolsPerRequest,
  maxPayloadBytes: DEFAULT_LIMITS.maxPayloadBytes,
  subscribeBurst: DEFAULT_LIMITS.subscribeBurst,
  subscribeRatePerSec: DEFAULT_LIMITS.subscribeRatePerSec,
  slowConsumerMaxFrames: 100,
  slowConsumerPolicy: 'conflate',
  quotesMinThrottleMs: QUOTE_LIMITS.minThrottleMs,
  sseMaxBufferedBytes: 4 * 1024 * 1024,
  maxConnectionsPerIp: 0,
  maxPendingSessionsPerIp: 256,
  connectTimeoutMs: 5_000,
  restRateLimitPerMin: 1_200,
  pingIntervalMs: 10_000,
  pingTimeoutMs: 10_000,
  corsOrigins: [],
  allowedHosts: [],
  tlsCertFile: undefined,
  tlsKeyFile: undefined,
  dashboardDir: undefined,
  shutdownTimeoutMs: 10_000,
  drainGraceMs: 2_000,
  logLevel: 'info',
  trustProxy: Object.freeze({ kind: 'none' }),
  maxTickClockSkewMs: 60_000,
  maxSymbols: DEFAULT_LIMITS.maxSymbols,
  publisherGraceMs: 30_000,
  // In memory unless a data directory is configured: tests build servers from this; the entry points default to DEFAULT_DATA_DIR.
  dataDir: undefined,
  retentionDays: 7,
  candleRetentionDays: 90,
  groupCommit: 'fsync',
  checkpointIntervalMs: 60_000,
  checkpointTicks: 1_000_000,
  minFreeDiskMb: 256,
  authMode: 'none',
  authJwtSecret: undefined,
  authJwtPublicKey: undefined,
  authJwksUrl: undefined,
  authJwtAlgorithms: [],
  authIssuer: undefined,
  authAudience: undefined,
  authClockToleranceSec: 5,
  authMaxTokenBytes: 8_192,
  authJwksTimeoutMs: 5_000,
  authJwksCacheMs: 600_000,
  userMaxSubscriptions: 1_000,
  userSubscribeBurst: 100,
  userSubscribeRatePerSec: 50,
  metricsToken: undefined,
});

type Env = Readonly<Record<string, string | undefined>>;

/** Environment variable of each setting; flags use the kebab-case of the key (e.g. --flush-interval-ms). */
const ENV_NAMES: Record<keyof ServerConfig, string> = {
  port: 'PORT',
  host: 'HOST',
  serverId: 'SERVER_ID',
  redisUrl: 'REDIS_URL',
  ingestToken: 'INGEST_TOKEN',
  adminToken: 'ADMIN_TOKEN',
  flushIntervalMs: 'FLUSH_INTERVAL_MS',
  flushBudgetMs: 'FLUSH_BUDGET_MS',
  flushLingerMs: 'FLUSH_LINGER_MS',
  flushLingerLoadPercent: 'FLUSH_LINGER_LOAD_PERCENT',
  historyTicks: 'HISTORY_TICKS',
  candlesPerInterval: 'CANDLES_PER_INTERVAL',
  bookMaxDepth: 'BOOK_MAX_DEPTH',
  bookHistoryUpdates: 'BOOK_HISTORY_UPDATES',
  maxSubscriptions: 'MAX_SUBSCRIPTIONS',
  maxSymbolsPerRequest: 'MAX_SYMBOLS_PER_REQUEST',
  maxPayloadBytes: 'MAX_PAYLOAD_BYTES',
  subscribeBurst: 'SUBSCRIBE_BURST',
  subscribeRatePerSec: 'SUBSCRIBE_RATE',
  slowConsumerMaxFrames: 'SLOW_CONSUMER_MAX_FRAMES',
  slowConsumerPolicy: 'SLOW_CONSUMER_POLICY',
  quotesMinThrottleMs: 'QUOTES_MIN_THROTTLE_MS',
  sseMaxBufferedBytes: 'SSE_MAX_BUFFERED_BYTES',
  maxConnectionsPerIp: 'MAX_CONNECTIONS_PER_IP',
  maxPendingSessionsPerIp: 'MAX_PENDING_SESSIONS_PER_IP',
  connectTimeoutMs: 'CONNECT_TIMEOUT_MS',
  restRateLimitPerMin: 'REST_RATE_LIMIT',
  pingIntervalMs: 'PING_INTERVAL_MS',
  pingTimeoutMs: 'PING_TIMEOUT_MS',
  corsOrigins: 'CORS_ORIGINS',
  allowedHosts: 'ALLOWED_HOSTS',
  tlsCertFile: 'TLS_CERT',
  tlsKeyFile: 'TLS_KEY',
  dashboardDir: 'DASHBOARD_DIR',
  shutdownTimeoutMs: 'SHUTDOWN_TIMEOUT_MS',
  drainGraceMs: 'DRAIN_GRACE_MS',
  logLevel: 'LOG_LEVEL',
  trustProxy: 'TRUST_PROXY',
  maxTickClockSkewMs: 'MAX_TICK_CLOCK_SKEW_MS',
  maxSymbols: 'MAX_SYMBOLS',
  publisherGraceMs: 'PUBLISHER_GRACE_MS',
  dataDir: 'DATA_DIR',
  retentionDays: 'RETENTION_DAYS',
  candleRetentionDays: 'CANDLE_RETENTION_DAYS',
  groupCommit: 'GROUP_COMMIT',
  checkpointIntervalMs: 'CHECKPOINT_INTERVAL_MS',
  checkpointTicks: 'CHECKPOINT_TICKS',
  minFreeDiskMb: 'MIN_FREE_DISK_MB',
  authMode: 'AUTH_MODE',
  authJwtSecret: 'AUTH_JWT_SECRET',
  authJwtPublicKey: 'AUTH_JWT_PUBLIC_KEY',
  authJwksUrl: 'AUTH_JWKS_URL',
  authJwtAlgorithms: 'AUTH_JWT_ALGORITHMS',
  authIssuer: 'AUTH_ISSUER',
  authAudience: 'AUTH_AUDIENCE',
  authClockToleranceSec: 'AUTH_CLOCK_TOLERANCE_S',
  authMaxTokenBytes: 'AUTH_MAX_TOKEN_BYTES',
  authJwksTimeoutMs: 'AUTH_JWKS_TIMEOUT_MS',
  authJwksCacheMs: 'AUTH_JWKS_CACHE_MS',
  userMaxSubscriptions: 'USER_MAX_SUBSCRIPTIONS',
  userSubscribeBurst: 'USER_SUBSCRIBE_BURST',
  userSubscribeRatePerSec: 'USER_SUBSCRIBE_RATE',
  metricsToken: 'METRICS_TOKEN',
};

export const SERVER_ENV_VARS: readonly string[] = Object.values(ENV_NAMES);

/**
 * Parses the environment and `--name value` / `--name=value` flags (flags win)
 * into a frozen config. Throws ConfigError naming the bad variable or flag.
 * Returns the flags it did not recognise so a composing launcher can pass them on.
 */
export function loadServerConfig(input: { env: Env; argv?: readonly string[] }): ServerConfig {
  return parseServerConfig(input).config;
}

export function parseServerConfig(input: { env: Env; argv?: readonly string[]; defaultDataDir?: string }): {
  config: ServerConfig;
  unknownArgs: string[];
} {
  const { flags, ephemeral, unknownArgs } = readFlags(input.argv ?? []);
  const raw = (key: keyof ServerConfig): { value: string; source: string } | undefined => {
    const flag = flags.get(kebab(key));
    if (flag !== undefined) return { value: flag, source: `--${kebab(key)}` };
    const value = input.env[ENV_NAMES[key]];
    if (value === undefined || value === '') return undefined;
    return { value, source: ENV_NAMES[key] };
  };
  const d = DEFAULT_SERVER_CONFIG;
  const int = (key: keyof ServerConfig, fallback: number, min: number, max: number): number => {
    const r = raw(key);
    if (r === undefined) return fallback;
    const n = Number(r.value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new ConfigError(`${r.source} must be an integer from ${min} to ${max}, got '${r.value}'`);
    }
    return n;
  };
  const str = (key: keyof ServerConfig): string | undefined => raw(key)?.value;
  const list = (key: keyof ServerConfig): string[] =>
    (str(key) ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter((o) => o.length > 0);
  const oneOf = <T extends string>(key: keyof ServerConfig, allowed: readonly T[], fallback: T): T => {
    const r = raw(key);
    if (r === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(r.value)) {
      throw new ConfigError(`${r.source} must be one of ${allowed.join(', ')}, got '${r.value}'`);
    }
    return r.value as T;
  };
  const tlsCertFile = str('tlsCertFile');
  const tlsKeyFile = str('tlsKeyFile');
  if ((tlsCertFile === undefined) !== (tlsKeyFile === undefined)) {
    throw new ConfigError('TLS_CERT and TLS_KEY must be set together');
  }
  const redisUrl = str('redisUrl');
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) {
    throw new ConfigError(`REDIS_URL must start with redis:// or rediss://, got '${redisUrl}'`);
  }
  const config: ServerConfig = {
    port: int('port', d.port, 0, 65_535),
    host: str('host') ?? d.host,
    serverId: str('serverId') ?? d.serverId,
    redisUrl,
    ingestToken: str('ingestToken'),
    adminToken: str('adminToken'),
    flushIntervalMs: int('flushIntervalMs', d.flushIntervalMs, 0, 1_000),
    flushBudgetMs: int('flushBudgetMs', d.flushBudgetMs, 1, 1_000),
    flushLingerMs: int('flushLingerMs', d.flushLingerMs, 0, 1_000),
    flushLingerLoadPercent: int('flushLingerLoadPercent', d.flushLingerLoadPercent, 0, 100),
    historyTicks: int('historyTicks', d.historyTicks, 1, 10_000_000),
    candlesPerInterval: int('candlesPerInterval', d.candlesPerInterval, 1, 1_000_000),
    bookMaxDepth: int('bookMaxDepth', d.bookMaxDepth, 1, DEFAULT_LIMITS.bookDepthCeiling),
    bookHistoryUpdates: int('bookHistoryUpdates', d.bookHistoryUpdates, 1, 1_000_000),
    maxSubscriptions: int('maxSubscriptions', d.maxSubscriptions, 1, 100_000),
    maxSymbolsPerRequest: int('maxSymbolsPerRequest', d.maxSymbolsPerRequest, 1, 100_000),
    maxPayloadBytes: int('maxPayloadBytes', d.maxPayloadBytes, 1_024, 100_000_000),
    subscribeBurst: int('subscribeBurst', d.subscribeBurst, 1, 1_000_000),
    subscribeRatePerSec: int('subscribeRatePerSec', d.subscribeRatePerSec, 1, 1_000_000),
    slowConsumerMaxFrames: int('slowConsumerMaxFrames', d.slowConsumerMaxFrames, 1, 1_000_000),
    slowConsumerPolicy: oneOf('slowConsumerPolicy', ['conflate', 'disconnect'] as const, d.slowConsumerPolicy),
    quotesMinThrottleMs: int('quotesMinThrottleMs', d.quotesMinThrottleMs, QUOTE_LIMITS.minThrottleMs, QUOTE_LIMITS.maxThrottleMs),
    sseMaxBufferedBytes: int('sseMaxBufferedBytes', d.sseMaxBufferedBytes, 1_024, 1_073_741_824),
    maxConnectionsPerIp: int('maxConnectionsPerIp', d.maxConnectionsPerIp, 0, 1_000_000),
    maxPendingSessionsPerIp: int('maxPendingSessionsPerIp', d.maxPendingSessionsPerIp, 0, 1_000_000),
    connectTimeoutMs: int('connectTimeoutMs', d.connectTimeoutMs, 100, 600_000),
    restRateLimitPerMin: int('restRateLimitPerMin', d.restRateLimitPerMin, 0, 100_000_000),
    pingIntervalMs: int('pingIntervalMs', d.pingIntervalMs, 100, 600_000),
    pingTimeoutMs: int('pingTimeoutMs', d.pingTimeoutMs, 100, 600_000),
    corsOrigins: list('corsOrigins'),
    allowedHosts: allowedHosts(list('allowedHosts'), str('host') ?? d.host),
    tlsCertFile,
    tlsKeyFile,
    dashboardDir: str('dashboardDir'),
    shutdownTimeoutMs: int('shutdownTimeoutMs', d.shutdownTimeoutMs, 0, 600_000),
    drainGraceMs: int('drainGraceMs', d.drainGraceMs, 0, 600_000),
    logLevel: oneOf('logLevel', LOG_LEVELS, d.logLevel),
    trustProxy: trustProxy(raw('trustProxy')),
    maxTickClockSkewMs: int('maxTickClockSkewMs', d.maxTickClockSkewMs, 0, 31_536_000_000),
    maxSymbols: int('maxSymbols', d.maxSymbols, 1, 10_000_000),
    publisherGraceMs: int('publisherGraceMs', d.publisherGraceMs, 0, 86_400_000),
    dataDir: undefined,
    retentionDays: int('retentionDays', d.retentionDays, 1, 36_500),
    candleRetentionDays: int('candleRetentionDays', d.candleRetentionDays, 1, 36_500),
    groupCommit: oneOf('groupCommit', ['fsync', 'write'] as const, d.groupCommit),
    checkpointIntervalMs: int('checkpointIntervalMs', d.checkpointIntervalMs, 1_000, 86_400_000),
    checkpointTicks: int('checkpointTicks', d.checkpointTicks, 1_000, 1_000_000_000),
    minFreeDiskMb: int('minFreeDiskMb', d.minFreeDiskMb, 0, 10_000_000),
    ...parseAuthSettings({
      mode: oneOf('authMode', ['none', 'jwt'] as const, d.authMode),
      secret: str('authJwtSecret'),
      publicKey: str('authJwtPublicKey'),
      jwksUrl: str('authJwksUrl'),
      algorithms: str('authJwtAlgorithms'),
    }),
    authIssuer: str('authIssuer'),
    authAudience: str('authAudience'),
    authClockToleranceSec: int('authClockToleranceSec', d.authClockToleranceSec, 0, 3_600),
    authMaxTokenBytes: int('authMaxTokenBytes', d.authMaxTokenBytes, 256, DEFAULT_LIMITS.maxAccessTokenBytes),
    authJwksTimeoutMs: int('authJwksTimeoutMs', d.authJwksTimeoutMs, 50, 60_000),
    authJwksCacheMs: int('authJwksCacheMs', d.authJwksCacheMs, 1_000, 86_400_000),
    userMaxSubscriptions: int('userMaxSubscriptions', d.userMaxSubscriptions, 1, 10_000_000),
    userSubscribeBurst: int('userSubscribeBurst', d.userSubscribeBurst, 1, 1_000_000),
    userSubscribeRatePerSec: int('userSubscribeRatePerSec', d.userSubscribeRatePerSec, 1, 1_000_000),
    metricsToken: str('metricsToken'),
  };
  const dataDir = resolveDataDir(flags, input.env, ephemeral, redisUrl, input.defaultDataDir);
  return { config: Object.freeze({ ...config, dataDir }), unknownArgs };
}

/**
 * DATA_DIR as an absolute path, or undefined for in-memory: an empty value or --ephemeral means in memory
 * (so raw() cannot read it: there an empty value means unset); unset takes the entry point's default, except
 * with REDIS_URL, where the shared store holds the history and a second store would be a second truth.
 */
function resolveDataDir(flags: Map<string, string>, env: Env, ephemeral: boolean, redisUrl: string | undefined, fallback: string | undefined): string | undefined {
  const flag = flags.get('data-dir');
  const given = flag !== undefined ? { value: flag, source: '--data-dir' } : env.DATA_DIR !== undefined ? { value: env.DATA_DIR, source: 'DATA_DIR' } : undefined;
  if (ephemeral) {
    if (given !== undefined && given.value !== '') throw new ConfigError(`--ephemeral and ${given.source} contradict each other: keep one`);
    return undefined;
  }
  if (given === undefined) return redisUrl !== undefined || fallback === undefined ? undefined : resolve(fallback);
  if (given.value === '') return undefined;
  if (redisUrl !== undefined) {
    throw new ConfigError(`${given.source} and REDIS_URL: with REDIS_URL the shared store in Redis holds the history; unset ${given.source}`);
  }
  return resolve(given.value);
}

/** TRUST_PROXY: `false`/`0`/unset, a hop count, or proxy addresses and CIDRs (validated by the library that applies them). */
function trustProxy(r: { value: string; source: string } | undefined): TrustProxy {
  if (r === undefined) return DEFAULT_SERVER_CONFIG.trustProxy;
  const value = r.value.trim().toLowerCase();
  if (['false', 'no', 'off', '0'].includes(value)) return Object.freeze({ kind: 'none' });
  if (['true', 'yes', 'on'].includes(value)) {
    throw new ConfigError(
      `${r.source}=${r.value} would take the client's address from the left-most X-Forwarded-For entry, which the client writes; ` +
        'name the load balancer instead (addresses or CIDRs, e.g. 10.0.0.5 or 172.16.0.0/12, or loopback) or give a hop count',
    );
  }
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops > 100) throw new ConfigError(`${r.source} hop count must be at most 100, got '${r.value}'`);
    return Object.freeze({ kind: 'hops', hops });
  }
  const addresses = value.split(',').map((a) => a.trim()).filter((a) => a.length > 0);
  try {
    proxyAddr.compile(addresses);
  } catch (error) {
    throw new ConfigError(`${r.source} must be false, a hop count, or proxy addresses/CIDRs: ${(error as Error).message}`);
  }
  return Object.freeze({ kind: 'addresses', addresses: Object.freeze(addresses) });
}

/** ALLOWED_HOSTS as given, plus HOST when it is a name (IP literals pass anyway). */
function allowedHosts(listed: readonly string[], host: string): readonly string[] {
  const names = listed.map((h) => h.toLowerCase());
  const bound = host.toLowerCase();
  if (isIP(bound) === 0 && !names.includes(bound)) names.push(bound);
  return Object.freeze(names);
}

/** Defaults for tests: a free port on loopback, known tokens, quiet logs. */
export function testServerConfig(overrides: Partial<ServerConfig> = {}): ServerConfig {
  return Object.freeze({
    ...DEFAULT_SERVER_CONFIG,
    port: 0,
    host: '127.0.0.1',
    serverId: `test-${process.pid}`,
    ingestToken: 'test-token',
    adminToken: 'test-admin',
    logLevel: 'silent',
    restRateLimitPerMin: 0,
    drainGraceMs: 500,
    ...overrides,
  });
}

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Every setting as a `--kebab-name value` flag, and --ephemeral (in memory whatever DATA_DIR says). */
const FLAGS: NonNullable<ParseArgsConfig['options']> = {
  ...Object.fromEntries(Object.keys(ENV_NAMES).map((key) => [kebab(key), { type: 'string' as const }])),
  ephemeral: { type: 'boolean' },
};

/**
 * The settings among `argv` (`--name value` or `--name=value`; the last one wins). Everything
 * else is returned untouched and in order: the launcher passes it on to the embedded simulator,
 * which shares the command line.
 */
function readFlags(argv: readonly string[]): { flags: Map<string, string>; ephemeral: boolean; unknownArgs: string[] } {
  const { tokens } = parseArgs({ args: [...argv], options: FLAGS, strict: false, allowPositionals: true, tokens: true });
  const flags = new Map<string, string>();
  let ephemeral = false;
  const known = new Set<number>();
  for (const token of tokens) {
    if (token.kind !== 'option' || !Object.hasOwn(FLAGS, token.name)) continue;
    if (token.name === 'ephemeral') {
      if (token.inlineValue === true) continue;
      ephemeral = true;
    } else {
      // parseArgs takes the next word even when it is another flag: that is a missing value here.
      if (token.value === undefined || (token.inlineValue === false && token.value.startsWith('--'))) {
        throw new ConfigError(`--${token.name} needs a value`);
      }
      flags.set(token.name, token.value);
      if (token.inlineValue === false) known.add(token.index + 1);
    }
    known.add(token.index);
  }
  const unknownArgs = argv.filter((_, i) => !known.has(i));
  return { flags, ephemeral, unknownArgs };
}
