import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { DEFAULT_LIMITS, QUOTE_LIMITS, SYMBOL_MAX_LENGTH, SYMBOL_PATTERN, TICK_LIMITS } from './limits.js';
import { ERROR_CODES } from './errors.js';
import type { BookPublish } from './book.js';

/** `us-equity`: 09:30–16:00 America/New_York, Mon–Fri. `utc-day`: 24/7, days at 00:00 UTC. `fx`: 24/5, days roll at 17:00 New York, Sun 17:00 – Fri 17:00 (SPEC P30; the rules: market-session.ts). */
export const SessionKindSchema = Type.Union([Type.Literal('us-equity'), Type.Literal('utc-day'), Type.Literal('fx')]);
export type SessionKind = Static<typeof SessionKindSchema>;

/*
 * Runtime schemas of every payload on the wire. Types are derived from them
 * with Static<>, so the validator and the compiler can never disagree.
 */

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const SymbolName = Type.String({
  pattern: SYMBOL_PATTERN,
  maxLength: SYMBOL_MAX_LENGTH,
  description: 'Symbol, e.g. AAPL, BTC-USD, EUR-USD',
});

export const ErrorCodeSchema = Type.Union(ERROR_CODES.map((code) => Type.Literal(code)));

export const ProtocolErrorSchema = Type.Object({
  code: ErrorCodeSchema,
  message: Type.String(),
});

export const ErrorReplySchema = Type.Object({
  ok: Type.Literal(false),
  error: ProtocolErrorSchema,
});

/** One trade print with the quote it traded against. All fields are JSON numbers except symbol. */
export const TickSchema = Type.Object(
  {
    symbol: SymbolName,
    /** Per-symbol sequence number, +1 per tick, starting at 1 in each epoch. */
    seq: Type.Integer({ minimum: 1 }),
    /** Event time, epoch milliseconds. */
    ts: Type.Number(),
    price: Type.Number(),
    size: Type.Number(),
    bid: Type.Number(),
    ask: Type.Number(),
  },
  { additionalProperties: false },
);
export type Tick = Static<typeof TickSchema>;

export const AssetKind = Type.Union([Type.Literal('equity'), Type.Literal('crypto'), Type.Literal('fx')]);
export type AssetKind = Static<typeof AssetKind>;

/** Static description of a tradable symbol. */
export const SymbolMetaSchema = Type.Object(
  {
    symbol: SymbolName,
    name: Type.String({ maxLength: 200 }),
    kind: AssetKind,
    currency: Type.String({ minLength: 3, maxLength: 8 }),
    /** Minimum price increment; prices and change carry its decimals. */
    tickSize: Type.Number({ exclusiveMinimum: 0 }),
    /** Size increment; sizes and volumes carry its decimals (8 when absent). */
    lotSize: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    /** true: the symbol has an order book (`book:subscribe`, GET /api/symbols/:symbol/book); absent: it has none. */
    book: Type.Optional(Type.Boolean()),
    /** Trading session the symbol follows (P30); absent: its kind's (equity: us-equity, crypto: utc-day, fx: fx). */
    session: Type.Optional(SessionKindSchema),
  },
  { additionalProperties: false },
);
export type SymbolMeta = Static<typeof SymbolMetaSchema>;

/** Market state of one symbol after the tick numbered `seq` (seq 0: no tick yet in this epoch). */
export const SnapshotSchema = Type.Object({
  symbol: SymbolName,
  seq: Type.Integer({ minimum: 0 }),
  /** Time of the last tick, epoch ms; 0 when there is none. */
  ts: Type.Number(),
  last: Type.Number(),
  bid: Type.Number(),
  ask: Type.Number(),
  /** Open, high, low and volume of the session of `ts` (P30–P33: the symbol's market hours). */
  open: Type.Number(),
  high: Type.Number(),
  low: Type.Number(),
  volume: Type.Number(),
  /** Last price of the previous session, or the declared reference price. */
  prevClose: Type.Number(),
  change: Type.Number(),
  changePct: Type.Number(),
});
export type Snapshot = Static<typeof SnapshotSchema>;

