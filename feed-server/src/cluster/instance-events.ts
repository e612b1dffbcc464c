import { ErrorCode, errorReply } from '@tickfeed/protocol';
import type { FeedController } from '../ingest/feed-controller.js';
import { isBehind, usable, type ClusterContext } from './cluster-context.js';

/**
 * What this instance hears from the others (InterServerEvents): their ticks,
 * declares, feed status and store changes are applied here; control commands
 * are answered by the local publisher, and ones no local publisher can take
 * are forwarded to the others (C7).
 */
export function listenToInstances(ctx: ClusterContext, controller: FeedController): void {
  const { io, core, sync, serverId } = ctx;
  io.on('cluster:ticks', (_origin, epochs, tickJsons) => {
    if (ctx.isOpen() && Array.isArray(tickJsons) && typeof epochs === 'object' && epochs !== null) sync.onRemoteTicks(epochs, tickJsons);
  });
  io.on('cluster:declare', (_origin, request, epochs) => {
    if (ctx.isOpen() && Array.isArray(request?.symbols) && typeof epochs === 'object' && epochs !== null) sync.onRemoteDeclare(request, epochs);
  });
  io.on('cluster:status', (_origin, status) => {
    if (ctx.isOpen()) core.setStatus(status);
  });
  io.on('cluster:changed', (_origin, heads) => {
    if (!ctx.isOpen() || typeof heads !== 'object' || heads === null) return;
    for (const [symbol, head] of Object.entries(heads)) if (isBehind(core, symbol, head)) void sync.sync(symbol, 'resync');
  });
  io.on('cluster:control', (_origin, command, ack) => {
    controller.sendLocal(command).then(
      (reply) => ack(reply),
      () => ack(null),
    );
  });

  controller.remote = async (command) => {
    if (!usable(ctx)) return errorReply(ErrorCode.STORE_UNAVAILABLE, 'the other instances are unreachable (Redis is down)');
    try {
      const replies = await io.serverSideEmitWithAck('cluster:control', serverId, command);
      const reply = replies.find((r) => r !== null && r !== undefined);
      return reply ?? errorReply(ErrorCode.NO_CONTROLLABLE_FEED, 'no connected publisher accepts control commands');
    } catch {
      return errorReply(ErrorCode.NO_CONTROLLABLE_FEED, 'no instance answered the control command in time');
    }
  };
}
