import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  ErrorCode,
  Events,
  decodeStreamPosition,
  errorReply,
  isValidSymbol,
  snapshotOf,
  type ResumePoint,
  type Subscribed,
} from '@tickfeed/protocol';
import type { FeedCore } from '../feed-core.js';
import type { SseHub } from '../delivery/sse-hub.js';
import type { EdgeGate } from '../edge/edge-gate.js';
import type { RestAccess } from '../auth/rest-auth.js';

const StreamQuery = Type.Object({
  symbols: Type.String({ minLength: 1, maxLength: 4_000, description: 'Comma-separated symbols, e.g. AAPL,BTC-USD' }),
  access_token: Type.Optional(Type.String({ description: 'Access token when the Authorization header cannot be set (AUTH_MODE=jwt); never logged' })),
  lastEventId: Type.Optional(Type.String({ maxLength: 100_000, description: 'Resume position when the Last-Event-ID header cannot be set' })),
});

/**
 * GET /api/stream: the consumer API as Server-Sent Events. Per symbol a
 * `subscribed` event (snapshot, epoch, recovered), then `ticks` events whose
 * id is the resume position; reconnecting with Last-Event-ID resumes exactly.
 */
export function streamRoute(core: FeedCore, sse: SseHub, maxSymbols: number, gate: EdgeGate, access: RestAccess): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/api/stream',
      { onRequest: access.stream, schema: { summary: 'Live ticks as Server-Sent Events (resumable with Last-Event-ID)', querystring: StreamQuery } },
      async (req, reply) => {
        const symbols = [...new Set(req.query.symbols.split(',').map((s) => s.trim()).filter((s) => s.length > 0))];
        if (symbols.length > maxSymbols) {
          return reply.code(400).send(errorReply(ErrorCode.TOO_MANY_SYMBOLS, `at most ${maxSymbols} symbols per stream`));
        }
        // Every requested symbol must be entitled, so Last-Event-ID positions of any other symbol are never looked at.
        const entitled = access.entitlementOf(req);
        const forbidden = symbols.filter((s) => !entitled.allows(s));
        if (forbidden.length > 0) {
          return reply.code(403).send(errorReply(ErrorCode.FORBIDDEN, `your access does not cover: ${forbidden.slice(0, 10).join(', ').slice(0, 200)}`));
        }
        const unknown = symbols.filter((s) => !isValidSymbol(s) || !core.market.has(s));
        if (unknown.length > 0) {
          return reply.code(404).send(errorReply(ErrorCode.UNKNOWN_SYMBOL, `not in the universe: ${unknown.slice(0, 10).join(', ').slice(0, 200)}`));
        }
        if (req.method === 'HEAD') {
          return reply.code(200).header('content-type', 'text/event-stream; charset=utf-8').header('cache-control', 'no-cache').send();
        }
        // Counted with the Socket.IO connections of the address until this response closes.
        const refused = gate.admitStream(req.raw, req.ip, reply.raw);
        if (refused !== undefined) return reply.code(refused.status).send(refused.body);
        const header = req.headers['last-event-id'];
        const resume = decodeStreamPosition((Array.isArray(header) ? header[0] : header) ?? req.query.lastEventId ?? '');

        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        res.write('retry: 1000\n\n');
        const positions = new Map<string, ResumePoint>();
        const replay: string[] = [];
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
        // Registered before anything is replayed: the client counts, and is held to the buffer cap, from the start.
        const client = sse.add(res, positions);
        req.raw.on('close', () => sse.remove(client));
        sse.send(client, Events.feedStatus, core.feedStatus, false);
        // The missed ticks go out as the client reads them; `resumed` (with the position after them) follows the last.
        sse.replay(client, replay);
      },
    );
  };
}
