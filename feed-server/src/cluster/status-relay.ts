import type { FeedStatus } from '@tickfeed/protocol';
import { usable, type ClusterContext } from './cluster-context.js';

/**
 * The feed status announced by a publisher on this instance (C7): stored, then
 * relayed to the other instances. One Redis missed is written again by the
 * next reconcile, so the store never keeps an older status for good.
 */
export class StatusRelay {
  private local: FeedStatus | undefined;
  private stored = true;

  constructor(private readonly ctx: ClusterContext) {}

  set(status: FeedStatus): void {
    this.local = status;
    this.stored = false;
    void this.store(status);
  }

  /** Writes the latest local status again if the store missed it; undefined when it has it. */
  retry(): Promise<void> | undefined {
    return !this.stored && this.local !== undefined ? this.store(this.local) : undefined;
  }

  private async store(status: FeedStatus): Promise<void> {
    const { ctx } = this;
    if (!usable(ctx)) return;
    try {
      await ctx.store.writeFeedStatus(status);
      if (this.local === status) this.stored = true;
      ctx.io.serverSideEmit('cluster:status', ctx.serverId, status);
    } catch (error) {
      ctx.health.noteFailure(error);
    }
  }
}
