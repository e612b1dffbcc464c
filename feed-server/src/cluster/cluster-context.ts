import type { Logger } from 'pino';
import type { FeedCore } from '../feed-core.js';
import type { FeedIo } from '../types.js';
import type { RedisHealth } from './redis-health.js';
import type { SharedStore } from './shared-store.js';
import type { StoreHead } from './store-codec.js';
import type { SymbolSync } from './symbol-sync.js';

/** What the parts of one cluster link share: this instance, the shared store and whether the link is usable. */
export interface ClusterContext {
  readonly core: FeedCore;
  readonly io: FeedIo;
  readonly serverId: string;
  readonly store: SharedStore;
  readonly sync: SymbolSync;
  readonly health: RedisHealth;
  readonly log: Logger;
  /** False once the link is closing: nothing is written, announced or applied any more. */
  isOpen(): boolean;
}

/** Whether the link is open and Redis usable now. */
export function usable(ctx: ClusterContext): boolean {
  return ctx.isOpen() && ctx.health.healthy;
}

/** Whether this instance's book of `symbol` is missing, of another epoch or older than the store's. */
export function isBehind(core: FeedCore, symbol: string, head: StoreHead): boolean {
  const book = core.market.get(symbol);
  return book === undefined || book.epoch !== head.epoch || book.stats.seq < head.seq;
}
