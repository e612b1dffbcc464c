import { Counter, Histogram, type Registry } from 'prom-client';

/** The order-book channel's metrics, registered on the server's registry. */
export interface BookMetrics {
  readonly updatesIn: Counter;
  readonly rejected: Counter<'code' | 'reason'>;
  readonly updatesOut: Counter;
  readonly slowConsumers: Counter<'policy'>;
  readonly flushSeconds: Histogram;
}

export function createBookMetrics(registry: Registry): BookMetrics {
  return {
    updatesIn: new Counter({ name: 'feed_book_updates_in_total', help: 'Book snapshots and updates accepted from publishers', registers: [registry] }),
    rejected: new Counter({
      name: 'feed_book_rejected_total',
      help: 'Book snapshots and updates rejected, by error code and reason',
      labelNames: ['code', 'reason'],
      registers: [registry],
    }),
    updatesOut: new Counter({ name: 'feed_book_updates_out_total', help: 'Book update deliveries to consumers', registers: [registry] }),
    slowConsumers: new Counter({
      name: 'feed_book_slow_consumers_total',
      help: 'Book consumers that fell behind, by policy',
      labelNames: ['policy'],
      registers: [registry],
    }),
    flushSeconds: new Histogram({
      name: 'feed_book_flush_duration_seconds',
      help: 'Time one book flush took',
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1],
      registers: [registry],
    }),
  };
}
