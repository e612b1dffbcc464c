import type { Logger } from 'pino';
import { Gauge } from 'prom-client';
import type { ServerConfig } from '../config.js';
import type { MarketState } from '../market/market-state.js';
import type { FeedMetrics } from '../observability/metrics.js';
import { DurableStore, StoreError } from './durable-store.js';
import type { BookState } from '../book/book-state.js';

/**
 * Opens the durable store of DATA_DIR, restores the market state from it, and
 * reports its disk use on /metrics. Throws StoreError with a plain message
 * when the directory cannot be used.
 */
export function openDurableStore(config: ServerConfig, market: MarketState, metrics: FeedMetrics, log: Logger, clustered: boolean, books?: BookState): DurableStore {
  if (clustered) throw new StoreError('DATA_DIR and REDIS_URL: with REDIS_URL the shared store in Redis holds the history; unset DATA_DIR');
  const dataDir = config.dataDir!;
  const { store, report } = DurableStore.open(
    {
      dataDir,
      groupCommit: config.groupCommit,
      retentionDays: config.retentionDays,
      candleRetentionDays: config.candleRetentionDays,
      checkpointIntervalMs: config.checkpointIntervalMs,
      checkpointTicks: config.checkpointTicks,
      minFreeDiskMb: config.minFreeDiskMb,
      candlesPerInterval: config.candlesPerInterval,
    },
    market,
    log,
    books,
  );
  log.info({ dataDir, ...report, ms: Math.round(report.ms) }, 'market state restored from the tick store');
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [metrics.registry],
      collect() {
        this.set(read());
      },
    });
  let figures = store.figures();
  let figuresAt = 0;
  // One directory walk per scrape at most (the gauges below are read together).
  const current = () => {
    if (Date.now() - figuresAt > 500) {
      figures = store.figures();
      figuresAt = Date.now();
    }
    return figures;
  };
  gauge('feed_store_disk_bytes', 'Bytes the tick store uses on disk (log, candle archive, checkpoint)', () => current().diskBytes);
  gauge('feed_store_log_bytes', 'Bytes of the tick log (bounded by RETENTION_DAYS)', () => current().logBytes);
  gauge('feed_store_candle_bytes', 'Bytes of the candle archive (bounded by CANDLE_RETENTION_DAYS)', () => current().candleBytes);
  gauge('feed_store_free_bytes', 'Free bytes on the disk of DATA_DIR', () => current().freeBytes);
  gauge('feed_store_writable', '1 while the tick store accepts ticks, 0 when it refuses them (disk full, failed write)', () => (current().writable ? 1 : 0));
  gauge('feed_store_checkpoint_age_seconds', 'Seconds since the last checkpoint', () => current().checkpointAgeSec);
  return store;
}
