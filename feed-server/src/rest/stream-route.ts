import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  DEFAULT_LIMITS,
  QUOTE_LIMITS,
  ErrorCode,
  Events,
  decodeBookStreamPosition,
  decodeStreamPosition,
  encodeStreamPosition,
  errorReply,
  isValidSymbol,
  snapshotOf,
  type BookStreamPoint,
  type BookSubscribed,
  type BookUpdate,
  type ResumePoint,
  type Subscribed,
} from '@tickfeed/protocol';
import type { BookChannel } from '../book/book-channel.js';
import type { QuoteHub } from '../delivery/quote-hub.js';
import { effectiveThrottleMs } from '../consumer/subscription-rooms.js';
import type { FeedCore } from '../feed-core.js';
import type { SseHub } from '../delivery/sse-hub.js';
import type { EdgeGate } from '../edge/edge-gate.js';
import type { RestAccess } from '../auth/rest-auth.js';

const StreamQuery = Type.Object({
  symbols: Type.String({ minLength: 1, maxLength: 4_000, description: 'Comma-separated symbols, e.g. AAPL,BTC-USD' }),
  access_token: Type.Optional(Type.String({ description: 'Access token when the Authorization header cannot be set (AUTH_MODE=jwt); never logged' })),
  lastEventId: Type.Optional(Type.String({ maxLength: 100_000, description: 'Resume position when the Last-Event-ID header cannot be set' })),
  book: Type.Optional(Type.Union([Type.Literal('0'), Type.Literal('1')], { description: '1: follow each symbol\'s order book too (`book:subscribed`, `book`, `book:reset` events)' })),
  depth: Type.Optional(Type.Integer({ minimum: 1, maximum: DEFAULT_LIMITS.bookDepthCeiling, description: 'Book levels per side with book=1, 1 to BOOK_MAX_DEPTH (default 10)' })),
  throttleMs: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: QUOTE_LIMITS.maxThrottleMs,
      description: `0 (default): every tick as \`ticks\`; ${QUOTE_LIMITS.minThrottleMs} to ${QUOTE_LIMITS.maxThrottleMs}: conflated \`quotes\` events at most this often (not resumable)`,
    }),
  ),
});

/** Where the stream route finds the quotes channel and its server minimum (QUOTES_MIN_THROTTLE_MS). */
export interface StreamQuotes {
  hub: QuoteHub;
  minThrottleMs: number;
}

/**
 * GET /api/stream: the consumer API as Server-Sent Events. Per symbol a
 * `subscribed` event (snapshot, epoch, recovered), then `ticks` events whose
 * id is the resume position; reconnecting with Last-Event-ID resumes exactly.
 */
