import { QUOTE_LIMITS } from '@tickfeed/protocol';

/*
 * A subscription is a Socket.IO room. Every tick of a symbol goes to the room
 * named after it; a conflated (quotes) subscription is the room
 * `<symbol>@<throttleMs>` instead, which the fan-out never walks and the
 * quote hub does. '@' is not allowed in symbol names, so the two never meet,
 * and a connection holds a symbol in exactly one of them.
 */

const SEPARATOR = '@';

/** The room that holds a subscription: the symbol itself for every tick, `SYM@ms` for quotes. */
export function subscriptionRoom(symbol: string, throttleMs: number): string {
  return throttleMs === 0 ? symbol : `${symbol}${SEPARATOR}${throttleMs}`;
}

/** The symbol and interval of a subscription room (throttleMs 0: every tick). */
export function parseSubscriptionRoom(room: string): { symbol: string; throttleMs: number } {
  const at = room.indexOf(SEPARATOR);
  if (at < 0) return { symbol: room, throttleMs: 0 };
  return { symbol: room.slice(0, at), throttleMs: Number(room.slice(at + 1)) };
}

/** The symbol a subscription room holds. */
export function symbolOfRoom(room: string): string {
  const at = room.indexOf(SEPARATOR);
  return at < 0 ? room : room.slice(0, at);
}

/**
 * The interval a conflated subscription gets: the requested one rounded to
 * the nearest QUOTE_LIMITS.throttleStepMs, at least the server's minimum and
 * at most QUOTE_LIMITS.maxThrottleMs. 0 (every tick) stays 0.
 */
export function effectiveThrottleMs(requested: number, serverMinMs: number): number {
  if (requested === 0) return 0;
  const step = QUOTE_LIMITS.throttleStepMs;
  const rounded = Math.round(requested / step) * step;
  const min = Math.ceil(Math.max(serverMinMs, QUOTE_LIMITS.minThrottleMs) / step) * step;
  return Math.min(QUOTE_LIMITS.maxThrottleMs, Math.max(min, rounded));
}
