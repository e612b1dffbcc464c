import fp from 'fastify-plugin';
import { createBookChannel } from '../book/book-channel.js';
import type { PartOptions } from './server-parts.js';

export interface BookOptions extends PartOptions {
  /** Wall clock, epoch ms (default Date.now). */
  now?: () => number;
}

/**
 * Order books (level 2, src/book/): book state per symbol, `book:publish` on /ingest, the
 * `book:subscribe` channel, REST `/book` (`fastify.books`). Its frames are flushed with the
 * tick fan-out's before an ack that changes a client's subscriptions.
 */
export const bookPlugin = fp<BookOptions>(
  async (fastify, { config, log, now }) => {
    const metrics = fastify.feedMetrics;
    const { market, fanout, ingest, core, clientFlushers } = fastify.feed;
    const books = createBookChannel({
      config,
      market,
      consumers: fastify.realtime.consumers,
      owners: ingest.owners,
      auth: fastify.access.auth,
      tickFramesInflight: (id) => fanout.inflightOf(id),
      registry: metrics.registry,
      requestRejected: (event, code) => metrics.requestsRejected.inc({ event, code }),
      log,
      now: now ?? Date.now,
      sse: fastify.feed.sse,
      state: fastify.feed.bookState,
      journal: () => core.journal,
    });
    ingest.quoteMismatch = books.quoteMismatch;
    core.onResets = books.resets;
    core.bookSeqOf = (symbol) => books.state.get(symbol)?.seq;
    clientFlushers.push((id) => books.flushClient(id));
    fastify.decorate('books', books);
  },
  { name: 'tickfeed-books', dependencies: ['tickfeed-access-control'] },
);