export function streamRoute(
  core: FeedCore,
  sse: SseHub,
  maxSymbols: number,
  gate: EdgeGate,
  access: RestAccess,
  books: BookChannel,
  quotes: StreamQuotes,
): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/api/stream',
      { onRequest: access.stream, schema: { summary: 'Live ticks as Server-Sent Events (resumable with Last-Event-ID)', querystring: StreamQuery } },
      async (req, reply) => {
        const symbols = [...new Set(req.query.symbols.split(',').map((s) => s.trim()).filter((s) => s.length > 0))];
        const withBooks = req.query.book === '1';
        // A book counts as a subscription of its own, as on Socket.IO (L22).
        if (symbols.length * (withBooks ? 2 : 1) > maxSymbols) {
          return reply.code(400).send(errorReply(ErrorCode.TOO_MANY_SYMBOLS, `at most ${maxSymbols} subscriptions per stream (a symbol with book=1 counts twice)`));
        }
        const requestedThrottle = req.query.throttleMs ?? 0;
        if (requestedThrottle !== 0 && requestedThrottle < QUOTE_LIMITS.minThrottleMs) {
          return reply.code(400).send(errorReply(ErrorCode.BAD_REQUEST, `throttleMs must be 0 or from ${QUOTE_LIMITS.minThrottleMs} to ${QUOTE_LIMITS.maxThrottleMs}`));
        }
        // Rounded and raised as on Socket.IO (Q4), so both transports conflate alike.
        const throttleMs = effectiveThrottleMs(requestedThrottle, quotes.minThrottleMs);
        if (throttleMs > 0 && withBooks) {
          return reply.code(400).send(errorReply(ErrorCode.BAD_REQUEST, 'throttleMs cannot be combined with book=1: open a second stream for the books'));
        }
        const depth = req.query.depth ?? DEFAULT_LIMITS.bookDefaultDepth;
        if (withBooks && depth > books.state.options.maxDepth) {
          return reply.code(400).send(errorReply(ErrorCode.BAD_REQUEST, `depth must be from 1 to ${books.state.options.maxDepth} (BOOK_MAX_DEPTH)`));
        }
        // Every requested symbol must be entitled, so Last-Event-ID positions of any other symbol are never looked at.
        const entitled = access.entitlementOf(req);
        const forbidden = symbols.filter((s) => !entitled.allows(s));
        if (forbidden.length > 0) {
          return reply.code(403).send(errorReply(ErrorCode.FORBIDDEN, `your access does not cover: ${forbidden.slice(0, 10).join(', ').slice(0, 200)}`));
        }
        if (withBooks && !entitled.book) return reply.code(403).send(errorReply(ErrorCode.FORBIDDEN, 'your access does not cover order books'));
        const unknown = symbols.filter((s) => !isValidSymbol(s) || !core.market.has(s));
        if (unknown.length > 0) {
          return reply.code(404).send(errorReply(ErrorCode.UNKNOWN_SYMBOL, `not in the universe: ${unknown.slice(0, 10).join(', ').slice(0, 200)}`));
        }
        const bookless = withBooks ? symbols.filter((s) => books.state.get(s) === undefined) : [];
        if (bookless.length > 0) {
          return reply.code(404).send(errorReply(ErrorCode.NO_BOOK, `no order book: ${bookless.slice(0, 10).join(', ').slice(0, 200)}`));
        }
        if (req.method === 'HEAD') {
          return reply.code(200).header('content-type', 'text/event-stream; charset=utf-8').header('cache-control', 'no-cache').send();
        }
        // Counted with the Socket.IO connections of the address until this response closes.
        const refused = gate.admitStream(req.raw, req.ip, reply.raw);
        if (refused !== undefined) return reply.code(refused.status).send(refused.body);
        const header = req.headers['last-event-id'];
        const lastId = (Array.isArray(header) ? header[0] : header) ?? req.query.lastEventId ?? '';
        // Quotes are state, not a stream: a reconnect gets fresh snapshots, so a resume position is not read.
        const resume = throttleMs > 0 ? new Map<string, ResumePoint>() : decodeStreamPosition(lastId);

        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
          ...(throttleMs > 0 ? { 'x-throttle-ms': String(throttleMs) } : {}),
        });
        res.write('retry: 1000\n\n');
        const positions = new Map<string, ResumePoint>();
        const replay: string[] = [];
        if (throttleMs > 0) {
          for (const symbol of symbols) {
            const book = core.market.get(symbol)!;
            const subscribed: Subscribed = { symbol, epoch: book.epoch, snapshot: snapshotOf(symbol, book.stats, book.format) };
            res.write(`event: subscribed\ndata: ${JSON.stringify(subscribed)}\n\n`);
          }
          // No tick positions: the SSE hub only holds the stream to its buffer cap, keep-alives and feed status.
          const client = sse.add(res, positions);
          const stream = quotes.hub.addStream(symbols, throttleMs, (body, written) => sse.sendQuotes(client, body, written));
          req.raw.on('close', () => {
            quotes.hub.removeStream(stream);
            sse.remove(client);
          });
          sse.send(client, Events.feedStatus, core.feedStatus, false);
          return;
        }
        for (const symbol of symbols) {
          const book = core.market.get(symbol)!;
          const subscribed: Subscribed = { symbol, epoch: book.epoch, snapshot: snapshotOf(symbol, book.stats, book.format) };
          const point = resume.get(symbol);
          let from = book.stats.seq;
          if (point !== undefined) {
            const recovered = point.epoch === book.epoch && point.seq <= book.stats.seq && book.ring.holdsAfter(point.seq);
            subscribed.recovered = recovered;
            if (recovered && point.seq < book.stats.seq) {
              replay.push(symbol);
              from = point.seq;
            }
          }
          positions.set(symbol, { epoch: book.epoch, seq: from });
          res.write(`event: subscribed\ndata: ${JSON.stringify(subscribed)}\n\n`);
        }
        // Each book's snapshot carries the position with the books sent so far: a stream cut in between resumes those and starts the others afresh.
        const bookPositions = new Map<string, BookStreamPoint>();
        const bookReplay: { symbol: string; updates: BookUpdate[] }[] = [];
        if (withBooks) {
          const bookResume = decodeBookStreamPosition(lastId);
          // One stream replays at most one book's worth of history in all, as one book:subscribe (L7).
          let budget = books.state.options.historyUpdates;
          for (const symbol of symbols) {
            const book = books.state.get(symbol)!;
            const entry: BookSubscribed = { symbol, epoch: book.epoch, depth, book: books.state.snapshot(book, depth) };
            const point = bookResume.get(symbol);
            let seq = book.seq;
            if (point !== undefined) {
              const updates =
                point.epoch === book.epoch && point.depth === depth && book.seq - point.seq <= budget ? books.state.replay(book, point.seq, depth) : null;
              entry.recovered = updates !== null;
              if (updates !== null) {
                seq = point.seq;
                budget -= updates.length;
                if (updates.length > 0) bookReplay.push({ symbol, updates });
              }
            }
            bookPositions.set(symbol, { epoch: book.epoch, seq, depth });
            res.write(`id: ${encodeStreamPosition(positions, bookPositions)}\nevent: ${Events.bookSubscribed}\ndata: ${JSON.stringify(entry)}\n\n`);
          }
        }
        // Registered before anything is replayed: the client counts, and is held to the buffer cap, from the start.
        const client = sse.add(res, positions, bookPositions);
        req.raw.on('close', () => sse.remove(client));
        sse.send(client, Events.feedStatus, core.feedStatus, false);
        // The missed ticks go out as the client reads them; `resumed` (with the position after them) follows the last.
        sse.replay(client, replay);
        // The missed book updates (at most BOOK_HISTORY_UPDATES) go out with the next flush, before any later one.
        for (const { symbol, updates } of bookReplay) sse.enqueueBookReplay(client, symbol, updates);
        if (bookReplay.length > 0) books.requestFlush();
      },
    );
  };
}
