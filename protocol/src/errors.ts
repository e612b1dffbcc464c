/**
 * The one catalog of expected failures. Every error a client or publisher can
 * receive carries one of these codes, on Socket.IO acks and REST bodies alike.
 */
export const ErrorCode = {
  /** The payload does not match the event's or route's schema. */
  BAD_REQUEST: 'BAD_REQUEST',
  /** The symbol is not part of the universe. */
  UNKNOWN_SYMBOL: 'UNKNOWN_SYMBOL',
  /** The connection would exceed its subscription cap, or a declare the server's symbol cap (MAX_SYMBOLS). */
  TOO_MANY_SYMBOLS: 'TOO_MANY_SYMBOLS',
  /** Too many requests in too short a time; retry later. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** The payload is larger than the configured limit. */
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** Missing or wrong credentials (access token, ingest token, admin token). */
  UNAUTHORIZED: 'UNAUTHORIZED',
  /** The credentials are valid but do not cover this symbol or action (entitlements). */
  FORBIDDEN: 'FORBIDDEN',
  /** The access token expired and was not renewed (`auth:refresh`); the connection is closed. */
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  /** A published tick failed validation (price, size, quote, timestamp). */
  INVALID_TICK: 'INVALID_TICK',
  /** A published tick's seq is not the symbol's last seq + 1. */
  SEQ_MISMATCH: 'SEQ_MISMATCH',
  /**
   * A published book snapshot or update is malformed: levels unsorted or duplicated, a price off the
   * tick grid, a size negative or not a whole number of lots, more levels than BOOK_MAX_DEPTH, or the
   * removal of a level the book does not hold.
   */
  INVALID_BOOK: 'INVALID_BOOK',
  /** A published book update would leave the book crossed (best bid above best ask). */
  CROSSED_BOOK: 'CROSSED_BOOK',
  /** The symbol has no order book (its declaration did not say `book: true`). */
  NO_BOOK: 'NO_BOOK',
  /** The publisher has not declared this symbol on this connection. */
  NOT_DECLARED: 'NOT_DECLARED',
  /** Another publisher owns this symbol (or the feed status); declare with `takeover: true` to take it. */
  NOT_OWNER: 'NOT_OWNER',
  /** The requested interval is not one of the supported candle intervals. */
  BAD_INTERVAL: 'BAD_INTERVAL',
  /** No replay publisher is connected to take the control command. */
  NO_CONTROLLABLE_FEED: 'NO_CONTROLLABLE_FEED',
  /** The shared store (Redis) is unreachable; the request could not be served. */
  STORE_UNAVAILABLE: 'STORE_UNAVAILABLE',
  /** The client stopped reading and fell behind the outbound buffer cap. */
  SLOW_CONSUMER: 'SLOW_CONSUMER',
  /** The server is shutting down; reconnect (to another instance) and resume. */
  SHUTTING_DOWN: 'SHUTTING_DOWN',
  /** A failure inside the server; details are logged, not returned. */
  INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const ERROR_CODES: readonly ErrorCode[] = Object.values(ErrorCode);

export interface ProtocolError {
  code: ErrorCode;
  message: string;
}

export interface ErrorReply {
  ok: false;
  error: ProtocolError;
}

export function errorReply(code: ErrorCode, message: string): ErrorReply {
  return { ok: false, error: { code, message } };
}
