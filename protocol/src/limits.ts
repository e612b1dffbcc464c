/**
 * Default limits. Servers make each one configurable; these are the values a
 * server uses when nothing is configured, and what clients may assume.
 */
export const DEFAULT_LIMITS = {
  /** Subscriptions one consumer connection may hold at once. */
  maxSubscriptionsPerConnection: 200,
  /** Symbols in one subscribe/unsubscribe request. */
  maxSymbolsPerRequest: 200,
  /** Ticks in one ingest `publish` batch. */
  maxTicksPerPublish: 5_000,
  /** Symbols in one ingest `declare` request. */
  maxSymbolsPerDeclare: 10_000,
  /** Largest Socket.IO message accepted, in bytes (Engine.IO maxHttpBufferSize). */
  maxPayloadBytes: 1_000_000,
  /** Subscribe/unsubscribe token bucket: burst size, in requests. */
  subscribeBurst: 20,
  /** Subscribe/unsubscribe token bucket: sustained rate, in requests per second. */
  subscribeRatePerSec: 10,
  /** Ticks of history kept per symbol for resume and REST. */
  historyTicksPerSymbol: 10_000,
  /** Candles kept per symbol and interval. */
  candlesPerInterval: 2_000,
  /** Ticks returned by one REST ticks request at most. */
  maxTicksPerRequest: 1_000,
  /** Longest access token (JWT) a server may accept, in bytes; servers may set a lower cap (AUTH_MAX_TOKEN_BYTES). */
  maxAccessTokenBytes: 65_536,
  /** Candles returned by one REST candles request at most. */
  maxCandlesPerRequest: 2_000,
} as const;

/** Symbol names: upper-case letters, digits, '.', '_' and '-', 1 to 20 characters, starting with a letter or digit. */
export const SYMBOL_PATTERN = '^[A-Z0-9][A-Z0-9._-]{0,19}$';
export const SYMBOL_MAX_LENGTH = 20;
const symbolRegex = new RegExp(SYMBOL_PATTERN);

export function isValidSymbol(value: unknown): boolean {
  return typeof value === 'string' && value.length <= SYMBOL_MAX_LENGTH && symbolRegex.test(value);
}
