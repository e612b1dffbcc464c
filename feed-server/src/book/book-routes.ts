import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { BookResponseSchema, DEFAULT_LIMITS, ErrorCode, ErrorReplySchema, errorReply } from '@tickfeed/protocol';
import type { RestAccess } from '../auth/rest-auth.js';
import type { BookState } from './book-state.js';

const Params = Type.Object({ symbol: Type.String({ maxLength: 64 }) });
const Query = Type.Object({
  depth: Type.Optional(Type.Integer({ minimum: 1, maximum: DEFAULT_LIMITS.bookDepthCeiling, description: 'Levels per side, 1 to BOOK_MAX_DEPTH (default 10)' })),
});

/** GET /api/symbols/:symbol/book: the top `depth` levels with epoch, seq and checksum. */
export function bookRoutes(books: BookState, known: (symbol: string) => boolean, access: RestAccess): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/api/symbols/:symbol/book',
      {
        onRequest: access.symbol,
        schema: {
          summary: "A symbol's order book: the top `depth` levels per side (bids highest first, asks lowest first) at `seq`, with its checksum",
          params: Params,
          querystring: Query,
          response: { 200: BookResponseSchema, 400: ErrorReplySchema, 401: ErrorReplySchema, 403: ErrorReplySchema, 404: ErrorReplySchema },
        },
      },
      async (req, reply) => {
        const { symbol } = req.params;
        if (!access.entitlementOf(req).book) return reply.code(403).send(errorReply(ErrorCode.FORBIDDEN, 'your access does not cover order books'));
        const depth = req.query.depth ?? DEFAULT_LIMITS.bookDefaultDepth;
        if (depth > books.options.maxDepth) return reply.code(400).send(errorReply(ErrorCode.BAD_REQUEST, `depth must be from 1 to ${books.options.maxDepth} (BOOK_MAX_DEPTH)`));
        if (!known(symbol)) return reply.code(404).send(errorReply(ErrorCode.UNKNOWN_SYMBOL, `${symbol.slice(0, 40)} is not in the universe`));
        const book = books.get(symbol);
        if (book === undefined) return reply.code(404).send(errorReply(ErrorCode.NO_BOOK, `${symbol} has no order book`));
        return { ...books.snapshot(book, depth), epoch: book.epoch, depth };
      },
    );
  };
}
