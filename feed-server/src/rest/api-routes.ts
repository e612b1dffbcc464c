import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  CandlesResponseSchema,
  DEFAULT_LIMITS,
  ErrorCode,
  ErrorReplySchema,
  FeedControlSchema,
  FeedStatusSchema,
  INTERVALS,
  SymbolInfoSchema,
  SymbolsQuerySchema,
  SymbolsResponseSchema,
  TicksResponseSchema,
  errorReply,
  snapshotOf,
  sliceCandles,
  type Candle,
  type Interval,
  type SymbolInfo,
  type SymbolsQuery,
  type SymbolsResponse,
  type Tick,
} from '@tickfeed/protocol';
import type { FeedCore } from '../feed-core.js';
import type { SymbolBook } from '../market/market-state.js';
import type { FeedController } from '../ingest/feed-controller.js';
import type { RestAccess } from '../auth/rest-auth.js';

const SymbolParams = Type.Object({ symbol: Type.String({ maxLength: 64 }) });
const IntervalSchema = Type.Union(INTERVALS.map((i) => Type.Literal(i)));
const CandlesQuery = Type.Object({
  interval: Type.Optional(IntervalSchema),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: DEFAULT_LIMITS.maxCandlesPerRequest, default: 500 })),
  before: Type.Optional(Type.Number({ description: 'Only candles whose bucket starts before this time, epoch ms' })),
});
const TicksQuery = Type.Object({
  after: Type.Optional(Type.Integer({ minimum: 0, description: 'Only ticks with a greater seq' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: DEFAULT_LIMITS.maxTicksPerRequest, default: 200 })),
});
const NotFound = { 401: ErrorReplySchema, 403: ErrorReplySchema, 404: ErrorReplySchema };

function symbolInfo(book: SymbolBook): SymbolInfo {
  return { meta: { ...book.meta }, epoch: book.epoch, snapshot: snapshotOf(book.meta.symbol, book.stats, book.format) };
}

/** History older than what the market state holds in memory (the durable store, with DATA_DIR). */
export interface OlderHistory {
  /** The newest `limit` candles with time < before, ascending. */
  candlesBefore(symbol: string, interval: Interval, before: number, limit: number): Promise<Candle[]>;
  /** JSON texts of the current epoch's ticks with seq > after, contiguous, at most `limit`. */
  readTicks(symbol: string, after: number, limit: number): Promise<string[]>;
}

