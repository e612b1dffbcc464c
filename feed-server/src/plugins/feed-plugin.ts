import { randomBytes } from 'node:crypto';
import fp from 'fastify-plugin';
import { MarketState } from '../market/market-state.js';
import { Fanout } from '../delivery/fanout.js';
import { SseHub } from '../delivery/sse-hub.js';
import { marketHistory } from '../delivery/replay-cursors.js';
import { FeedCore } from '../feed-core.js';
import { IngestService } from '../ingest/ingest-service.js';
import { FeedController } from '../ingest/feed-controller.js';
import { QuoteHub } from '../delivery/quote-hub.js';
import { BookState } from '../book/book-state.js';
import type { PartOptions } from './server-parts.js';

export interface FeedOptions extends PartOptions {
  /** Source of epoch ids (default: random). */
  newEpoch?: () => string;
  /** Wall clock, epoch ms (default Date.now): bounds the ts of published ticks. */
  now?: () => number;
}

/** The feed itself: market state, delivery to Socket.IO and SSE consumers, ingest (`fastify.feed`). */
export const feedPlugin = fp<FeedOptions>(
  async (fastify, { config, log, newEpoch, now }) => {
    const metrics = fastify.feedMetrics;
    const market = new MarketState({
      historyTicks: config.historyTicks,
      candlesPerInterval: config.candlesPerInterval,
      newEpoch: newEpoch ?? (() => randomBytes(6).toString('base64url')),
    });
    const history = marketHistory(market);
    const sse = new SseHub(history, { maxBufferedBytes: config.sseMaxBufferedBytes }, (reason) =>
      metrics.limitHits.inc({ limit: reason === 'buffer' ? 'sse_buffer' : 'sse_history' }),
    );
    const { consumers } = fastify.realtime;
    const fanout = new Fanout(consumers, sse, history, config, metrics, log);
    const core = new FeedCore(market, fanout, sse, consumers, metrics, log);
    const controller = new FeedController();
    const ingest = new IngestService(core, controller, metrics, log, {
      maxSymbols: config.maxSymbols,
      maxTickClockSkewMs: config.maxTickClockSkewMs,
      now: now ?? Date.now,
    });
    // Quotes channel (conflated `throttleMs` subscriptions): it learns its rooms from the adapter once the cluster link has set it (app.ts).
    const quotes = new QuoteHub({ members: (room) => consumers.adapter.rooms.get(room), socket: (id) => consumers.sockets.get(id) }, market);
    core.quotes = quotes;
    const bookState = new BookState(market, {
      maxDepth: config.bookMaxDepth,
      historyUpdates: config.bookHistoryUpdates,
      // With DATA_DIR the books are restored exactly at start, so this copy is the one before the restart (L26).
      copyId: config.dataDir !== undefined ? 'd' : randomBytes(4).toString('base64url'),
    });
    fastify.decorate('feed', { market, history, sse, fanout, core, controller, ingest, quotes, bookState, clientFlushers: [] });
  },
  { name: 'tickfeed-feed', dependencies: ['tickfeed-socket-io'] },
);