export const ResumePointSchema = Type.Object({
  epoch: Type.String({ minLength: 1, maxLength: 64 }),
  seq: Type.Integer({ minimum: 0 }),
});
export type ResumePoint = Static<typeof ResumePointSchema>;

/**
 * How a subscription is delivered: 0 = every tick as `ticks` events; otherwise
 * `quotes` events carrying each changed symbol's latest snapshot at most once
 * per this many ms (QUOTE_LIMITS: 100 to 60,000).
 */
export const ThrottleMsSchema = Type.Union([
  Type.Literal(0),
  Type.Integer({ minimum: QUOTE_LIMITS.minThrottleMs, maximum: QUOTE_LIMITS.maxThrottleMs }),
]);

export const SubscribeRequestSchema = Type.Object({
  symbols: Type.Array(Type.String({ maxLength: 64 }), { maxItems: DEFAULT_LIMITS.maxSymbolsPerRequest }),
  /**
   * 0 or absent: every tick (`ticks`). Otherwise these symbols are delivered
   * conflated, as `quotes`, at most once per throttleMs each; subscribing
   * again with another value switches them. `resume` does not apply to them.
   */
  throttleMs: Type.Optional(ThrottleMsSchema),
  resume: Type.Optional(
    Type.Record(Type.String({ maxLength: 64 }), ResumePointSchema, {
      maxProperties: DEFAULT_LIMITS.maxSymbolsPerRequest,
    }),
  ),
});
export type SubscribeRequest = Static<typeof SubscribeRequestSchema>;

export const SubscribedSchema = Type.Object({
  symbol: SymbolName,
  epoch: Type.String(),
  snapshot: SnapshotSchema,
  /**
   * Present when the request carried a resume point for this symbol. true: the
   * missed ticks follow the ack as ordinary `ticks` events, before any newer
   * tick. false: history was lost; start over from `snapshot`.
   */
  recovered: Type.Optional(Type.Boolean()),
});
export type Subscribed = Static<typeof SubscribedSchema>;

export const RejectedSymbolSchema = Type.Object({
  symbol: Type.String(),
  code: ErrorCodeSchema,
  message: Type.String(),
});
export type RejectedSymbol = Static<typeof RejectedSymbolSchema>;

