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
  /**
   * Symbols in one ingest `declare` request. Like every message, a declare must
   * also fit the server's payload limit (MAX_PAYLOAD_BYTES, 1 MB by default): a
   * declaration takes 80 to 1,400 bytes of JSON, so a publisher splits a large
   * universe by size as well (the simulator's socket port does).
   */
  maxSymbolsPerDeclare: 10_000,
  /** Symbols one server holds at most (MAX_SYMBOLS); a declare over it is refused per symbol. */
  maxSymbols: 20_000,
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
  /** Symbols in one page of GET /api/symbols when `limit` is not given. */
  symbolsPerPage: 500,
  /** Largest `limit` of GET /api/symbols. */
  maxSymbolsPerPage: 2_000,
  /** Price levels per side a server keeps of each book (BOOK_MAX_DEPTH). */
  bookMaxDepth: 50,
  /** Depth of a `book:subscribe` or REST book request that names none. */
  bookDefaultDepth: 10,
  /** Largest BOOK_MAX_DEPTH a server may be configured with, and so the largest `depth` any request may name. */
  bookDepthCeiling: 1_000,
  /** Book updates kept per symbol for exact resume (BOOK_HISTORY_UPDATES). */
  bookHistoryUpdates: 10_000,
  /** Book snapshots and updates in one ingest `book:publish` batch. */
  maxBookUpdatesPerPublish: 5_000,
} as const;

/**
 * Bounds of a conflated (quotes) subscription: `subscribe { throttleMs }`.
 * 0 means every tick (`ticks` events); any other value lies in
 * [minThrottleMs, maxThrottleMs] and is rounded to a multiple of
 * throttleStepMs, so the server's one quotes timer wakes at most every step.
 */
export const QUOTE_LIMITS = {
  /** Shortest interval between two quotes of one symbol, ms; servers may raise it (QUOTES_MIN_THROTTLE_MS). */
  minThrottleMs: 100,
  /** Longest interval between two quotes of one symbol, ms. */
  maxThrottleMs: 60_000,
  /** Granularity of the intervals, ms: a requested interval is rounded to the nearest multiple. */
  throttleStepMs: 50,
} as const;

/** Symbol names: upper-case letters, digits, '.', '_' and '-', 1 to 20 characters, starting with a letter or digit. */
export const SYMBOL_PATTERN = '^[A-Z0-9][A-Z0-9._-]{0,19}$';
export const SYMBOL_MAX_LENGTH = 20;
const symbolRegex = new RegExp(SYMBOL_PATTERN);

export function isValidSymbol(value: unknown): boolean {
  return typeof value === 'string' && value.length <= SYMBOL_MAX_LENGTH && symbolRegex.test(value);
}

/**
 * Bounds of every number a publisher puts into shared state. They keep every
 * aggregate finite: a session or candle volume is at most maxSize × ticks
 * (< 1e30 for any realistic day), `change` at most maxPrice, and `changePct`
 * at most maxPrice / minPrice × 100 = 1e19.
 */
export const TICK_LIMITS = {
  /** Smallest price, bid, ask, reference price and tick size: 1e-8 (a satoshi). */
  minPrice: 1e-8,
  /** Largest price, bid, ask, reference price and tick size: 1e9. */
  maxPrice: 1e9,
  /** Largest size of one trade, in units of the instrument: 1e12. */
  maxSize: 1e12,
  /**
   * Latest `ts` any tick may carry, epoch ms: 8.64e15, the end of the range of
   * a JavaScript Date (year 275760). The server narrows it to a window around
   * its clock (MAX_TICK_CLOCK_SKEW_MS).
   */
  maxTs: 8_640_000_000_000_000,
} as const;

/** A publisher's stable identity across reconnects (`auth.publisherId` on /ingest): 1 to 64 of letters, digits, '.', '_', ':' and '-'. */
export const PUBLISHER_ID_PATTERN = '^[A-Za-z0-9._:-]{1,64}$';
const publisherIdRegex = new RegExp(PUBLISHER_ID_PATTERN);

export function isValidPublisherId(value: unknown): value is string {
  return typeof value === 'string' && publisherIdRegex.test(value);
}
