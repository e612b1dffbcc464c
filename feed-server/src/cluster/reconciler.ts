import { isBehind, usable, type ClusterContext } from './cluster-context.js';
import type { StatusRelay } from './status-relay.js';
import type { StoreWriter } from './store-writer.js';

/**
 * Compares every symbol with the store and repairs what differs, in whichever
 * direction (C8, C10): symbols the store lacks or holds older are pushed from
 * here, symbols the store holds newer are synced from there.
 */
export async function reconcileWithStore(ctx: ClusterContext, writer: StoreWriter, status: StatusRelay): Promise<void> {
  if (!usable(ctx)) return;
  const { core, store, sync } = ctx;
  const heads = await store.heads();
  const tasks: Promise<unknown>[] = [];
  const push = new Set(writer.behindList());
  for (const book of core.market.all()) {
    const head = heads.get(book.meta.symbol);
    if (head === undefined || (head.epoch === book.epoch && head.seq < book.stats.seq)) push.add(book.meta.symbol);
  }
  for (const symbol of push) {
    tasks.push(writer.push(symbol, heads.get(symbol)).then((sameHistory) => (sameHistory ? undefined : sync.sync(symbol, 'resync'))));
  }
  for (const [symbol, head] of heads) if (!push.has(symbol) && isBehind(core, symbol, head)) tasks.push(sync.sync(symbol, 'resync'));
  const statusWrite = status.retry();
  if (statusWrite !== undefined) tasks.push(statusWrite);
  await Promise.allSettled(tasks);
}

/** Runs one reconcile at a time; a request during a run schedules one more. */
export class Reconciler {
  private running: Promise<void> | undefined;
  private again = false;

  constructor(private readonly run: () => Promise<void>) {}

  request(): void {
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
    });
  }

  /** Resolves when no reconcile is running or scheduled. */
  async settled(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.run();
      } catch {
        // Redis went away mid-way; the health transition back to up requests another run.
      }
    } while (this.again);
  }
}
