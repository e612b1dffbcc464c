import { TypeCompiler } from '@sinclair/typebox/compiler';
import {
  DEFAULT_LIMITS,
  DeclareRequestSchema,
  ErrorCode,
  PublishRequestSchema,
  checkTick,
  errorReply,
  normalizeTick,
  type DeclareReply,
  type DeclareRequest,
  type ErrorReply,
  type PublishReply,
  type RejectedTick,
  type Tick,
} from '@tickfeed/protocol';
import type { Logger } from 'pino';
import type { FeedCore } from '../feed-core.js';
import type { StoredTick } from '../market/tick-ring.js';
import type { FeedMetrics } from '../observability/metrics.js';
import { describeSchemaError } from '../validation.js';

const declareCheck = TypeCompiler.Compile(DeclareRequestSchema);
const publishCheck = TypeCompiler.Compile(PublishRequestSchema);

/** What the server remembers of one publisher connection. */
export class PublisherSession {
  /** Symbols this publisher declared: the only ones it may publish. */
  readonly declared = new Set<string>();
  /** A declare still waiting for the shared store (cluster mode): later requests wait for it, in order. */
  pending: Promise<unknown> | undefined;
  constructor(readonly name: string) {}
}

/**
 * Validates what publishers send and hands what is valid to the feed core.
 * Every tick is checked (shape, values, declared by this publisher, seq + 1);
 * an invalid one is rejected with a code and counted, never applied.
 */
export class IngestService {
  constructor(
    private readonly core: FeedCore,
    private readonly metrics: FeedMetrics,
    private readonly log: Logger,
  ) {}

  async declare(session: PublisherSession, raw: unknown): Promise<DeclareReply> {
    if (!declareCheck.Check(raw)) {
      return errorReply(ErrorCode.BAD_REQUEST, `declare: ${describeSchemaError(declareCheck.Errors(raw))}`);
    }
    const request: DeclareRequest = raw;
    const refusal = this.core.journal.refusal();
    if (refusal !== null) return errorReply(ErrorCode.STORE_UNAVAILABLE, `declare: ${refusal}`);
    const prepare = this.core.replicator.prepareDeclare;
    if (prepare === undefined) return this.durable(this.applyDeclare(session, request, undefined));
    // Cluster mode: the store answers first; requests of this session that come meanwhile wait (see publish).
    const previous = session.pending;
    const run = (async () => {
      await previous;
      const prepared = await prepare.call(this.core.replicator, request).catch(() =>
        errorReply(ErrorCode.STORE_UNAVAILABLE, 'declare: the shared store did not answer; retry shortly'),
      );
      return prepared.ok ? this.applyDeclare(session, request, prepared.epochs) : prepared;
    })();
    session.pending = run;
    try {
      return await run;
    } finally {
      if (session.pending === run) session.pending = undefined;
    }
  }

  private applyDeclare(session: PublisherSession, request: DeclareRequest, storeEpochs: Record<string, string> | undefined): DeclareReply {
    const { declared, epochs } = this.core.declare(request, storeEpochs);
    for (const decl of request.symbols) session.declared.add(decl.symbol);
    this.core.replicator.declare(request, epochs);
    this.log.info({ publisher: session.name, symbols: request.symbols.length, reset: request.reset === true }, 'symbols declared');
    return { ok: true, declared, rejected: [] };
  }

  /** The reply once what was just applied is in the durable store (DATA_DIR); an error reply when it could not be written. */
  private async durable<T>(reply: T, written = this.core.journal.commit()): Promise<T | ErrorReply> {
    if (written === undefined) return reply;
    try {
      await written;
      return reply;
    } catch (error) {
      return errorReply(ErrorCode.STORE_UNAVAILABLE, `not stored: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async publish(session: PublisherSession, raw: unknown): Promise<PublishReply> {
    if (session.pending !== undefined) await session.pending;
    const refusal = this.core.journal.refusal();
    if (refusal !== null) return errorReply(ErrorCode.STORE_UNAVAILABLE, `publish: ${refusal}`);
    if (!publishCheck.Check(raw)) {
      return errorReply(
        ErrorCode.BAD_REQUEST,
        `publish: ${describeSchemaError(publishCheck.Errors(raw))} (1 to ${DEFAULT_LIMITS.maxTicksPerPublish} ticks per batch)`,
      );
    }
    const rejected: RejectedTick[] = [];
    const accepted: StoredTick[] = [];
    const ticks = raw.ticks;
    for (let index = 0; index < ticks.length; index++) {
      const value = ticks[index];
      const shapeError = checkTick(value);
      if (shapeError !== null) {
        rejected.push({ index, symbol: symbolOf(value), ...shapeError });
        continue;
      }
      const tick = normalizeTick(value as Tick);
      if (!session.declared.has(tick.symbol)) {
        rejected.push({
          index,
          symbol: tick.symbol,
          code: ErrorCode.NOT_DECLARED,
          message: `${tick.symbol} was not declared on this connection`,
        });
        continue;
      }
      const seqError = this.core.market.checkSequence(tick);
      if (seqError !== null) {
        rejected.push({ index, symbol: tick.symbol, ...seqError });
        continue;
      }
      const entry: StoredTick = { tick, json: JSON.stringify(tick) };
      // Applied one by one so the next tick of the batch is checked against the updated seq.
      this.core.apply(entry);
      accepted.push(entry);
    }
    // Written before this call returns to the event loop, so before any consumer gets these ticks.
    const written = this.core.journal.commit();
    let stored: void | Promise<void> = undefined;
    if (accepted.length > 0) {
      this.metrics.ticksIn.inc(accepted.length);
      stored = this.core.replicator.ticks(accepted);
    }
    if (rejected.length > 0) {
      for (const r of rejected) this.metrics.ticksRejected.inc({ code: r.code });
      this.log.warn(
        { publisher: session.name, rejected: rejected.length, first: rejected[0] },
        'ticks rejected',
      );
    }
    // Cluster mode: acknowledged means stored, so a publisher that moves to another instance continues from there.
    if (stored !== undefined) await stored;
    return this.durable<PublishReply>({ ok: true, accepted: accepted.length, rejected }, written);
  }
}

function symbolOf(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return null;
  const symbol = (value as { symbol?: unknown }).symbol;
  return typeof symbol === 'string' ? symbol.slice(0, 40) : null;
}
