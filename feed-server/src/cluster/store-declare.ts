import { randomBytes } from 'node:crypto';
import { ErrorCode, errorReply, type DeclareRequest } from '@tickfeed/protocol';
import type { PreparedDeclare } from '../feed-core.js';
import { isBehind, usable, type ClusterContext } from './cluster-context.js';

/**
 * A declare is answered from the store (the Replicator's prepareDeclare): the
 * epoch it holds, and this instance's book brought up to the store's last seq
 * first, so a publisher that moved here continues each symbol's seq where it
 * left off (C5, C12).
 */
export async function declareThroughStore(ctx: ClusterContext, request: DeclareRequest): Promise<PreparedDeclare> {
  const unavailable = errorReply(
    ErrorCode.STORE_UNAVAILABLE,
    'the shared store (Redis) is unreachable, so the last seq of each symbol is not known here; retry shortly',
  );
  if (!usable(ctx)) return unavailable;
  const { core, store, sync } = ctx;
  try {
    const reset = request.reset === true;
    const heads = await store.declare(
      request.symbols.map((decl) => ({ decl, epoch: randomBytes(6).toString('base64url') })),
      reset,
    );
    const epochs: Record<string, string> = {};
    const behind: Promise<void>[] = [];
    request.symbols.forEach((decl, i) => {
      const head = heads[i]!;
      epochs[decl.symbol] = head.epoch;
      if (!reset && isBehind(core, decl.symbol, head)) behind.push(sync.sync(decl.symbol, 'resync'));
    });
    await Promise.all(behind);
    if (!reset && request.symbols.some((decl, i) => isBehind(core, decl.symbol, heads[i]!))) return unavailable;
    return { ok: true, epochs };
  } catch (error) {
    ctx.health.noteFailure(error);
    ctx.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'declare could not reach the shared store');
    return unavailable;
  }
}
