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
  SymbolsResponseSchema,
  TicksResponseSchema,
  errorReply,
  snapshotOf,
  sliceCandles,
  type SymbolInfo,
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
  return { meta: { ...book.meta }, epoch: book.epoch, snapshot: snapshotOf(book.meta.symbol, book.stats) };
}

/** The REST API: symbols, snapshots, candle and tick history, the feed status and its controls. */
export function apiRoutes(core: FeedCore, controller: FeedController, access: RestAccess): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/api/symbols',
      { onRequest: access.authenticate, schema: { summary: 'The symbol universe with metadata and snapshots', response: { 200: SymbolsResponseSchema } } },
      async (req) => {
        const entitled = access.entitlementOf(req);
        return { symbols: [...core.market.all()].filter((book) => entitled.allows(book.meta.symbol)).map(symbolInfo) };
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
        return {
          symbol: book.meta.symbol,
          interval,
          epoch: book.epoch,
          seq: book.stats.seq,
          candles: sliceCandles(book.candles[interval], req.query.limit ?? 500, req.query.before),
        };
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
        const stored = after === undefined ? book.ring.latest(limit) : book.ring.after(after, limit);
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

function unknownSymbol(symbol: string): Static<typeof ErrorReplySchema> {
  return errorReply(ErrorCode.UNKNOWN_SYMBOL, `${symbol.slice(0, 40)} is not in the universe`);
}

