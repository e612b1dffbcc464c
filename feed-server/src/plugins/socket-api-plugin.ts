import fp from 'fastify-plugin';
import { attachConsumerNamespace } from '../consumer/consumer-namespace.js';
import { attachIngestNamespace } from '../ingest/ingest-namespace.js';
import type { PartOptions } from './server-parts.js';

/** The Socket.IO API: consumers on `/` (subscribe, unsubscribe, auth:refresh), publishers on `/ingest`. */
export const socketApiPlugin = fp<PartOptions>(
  async (fastify, { config, log }) => {
    const { consumers, producers, gate } = fastify.realtime;
    const { core, fanout, ingest, quotes } = fastify.feed;
    const metrics = fastify.feedMetrics;
    const isDraining = () => fastify.lifecycle.draining;
    attachConsumerNamespace(consumers, { config, core, fanout, quotes, gate, metrics, log, isDraining, auth: fastify.access.auth });
    attachIngestNamespace(producers, { config, ingest, metrics, log, isDraining, books: fastify.books.ingest });
  },
  { name: 'tickfeed-socket-api', dependencies: ['tickfeed-access-control', 'tickfeed-books'] },
);