/** The REST API: symbols, snapshots, candle and tick history, the feed status and its controls. */
export function apiRoutes(core: FeedCore, controller: FeedController, access: RestAccess, older?: OlderHistory): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/api/symbols',
      {
        onRequest: access.authenticate,
        schema: {
          summary: 'The symbols this caller may read, with metadata and snapshots, in declaration order, a page at a time (follow `nextCursor`)',
          querystring: SymbolsQuerySchema,
          response: { 200: SymbolsResponseSchema, 400: ErrorReplySchema, 401: ErrorReplySchema },
        },
      },
      async (req, reply) => {
        const entitled = access.entitlementOf(req);
        const visible = (symbol: string) => entitled.allows(symbol) && core.market.has(symbol);
        const page = symbolsPage([...core.market.all()].filter((book) => entitled.allows(book.meta.symbol)), req.query, visible);
        if (page === null) return reply.code(400).send(errorReply(ErrorCode.BAD_REQUEST, 'cursor: not a symbol of this server (use the nextCursor of a previous page)'));
        return page;
      },
    );

    app.get(
      '/api/symbols/:symbol',
      { onRequest: access.symbol, schema: { summary: 'One symbol: metadata, epoch, snapshot', params: SymbolParams, response: { 200: SymbolInfoSchema, ...NotFound } } },
      async (req, reply) => {
        const book = core.market.get(req.params.symbol);
        if (book === undefined) return reply.code(404).send(unknownSymbol(req.params.symbol));
        return symbolInfo(book);
      },
    );

    app.get(
      '/api/symbols/:symbol/candles',
      {
        onRequest: access.symbol,
        schema: {
          summary: 'Candle history; `seq` is the last tick included, so the live stream continues at seq + 1',
          params: SymbolParams,
          querystring: CandlesQuery,
          response: { 200: CandlesResponseSchema, ...NotFound },
        },
      },
      async (req, reply) => {
        const book = core.market.get(req.params.symbol);
        if (book === undefined) return reply.code(404).send(unknownSymbol(req.params.symbol));
        const interval = req.query.interval ?? '1m';
        const limit = req.query.limit ?? 500;
        const { epoch, stats } = book;
        const seq = stats.seq;
        const series = book.candles[interval];
        let candles = sliceCandles(series, limit, req.query.before);
        if (older !== undefined && candles.length < limit) {
          // Candles older than the in-memory window are in the store's archive.
          const edge = Math.min(req.query.before ?? Number.POSITIVE_INFINITY, series[0]?.time ?? Number.POSITIVE_INFINITY);
          const archived = await older.candlesBefore(book.meta.symbol, interval, edge, limit - candles.length);
          if (book.epoch === epoch) candles = [...archived, ...candles];
        }
        return { symbol: book.meta.symbol, interval, epoch, seq, candles };
      },
    );

    app.get(
      '/api/symbols/:symbol/ticks',
      {
        onRequest: access.symbol,
        schema: {
          summary: 'Recent ticks, oldest first: the newest `limit`, or those after `after`',
          params: SymbolParams,
          querystring: TicksQuery,
          response: { 200: TicksResponseSchema, ...NotFound },
        },
      },
      async (req, reply) => {
        const book = core.market.get(req.params.symbol);
        if (book === undefined) return reply.code(404).send(unknownSymbol(req.params.symbol));
        const limit = req.query.limit ?? 200;
        const after = req.query.after;
        let stored = after === undefined ? book.ring.latest(limit) : book.ring.after(after, limit);
        if (stored === null && after !== undefined && older !== undefined) {
          // Older than the in-memory history: the store's log still has them within RETENTION_DAYS.
          const epoch = book.epoch;
          const read = await older.readTicks(book.meta.symbol, after, limit);
          if (book.epoch === epoch && read.length > 0 && (JSON.parse(read[0]!) as Tick).seq === after + 1) stored = read;
        }
        return {
          symbol: book.meta.symbol,
          epoch: book.epoch,
          seq: book.stats.seq,
          complete: stored !== null,
          ticks: (stored ?? book.ring.latest(limit)).map((json) => JSON.parse(json) as Tick),
        };
      },
    );

    app.get(
      '/api/feed',
      { onRequest: access.authenticate, schema: { summary: 'What the feed is: live or replay, speed, replay clock, state', response: { 200: FeedStatusSchema } } },
      async () => core.feedStatus,
    );

    app.post(
      '/api/feed/control',
      {
        onRequest: access.control,
        schema: {
          summary: 'Pause, resume, change speed or seek a replay (requires the admin token, or an access token with replayControl, as a Bearer token)',
          body: FeedControlSchema,
          headers: Type.Object({ authorization: Type.Optional(Type.String()) }),
          response: { 200: Type.Object({ ok: Type.Literal(true), status: FeedStatusSchema }), 401: ErrorReplySchema, 403: ErrorReplySchema, 409: ErrorReplySchema },
        },
      },
      async (req, reply) => {
        const result = await controller.send(req.body);
        if (!result.ok) return reply.code(409).send(result);
        return result;
      },
    );
  };
}

/**
 * One page of the symbol list: the symbols after `cursor` (in the books' order, which is
 * declaration order and never changes: symbols are not removed) that pass the filters.
 * Null when the cursor names no symbol.
 */
function symbolsPage(books: Iterable<SymbolBook>, query: SymbolsQuery, known: (symbol: string) => boolean): SymbolsResponse | null {
  const { kind, cursor } = query;
  if (cursor !== undefined && !known(cursor)) return null;
  const limit = query.limit ?? DEFAULT_LIMITS.symbolsPerPage;
  const needle = query.q?.toLowerCase();
  const symbols: SymbolInfo[] = [];
  let started = cursor === undefined;
  for (const book of books) {
    if (!started) {
      started = book.meta.symbol === cursor;
      continue;
    }
    if (kind !== undefined && book.meta.kind !== kind) continue;
    if (needle !== undefined && !book.meta.symbol.toLowerCase().includes(needle) && !book.meta.name.toLowerCase().includes(needle)) continue;
    // One more than the page tells whether another page follows.
    if (symbols.length === limit) return { symbols, nextCursor: symbols[limit - 1]!.meta.symbol };
    symbols.push(symbolInfo(book));
  }
  return { symbols, nextCursor: null };
}

function unknownSymbol(symbol: string): Static<typeof ErrorReplySchema> {
  return errorReply(ErrorCode.UNKNOWN_SYMBOL, `${symbol.slice(0, 40)} is not in the universe`);
}

