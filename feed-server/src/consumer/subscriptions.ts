import { TypeCompiler } from '@sinclair/typebox/compiler';
import {
  ErrorCode,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  errorReply,
  isValidSymbol,
  snapshotOf,
  type RejectedSymbol,
  type Subscribed,
  type SubscribeReply,
  type SubscribeRequest,
  type ErrorReply,
  type UnsubscribeReply,
} from '@tickfeed/protocol';
import type { MarketState } from '../market/market-state.js';
import { describeSchemaError } from '../validation.js';
import type { ReplayStart } from '../delivery/replay-cursors.js';
import { effectiveThrottleMs } from './subscription-rooms.js';

const subscribeCheck = TypeCompiler.Compile(SubscribeRequestSchema);
const unsubscribeCheck = TypeCompiler.Compile(UnsubscribeRequestSchema);

export interface SubscriptionLimits {
  maxSubscriptions: number;
  maxSymbolsPerRequest: number;
  /** Shortest interval of a conflated subscription (QUOTES_MIN_THROTTLE_MS). */
  quotesMinThrottleMs?: number;
}

/** What a connection holds and can do; implemented over a Socket.IO socket and its rooms. */
export interface SubscriberHandle {
  /** Symbols currently subscribed, each with its delivery: 0 every tick, else the quotes interval in ms. */
  subscribed(): ReadonlyMap<string, number>;
  /** Holds the symbol with this delivery, leaving the room of any other delivery of it. */
  join(symbol: string, throttleMs: number): void;
  leave(symbol: string): void;
}

export interface SubscribePlan {
  reply: SubscribeReply;
  /** Symbols whose missed ticks must reach the client before any newer tick of theirs (resume with recovered: true and ticks missed). */
  replay: ReplayStart[];
  /** The delivery of the subscribed symbols: 0 every tick, else the quotes interval in ms. */
  throttleMs: number;
}

/** A subscribe request that passed the schema and the per-request limit; its symbols without repeats. */
export type CheckedSubscribe = { ok: true; request: SubscribeRequest } | ErrorReply;

/** The shape and size of a subscribe, checked before anything waits on it or reads the market. */
export function checkSubscribe(raw: unknown, maxSymbolsPerRequest: number): CheckedSubscribe {
  if (!subscribeCheck.Check(raw)) {
    return errorReply(ErrorCode.BAD_REQUEST, `subscribe: ${describeSchemaError(subscribeCheck.Errors(raw))}`);
  }
  const symbols = [...new Set(raw.symbols)];
  if (symbols.length > maxSymbolsPerRequest) {
    return errorReply(ErrorCode.TOO_MANY_SYMBOLS, `at most ${maxSymbolsPerRequest} symbols per request`);
  }
  return { ok: true, request: { ...raw, symbols } };
}

/**
 * The subscription rules of one request, apart from any socket: validation,
 * limits, unknown symbols, snapshots and resume. The caller sends the reply,
 * then starts `replay`; the missed ticks are read from history as the client
 * takes them, not copied here.
 */
export function planSubscribe(
  checked: CheckedSubscribe,
  handle: SubscriberHandle,
  market: MarketState,
  limits: SubscriptionLimits,
  entitlement: { allows(symbol: string): boolean } = { allows: () => true },
): SubscribePlan {
  if (!checked.ok) return { reply: checked, replay: [], throttleMs: 0 };
  const { symbols, resume } = checked.request;
  const throttleMs = effectiveThrottleMs(checked.request.throttleMs ?? 0, limits.quotesMinThrottleMs ?? 0);
  const current = handle.subscribed();
  const rejected: RejectedSymbol[] = [];
  const accepted: string[] = [];
  for (const symbol of symbols) {
    if (!isValidSymbol(symbol)) {
      rejected.push({ symbol: symbol.slice(0, 40), code: ErrorCode.BAD_REQUEST, message: 'not a valid symbol name' });
    } else if (!entitlement.allows(symbol)) {
      // Before the universe lookup, so a refusal says nothing about whether the symbol exists.
      rejected.push({ symbol, code: ErrorCode.FORBIDDEN, message: `your access does not cover ${symbol}` });
    } else if (!market.has(symbol)) {
      rejected.push({ symbol, code: ErrorCode.UNKNOWN_SYMBOL, message: `${symbol} is not in the universe` });
    } else {
      accepted.push(symbol);
    }
  }
  const added = accepted.filter((s) => !current.has(s)).length;
  if (current.size + added > limits.maxSubscriptions) {
    return {
      reply: errorReply(
        ErrorCode.TOO_MANY_SYMBOLS,
        `this connection may hold at most ${limits.maxSubscriptions} subscriptions (holds ${current.size}, asked for ${added} more)`,
      ),
      replay: [],
      throttleMs,
    };
  }
  const subscribed: Subscribed[] = [];
  const replay: ReplayStart[] = [];
  for (const symbol of accepted) {
    const book = market.get(symbol)!;
    handle.join(symbol, throttleMs);
    const entry: Subscribed = { symbol, epoch: book.epoch, snapshot: snapshotOf(symbol, book.stats, book.format) };
    // Quotes carry state, not a stream of ticks: there is nothing to resume.
    const point = throttleMs === 0 ? resume?.[symbol] : undefined;
    if (point !== undefined) {
      const recovered = point.epoch === book.epoch && point.seq <= book.stats.seq && book.ring.holdsAfter(point.seq);
      entry.recovered = recovered;
      if (recovered && point.seq < book.stats.seq) replay.push({ symbol, epoch: book.epoch, seq: point.seq });
    }
    subscribed.push(entry);
  }
  const reply: SubscribeReply = checked.request.throttleMs === undefined ? { ok: true, subscribed, rejected } : { ok: true, subscribed, rejected, throttleMs };
  return { reply, replay, throttleMs };
}

export function planUnsubscribe(raw: unknown, handle: SubscriberHandle): UnsubscribeReply {
  if (!unsubscribeCheck.Check(raw)) {
    return errorReply(ErrorCode.BAD_REQUEST, `unsubscribe: ${describeSchemaError(unsubscribeCheck.Errors(raw))}`);
  }
  const current = handle.subscribed();
  const unsubscribed: string[] = [];
  for (const symbol of new Set(raw.symbols)) {
    if (current.has(symbol)) {
      handle.leave(symbol);
      unsubscribed.push(symbol);
    }
  }
  return { ok: true, unsubscribed };
}
