import { hostname } from 'node:os';
import { DEFAULT_LIMITS } from '@tickfeed/protocol';
import { parseAuthSettings } from './auth/config-keys.js';

/** What to do with a consumer whose outbound buffer is over its cap. */
export type SlowConsumerPolicy = 'conflate' | 'disconnect';
/** How consumers authenticate: 'none' (anonymous, every symbol) or 'jwt' (access tokens with entitlements). */
export type AuthMode = 'none' | 'jwt';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Every setting of the feed server. Built once by loadServerConfig; nothing else reads the environment. */
export interface ServerConfig {
  /** PORT: TCP port to listen on (default 3000; 0 picks a free one). */
  readonly port: number;
  /** HOST: interface to bind (default 127.0.0.1; 0.0.0.0 in containers). */
  readonly host: string;
  /** SERVER_ID: name of this instance in logs, metrics and `welcome` (default hostname-pid). */
  readonly serverId: string;
  /** REDIS_URL: shared state and fan-out across instances; unset runs alone in memory. */
  readonly redisUrl: string | undefined;
  /** INGEST_TOKEN: token publishers send as `auth.token` on /ingest; unset refuses every publisher. */
  readonly ingestToken: string | undefined;
  /** ADMIN_TOKEN: bearer token for POST /api/feed/control; unset disables the control API. */
  readonly adminToken: string | undefined;
  /** FLUSH_INTERVAL_MS: shortest wait between two flushes, when the server is idle (default 20 ms). */
  readonly flushIntervalMs: number;
  /** FLUSH_MAX_INTERVAL_MS: longest wait between two flushes; under load the wait grows with the flush's cost up to this (default 50 ms). */
  readonly flushMaxIntervalMs: number;
  /** FLUSH_BUDGET_MS: longest stretch one flush runs before yielding to the event loop (default 8 ms). */
  readonly flushBudgetMs: number;
  /** HISTORY_TICKS: ticks kept per symbol for resume and REST (default 10,000). */
  readonly historyTicks: number;
  /** CANDLES_PER_INTERVAL: candles kept per symbol and interval (default 2,000). */
  readonly candlesPerInterval: number;
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
  /** MAX_CONNECTIONS_PER_IP: consumer connections from one address (default 0 = unlimited). */
  readonly maxConnectionsPerIp: number;
  /** REST_RATE_LIMIT: REST requests per minute per address (default 1,200; 0 = off). */
  readonly restRateLimitPerMin: number;
  /** PING_INTERVAL_MS: Engine.IO heartbeat interval (default 10,000 ms). */
  readonly pingIntervalMs: number;
  /** PING_TIMEOUT_MS: time without a pong before a connection is dropped (default 10,000 ms). */
  readonly pingTimeoutMs: number;
  /** CORS_ORIGINS: comma-separated origins allowed besides same-origin (default none; '*' allows any). */
  readonly corsOrigins: readonly string[];
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
  /** TRUST_PROXY: trust X-Forwarded-For from a load balancer (default false). */
  readonly trustProxy: boolean;
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
  flushIntervalMs: 20,
  flushMaxIntervalMs: 50,
  flushBudgetMs: 8,
  historyTicks: DEFAULT_LIMITS.historyTicksPerSymbol,
  candlesPerInterval: DEFAULT_LIMITS.candlesPerInterval,
  maxSubscriptions: DEFAULT_LIMITS.maxSubscriptionsPerConnection,
  maxSymbolsPerRequest: DEFAULT_LIMITS.maxSymbolsPerRequest,
  maxPayloadBytes: DEFAULT_LIMITS.maxPayloadBytes,
  subscribeBurst: DEFAULT_LIMITS.subscribeBurst,
  subscribeRatePerSec: DEFAULT_LIMITS.subscribeRatePerSec,
  slowConsumerMaxFrames: 100,
  slowConsumerPolicy: 'conflate',
  maxConnectionsPerIp: 0,
  restRateLimitPerMin: 1_200,
  pingIntervalMs: 10_000,
  pingTimeoutMs: 10_000,
  corsOrigins: [],
  tlsCertFile: undefined,
  tlsKeyFile: undefined,
  dashboardDir: undefined,
  shutdownTimeoutMs: 10_000,
  drainGraceMs: 2_000,
  logLevel: 'info',
  trustProxy: false,
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
  flushMaxIntervalMs: 'FLUSH_MAX_INTERVAL_MS',
  flushBudgetMs: 'FLUSH_BUDGET_MS',
  historyTicks: 'HISTORY_TICKS',
  candlesPerInterval: 'CANDLES_PER_INTERVAL',
  maxSubscriptions: 'MAX_SUBSCRIPTIONS',
  maxSymbolsPerRequest: 'MAX_SYMBOLS_PER_REQUEST',
  maxPayloadBytes: 'MAX_PAYLOAD_BYTES',
  subscribeBurst: 'SUBSCRIBE_BURST',
  subscribeRatePerSec: 'SUBSCRIBE_RATE',
  slowConsumerMaxFrames: 'SLOW_CONSUMER_MAX_FRAMES',
  slowConsumerPolicy: 'SLOW_CONSUMER_POLICY',
  maxConnectionsPerIp: 'MAX_CONNECTIONS_PER_IP',
  restRateLimitPerMin: 'REST_RATE_LIMIT',
  pingIntervalMs: 'PING_INTERVAL_MS',
  pingTimeoutMs: 'PING_TIMEOUT_MS',
  corsOrigins: 'CORS_ORIGINS',
  tlsCertFile: 'TLS_CERT',
  tlsKeyFile: 'TLS_KEY',
  dashboardDir: 'DASHBOARD_DIR',
  shutdownTimeoutMs: 'SHUTDOWN_TIMEOUT_MS',
  drainGraceMs: 'DRAIN_GRACE_MS',
  logLevel: 'LOG_LEVEL',
  trustProxy: 'TRUST_PROXY',
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

export function parseServerConfig(input: { env: Env; argv?: readonly string[] }): {
  config: ServerConfig;
  unknownArgs: string[];
} {
  const { flags, unknownArgs } = readFlags(input.argv ?? []);
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
  const bool = (key: keyof ServerConfig, fallback: boolean): boolean => {
    const r = raw(key);
    if (r === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(r.value.toLowerCase())) return true;
    if (['0', 'false', 'no', 'off'].includes(r.value.toLowerCase())) return false;
    throw new ConfigError(`${r.source} must be true or false, got '${r.value}'`);
  };
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
    flushIntervalMs: int('flushIntervalMs', d.flushIntervalMs, 1, 1_000),
    flushMaxIntervalMs: 0,
    flushBudgetMs: int('flushBudgetMs', d.flushBudgetMs, 1, 1_000),
    historyTicks: int('historyTicks', d.historyTicks, 1, 10_000_000),
    candlesPerInterval: int('candlesPerInterval', d.candlesPerInterval, 1, 1_000_000),
    maxSubscriptions: int('maxSubscriptions', d.maxSubscriptions, 1, 100_000),
    maxSymbolsPerRequest: int('maxSymbolsPerRequest', d.maxSymbolsPerRequest, 1, 100_000),
    maxPayloadBytes: int('maxPayloadBytes', d.maxPayloadBytes, 1_024, 100_000_000),
    subscribeBurst: int('subscribeBurst', d.subscribeBurst, 1, 1_000_000),
    subscribeRatePerSec: int('subscribeRatePerSec', d.subscribeRatePerSec, 1, 1_000_000),
    slowConsumerMaxFrames: int('slowConsumerMaxFrames', d.slowConsumerMaxFrames, 1, 1_000_000),
    slowConsumerPolicy: oneOf('slowConsumerPolicy', ['conflate', 'disconnect'] as const, d.slowConsumerPolicy),
    maxConnectionsPerIp: int('maxConnectionsPerIp', d.maxConnectionsPerIp, 0, 1_000_000),
    restRateLimitPerMin: int('restRateLimitPerMin', d.restRateLimitPerMin, 0, 100_000_000),
    pingIntervalMs: int('pingIntervalMs', d.pingIntervalMs, 100, 600_000),
    pingTimeoutMs: int('pingTimeoutMs', d.pingTimeoutMs, 100, 600_000),
    corsOrigins: (str('corsOrigins') ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter((o) => o.length > 0),
    tlsCertFile,
    tlsKeyFile,
    dashboardDir: str('dashboardDir'),
    shutdownTimeoutMs: int('shutdownTimeoutMs', d.shutdownTimeoutMs, 0, 600_000),
    drainGraceMs: int('drainGraceMs', d.drainGraceMs, 0, 600_000),
    logLevel: oneOf('logLevel', LOG_LEVELS, d.logLevel),
    trustProxy: bool('trustProxy', d.trustProxy),
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
  const flushMaxIntervalMs = int('flushMaxIntervalMs', Math.max(d.flushMaxIntervalMs, config.flushIntervalMs), 1, 10_000);
  if (flushMaxIntervalMs < config.flushIntervalMs) {
    throw new ConfigError(`FLUSH_MAX_INTERVAL_MS (${flushMaxIntervalMs}) must be at least FLUSH_INTERVAL_MS (${config.flushIntervalMs})`);
  }
  return { config: Object.freeze({ ...config, flushMaxIntervalMs }), unknownArgs };
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
    flushMaxIntervalMs: Math.max(overrides.flushMaxIntervalMs ?? DEFAULT_SERVER_CONFIG.flushMaxIntervalMs, overrides.flushIntervalMs ?? 0),
  });
}

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

const FLAG_KEYS = new Set(Object.keys(ENV_NAMES).map(kebab));

function readFlags(argv: readonly string[]): { flags: Map<string, string>; unknownArgs: string[] } {
  const flags = new Map<string, string>();
  const unknownArgs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const match = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(arg);
    const name = match?.[1];
    if (match === null || name === undefined || !FLAG_KEYS.has(name)) {
      unknownArgs.push(arg);
      continue;
    }
    let value = match[2];
    if (value === undefined) {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new ConfigError(`--${name} needs a value`);
      i++;
    }
    flags.set(name, value);
  }
  return { flags, unknownArgs };
}