export const SubscribeOkSchema = Type.Object({
  ok: Type.Literal(true),
  subscribed: Type.Array(SubscribedSchema),
  rejected: Type.Array(RejectedSymbolSchema),
  /**
   * Present when the request carried `throttleMs`: the interval the server
   * applies to the subscribed symbols (the request's, rounded to
   * QUOTE_LIMITS.throttleStepMs and raised to the server's minimum; 0 = every tick).
   */
  throttleMs: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type SubscribeOk = Static<typeof SubscribeOkSchema>;
export type SubscribeReply = SubscribeOk | Static<typeof ErrorReplySchema>;

/**
 * `quotes` event: the latest state of each symbol subscribed with
 * `throttleMs > 0` that changed since it was last sent to this client (the
 * ack's snapshot shape; `seq` is the last tick it covers). Each symbol at
 * most once per event and at most once per its throttleMs.
 */
export const QuotesSchema = Type.Array(SnapshotSchema);
export type Quotes = Static<typeof QuotesSchema>;

export const UnsubscribeRequestSchema = Type.Object({
  symbols: Type.Array(Type.String({ maxLength: 64 }), { maxItems: DEFAULT_LIMITS.maxSymbolsPerRequest }),
});
export type UnsubscribeRequest = Static<typeof UnsubscribeRequestSchema>;
export type UnsubscribeReply = { ok: true; unsubscribed: string[] } | Static<typeof ErrorReplySchema>;

/** `auth:refresh`: a renewed access token for the same user (`sub`). */
export const AuthRefreshRequestSchema = Type.Object({
  token: Type.String({ minLength: 1, maxLength: DEFAULT_LIMITS.maxAccessTokenBytes }),
});
export type AuthRefreshRequest = Static<typeof AuthRefreshRequestSchema>;
export const AuthRefreshOkSchema = Type.Object({
  ok: Type.Literal(true),
  /** When the new token expires, epoch ms. */
  expiresAt: Type.Number(),
  /** Subscribed symbols the new claims no longer cover; they were unsubscribed before this ack. */
  unsubscribed: Type.Array(SymbolName),
});
export type AuthRefreshReply = Static<typeof AuthRefreshOkSchema> | Static<typeof ErrorReplySchema>;

/** Sent to a symbol's room when its history starts over (replay seek or loop, history lost). */
export const ResetSchema = Type.Object({
  symbol: SymbolName,
  epoch: Type.String(),
  snapshot: SnapshotSchema,
  reason: Type.String(),
});
export type Reset = Static<typeof ResetSchema>;

export const FeedMode = Type.Union([Type.Literal('live'), Type.Literal('replay')]);
export const FeedState = Type.Union([Type.Literal('playing'), Type.Literal('paused'), Type.Literal('ended')]);
export const ReplaySpeed = Type.Union([Type.Number({ exclusiveMinimum: 0, maximum: 1_000_000 }), Type.Literal('max')]);
export type ReplaySpeed = Static<typeof ReplaySpeed>;

/** What the feed is: a live simulation or a replay, and where a replay stands. */
export const FeedStatusSchema = Type.Object({
  mode: FeedMode,
  state: FeedState,
  /** Replay speed multiplier, or 'max'; 1 for live. */
  speed: ReplaySpeed,
  /** Replay clock: the recorded time the replay has reached, epoch ms; null when live. */
  clock: Nullable(Type.Number({ minimum: 0, maximum: TICK_LIMITS.maxTs })),
  /** Whether the replay starts over when it reaches the end. */
  loop: Type.Boolean(),
  /** How many times the replay has completed (looped or ended). */
  completions: Type.Integer({ minimum: 0 }),
  /** Set on the status sent at the moment a replay completes or loops. */
  marker: Nullable(Type.Union([Type.Literal('completed'), Type.Literal('looped'), Type.Literal('seeked')])),
  /** Human-readable description of the source, e.g. the replayed files. */
  source: Type.String({ maxLength: 500 }),
  /** Whether a publisher is connected that accepts control commands. */
  controllable: Type.Boolean(),
  /**
   * Live simulation: the sessions (P30) whose markets are closed now, so their
   * symbols do not trade (S70). Absent when every market of the feed is open,
   * with --always-open, and in replays (which keep their own clock).
   */
  closed: Type.Optional(Type.Array(SessionKindSchema, { maxItems: 3, uniqueItems: true })),
});
export type FeedStatus = Static<typeof FeedStatusSchema>;

export const FeedControlSchema = Type.Union([
  Type.Object({ action: Type.Literal('pause') }, { additionalProperties: false }),
  Type.Object({ action: Type.Literal('resume') }, { additionalProperties: false }),
  Type.Object({ action: Type.Literal('speed'), speed: ReplaySpeed }, { additionalProperties: false }),
  Type.Object(
    { action: Type.Literal('seek'), to: Type.Number({ description: 'Recorded time to seek to, epoch ms' }) },
    { additionalProperties: false },
  ),
]);
export type FeedControl = Static<typeof FeedControlSchema>;

export const WelcomeSchema = Type.Object({
  protocolVersion: Type.Integer(),
  serverId: Type.String(),
  limits: Type.Object({
    maxSubscriptionsPerConnection: Type.Integer(),
    maxSymbolsPerRequest: Type.Integer(),
    flushIntervalMs: Type.Number(),
  }),
  feed: FeedStatusSchema,
});
export type Welcome = Static<typeof WelcomeSchema>;

export const NoticeSchema = Type.Object({
  code: ErrorCodeSchema,
  message: Type.String(),
  symbols: Type.Optional(Type.Array(SymbolName)),
});
export type Notice = Static<typeof NoticeSchema>;

export const ShutdownSchema = Type.Object({
  reason: Type.String(),
  /** Suggested delay before reconnecting, ms. */
  reconnectAfterMs: Type.Number(),
});
export type Shutdown = Static<typeof ShutdownSchema>;

/* ---------------------------------- ingest ---------------------------------- */

/** A declared price (reference price, tick size): inside the bounds every tick's price keeps. */
const PriceBound = Type.Number({ minimum: TICK_LIMITS.minPrice, maximum: TICK_LIMITS.maxPrice });

/** What a publisher declares of a symbol: its static description (SymbolMetaSchema), bounded, and its reference price. */
export const SymbolDeclarationSchema = Type.Object(
  {
    ...SymbolMetaSchema.properties,
    /** Minimum price increment, from 1e-8 to 1e9 (TICK_LIMITS). */
    tickSize: PriceBound,
    /** Size increment, from 1e-8 to 1e9; sizes and volumes carry its decimals (8 when absent) and are whole multiples of it (P11, P13). */
    lotSize: Type.Optional(PriceBound),
    /** Reference price: the previous close shown before the first tick; from 1e-8 to 1e9 (TICK_LIMITS). */
    refPrice: PriceBound,
  },
  { additionalProperties: false },
);
export type SymbolDeclaration = Static<typeof SymbolDeclarationSchema>;

export const DeclareRequestSchema = Type.Object({
  symbols: Type.Array(SymbolDeclarationSchema, { minItems: 1, maxItems: DEFAULT_LIMITS.maxSymbolsPerDeclare }),
  /** Start a new epoch for these symbols: history, candles and stats begin again at seq 0. */
  reset: Type.Optional(Type.Boolean()),
  /** Why the reset happens (shown to clients), e.g. 'seek' or 'loop'. */
  reason: Type.Optional(Type.String({ maxLength: 100 })),
  /**
   * Take these symbols (and the feed status, when its owner had any of them) from the
   * publisher that owns them; without it they are refused with NOT_OWNER. Logged.
   */
  takeover: Type.Optional(Type.Boolean()),
});
export type DeclareRequest = Static<typeof DeclareRequestSchema>;

export const DeclaredSchema = Type.Object({
  symbol: SymbolName,
  epoch: Type.String(),
  /** Last accepted seq of the symbol in this epoch; the next tick must carry lastSeq + 1. */
  lastSeq: Type.Integer({ minimum: 0 }),
  /** Time of the last accepted tick, epoch ms; 0 when none. */
  lastTs: Type.Number(),
  /** Last traded price, or the reference price when none. */
  last: Type.Number(),
  /** A symbol with a book: the book's last seq in this epoch (kept across restarts with DATA_DIR); the next book message must carry lastBookSeq + 1. */
  lastBookSeq: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type Declared = Static<typeof DeclaredSchema>;
export type DeclareReply =
  | { ok: true; declared: Declared[]; rejected: RejectedSymbol[] }
  | Static<typeof ErrorReplySchema>;

export const PublishRequestSchema = Type.Object({
  ticks: Type.Array(Type.Unknown(), { minItems: 1, maxItems: DEFAULT_LIMITS.maxTicksPerPublish }),
});
export type PublishRequest = { ticks: Tick[] };

export const RejectedTickSchema = Type.Object({
  index: Type.Integer(),
  symbol: Nullable(Type.String()),
  code: ErrorCodeSchema,
  message: Type.String(),
  /** book:publish with SEQ_MISMATCH: the seq the book expects next (a publisher resends a snapshot with it). */
  expectedSeq: Type.Optional(Type.Integer({ minimum: 1 })),
});
export type RejectedTick = Static<typeof RejectedTickSchema>;
export type PublishReply =
  | { ok: true; accepted: number; rejected: RejectedTick[] }
  | Static<typeof ErrorReplySchema>;

export type ControlReply = { ok: true; status: FeedStatus } | Static<typeof ErrorReplySchema>;

/* ------------------------------ order book (L2) ------------------------------ */

/** A price level: `[price, size]`; price on the symbol's tick grid, size > 0 (0 in an update: the level is gone). */
export const BookLevelSchema = Type.Tuple([Type.Number(), Type.Number()]);

/** CRC-32 (IEEE) of the top 10 levels, an unsigned 32-bit integer (see bookChecksumText). */
const Checksum = Type.Integer({ minimum: 0, maximum: 0xffffffff });

/** A book at `seq` (0: nothing published yet in this epoch): the top `depth` levels per side, best first. */
export const BookSnapshotSchema = Type.Object({
  symbol: SymbolName,
  /** The book's own sequence: +1 per update, starting at 1 in each epoch (the symbol's). */
  seq: Type.Integer({ minimum: 0 }),
  /** Time of the last update, epoch ms; 0 when there is none. */
  ts: Type.Number(),
  /** Highest price first. */
  bids: Type.Array(BookLevelSchema),
  /** Lowest price first. */
  asks: Type.Array(BookLevelSchema),
  checksum: Checksum,
});
export type BookSnapshot = Static<typeof BookSnapshotSchema>;

/**
 * One book update for one client: the levels that changed within its depth,
 * each with its new absolute size (0 removes it), best first; levels that
 * entered its top from below are included. Apply, then keep the best `depth`.
 */
export const BookUpdateSchema = Type.Object({
  symbol: SymbolName,
  seq: Type.Integer({ minimum: 1 }),
  ts: Type.Number(),
  bids: Type.Array(BookLevelSchema),
  asks: Type.Array(BookLevelSchema),
  /** Checksum of the server's top 10 levels after this update. */
  checksum: Checksum,
});
export type BookUpdate = Static<typeof BookUpdateSchema>;

const BookDepth = Type.Integer({ minimum: 1, maximum: DEFAULT_LIMITS.bookDepthCeiling, description: 'Levels per side, 1 to BOOK_MAX_DEPTH (default 10)' });

export const BookSubscribeRequestSchema = Type.Object({
  symbols: Type.Array(Type.String({ maxLength: 64 }), { maxItems: DEFAULT_LIMITS.maxSymbolsPerRequest }),
  depth: Type.Optional(BookDepth),
  /** Per symbol, the book's epoch and the last update applied: the missed updates follow the ack. */
  resume: Type.Optional(
    Type.Record(Type.String({ maxLength: 64 }), ResumePointSchema, {
      maxProperties: DEFAULT_LIMITS.maxSymbolsPerRequest,
    }),
  ),
});
export type BookSubscribeRequest = Static<typeof BookSubscribeRequestSchema>;

export const BookSubscribedSchema = Type.Object({
  symbol: SymbolName,
  epoch: Type.String(),
  depth: Type.Integer({ minimum: 1 }),
  /** The top `depth` levels now; the first update that follows is book.seq + 1. */
  book: BookSnapshotSchema,
  /**
   * Present when the request carried a resume point for this symbol. true: the
   * missed updates (at this depth) follow the ack, before any newer one, and
   * `book` is where they lead. false: start over from `book`.
   */
  recovered: Type.Optional(Type.Boolean()),
});
export type BookSubscribed = Static<typeof BookSubscribedSchema>;

export const BookSubscribeOkSchema = Type.Object({
  ok: Type.Literal(true),
  subscribed: Type.Array(BookSubscribedSchema),
  rejected: Type.Array(RejectedSymbolSchema),
});
export type BookSubscribeOk = Static<typeof BookSubscribeOkSchema>;
export type BookSubscribeReply = BookSubscribeOk | Static<typeof ErrorReplySchema>;
export type BookUnsubscribeReply = UnsubscribeReply;

/** A symbol's book starts over for this client: its epoch changed, or (slow consumer) updates were dropped. Replace what you hold. */
export const BookResetSchema = Type.Object({
  symbol: SymbolName,
  epoch: Type.String(),
  depth: Type.Integer({ minimum: 1 }),
  book: BookSnapshotSchema,
  reason: Type.String(),
});
export type BookReset = Static<typeof BookResetSchema>;

/** `book:publish`: book snapshots and updates (each checked by checkBookPublish and applyBookPublish). */
export const BookPublishRequestSchema = Type.Object({
  updates: Type.Array(Type.Unknown(), { minItems: 1, maxItems: DEFAULT_LIMITS.maxBookUpdatesPerPublish }),
});
export type BookPublishRequest = { updates: BookPublish[] };
/** Acked like `publish`: how many were applied, and each refused one by its index. */
export type BookPublishReply = PublishReply;

/** GET /api/symbols/:symbol/book: the top `depth` levels with the book's epoch, seq and checksum. */
export const BookResponseSchema = Type.Object({
  ...BookSnapshotSchema.properties,
  epoch: Type.String(),
  depth: Type.Integer({ minimum: 1 }),
});
export type BookResponse = Static<typeof BookResponseSchema>;

/* ----------------------------------- REST ----------------------------------- */

export const CandleSchema = Type.Object({
  /** Bucket start, epoch ms (UTC); for `1d`, the session's opening instant (P33). */
  time: Type.Number(),
  open: Type.Number(),
  high: Type.Number(),
  low: Type.Number(),
  close: Type.Number(),
  volume: Type.Number(),
});
export type Candle = Static<typeof CandleSchema>;

export const SymbolInfoSchema = Type.Object({
  meta: SymbolMetaSchema,
  epoch: Type.String(),
  snapshot: SnapshotSchema,
});
export type SymbolInfo = Static<typeof SymbolInfoSchema>;

/** GET /api/symbols query: filters and a page. */
export const SymbolsQuerySchema = Type.Object(
  {
    kind: Type.Optional(AssetKind),
    /** Case-insensitive substring of the symbol or its name. */
    q: Type.Optional(Type.String({ maxLength: 64 })),
    /** Symbols in this page, 1 to maxSymbolsPerPage (default symbolsPerPage). */
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: DEFAULT_LIMITS.maxSymbolsPerPage })),
    /** `nextCursor` of the previous page: the page starts after this symbol. */
    cursor: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);
export type SymbolsQuery = Static<typeof SymbolsQuerySchema>;

export const SymbolsResponseSchema = Type.Object({
  /** The page, in symbol order. */
  symbols: Type.Array(SymbolInfoSchema),
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: Nullable(Type.String()),
});
export type SymbolsResponse = Static<typeof SymbolsResponseSchema>;

export const CandlesResponseSchema = Type.Object({
  symbol: SymbolName,
  interval: Type.String(),
  epoch: Type.String(),
  /** Last tick included in these candles: the live stream continues at seq + 1. */
  seq: Type.Integer({ minimum: 0 }),
  candles: Type.Array(CandleSchema),
});
export type CandlesResponse = Static<typeof CandlesResponseSchema>;

export const TicksResponseSchema = Type.Object({
  symbol: SymbolName,
  epoch: Type.String(),
  /** Last seq of the symbol at the time of the response. */
  seq: Type.Integer({ minimum: 0 }),
  /** Whether the history still held every tick after `after` (false: older ones were trimmed). */
  complete: Type.Boolean(),
  ticks: Type.Array(TickSchema),
});
export type TicksResponse = Static<typeof TicksResponseSchema>;
