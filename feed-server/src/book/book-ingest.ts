import { TypeCompiler } from '@sinclair/typebox/compiler';
import {
  BookPublishRequestSchema,
  DEFAULT_LIMITS,
  ErrorCode,
  checkBookPublish,
  errorReply,
  type BookPublish,
  type BookPublishReply,
  type RejectedTick,
} from '@tickfeed/protocol';
import type { Logger } from 'pino';
import { describeSchemaError } from '../validation.js';
import type { PublisherSession } from '../ingest/ingest-service.js';
import type { SymbolOwners } from '../ingest/symbol-owners.js';
import type { BookState } from './book-state.js';
import type { BookSides } from '@tickfeed/protocol';
import type { SymbolOrderBook } from './book-state.js';
import type { BookMetrics } from './book-metrics.js';
import type { Journal } from '../store/journal.js';

const publishCheck = TypeCompiler.Compile(BookPublishRequestSchema);

/** Where an applied message goes: the consumers' fan-outs (and, with DATA_DIR, the durable log first). */
export interface BookSink {
  publish(book: SymbolOrderBook, prev: BookSides): void;
}

/** Where accepted messages are shared with other instances (REDIS_URL); nothing alone. */
export interface BookReplication {
  /** An accepted message (its loggable fields) applied to `book`. */
  record(book: SymbolOrderBook, message: BookPublish): void;
  /** Shares what was recorded since the last commit; the ack waits for the returned promise (it never rejects). */
  commit(): Promise<void> | undefined;
}

export const NO_BOOK_REPLICATION: BookReplication = { record: () => undefined, commit: () => undefined };

export interface BookIngestOptions {
  /** MAX_TICK_CLOCK_SKEW_MS: how far a message's ts may lie ahead of max(server clock, replay clock). */
  maxTickClockSkewMs: number;
  now: () => number;
  /** Where accepted messages are written before delivery (DATA_DIR); the ack waits until they are durable. */
  journal: () => Journal;
}

/**
 * `book:publish`: checks each snapshot or update a publisher sends (shape,
 * declared on this connection, owned, a book symbol, time window, then the
 * book rules of applyBookPublish), applies the valid ones in order and hands
 * them to the fan-out. A refused one is counted and never applied.
 */
export class BookIngest {
  /** Set by the cluster link (REDIS_URL). */
  replication: BookReplication = NO_BOOK_REPLICATION;

  constructor(
    private readonly state: BookState,
    private readonly fanout: BookSink,
    private readonly owners: SymbolOwners,
    private readonly metrics: BookMetrics,
    private readonly log: Logger,
    private readonly options: BookIngestOptions,
  ) {}

  async publish(session: PublisherSession, raw: unknown): Promise<BookPublishReply> {
    // A declare still waiting for the shared store goes first, as for ticks.
    if (session.pending !== undefined) await session.pending;
    const journal = this.options.journal();
    const refusal = journal.refusal();
    if (refusal !== null) return errorReply(ErrorCode.STORE_UNAVAILABLE, `book:publish: ${refusal}`);
    if (!publishCheck.Check(raw)) {
      return errorReply(
        ErrorCode.BAD_REQUEST,
        `book:publish: ${describeSchemaError(publishCheck.Errors(raw))} (1 to ${DEFAULT_LIMITS.maxBookUpdatesPerPublish} per batch)`,
      );
    }
    const rejected: RejectedTick[] = [];
    let accepted = 0;
    const replayClock = session.lastStatus?.mode === 'replay' ? (session.lastStatus.clock ?? 0) : 0;
    const latestTs = Math.max(this.options.now(), replayClock) + this.options.maxTickClockSkewMs;
    const refuse = (index: number, symbol: string | null, code: ErrorCode, reason: string, message: string, expectedSeq?: number) => {
      rejected.push(expectedSeq === undefined ? { index, symbol, code, message } : { index, symbol, code, message, expectedSeq });
      this.metrics.rejected.inc({ code, reason });
    };
    raw.updates.forEach((value, index) => {
      const shape = checkBookPublish(value);
      if (shape !== null) return refuse(index, symbolOf(value), shape.code, shape.reason, shape.message);
      const message = value as BookPublish;
      const { symbol } = message;
      if (!session.declared.has(symbol)) return refuse(index, symbol, ErrorCode.NOT_DECLARED, 'not_declared', `${symbol} was not declared on this connection`);
      if (!this.owners.owns(session.owner, symbol)) return refuse(index, symbol, ErrorCode.NOT_OWNER, 'not_owner', `${symbol} was taken over by another publisher`);
      const book = this.state.get(symbol);
      if (book === undefined) return refuse(index, symbol, ErrorCode.NO_BOOK, 'no_book', `${symbol} was not declared with book: true`);
      if (message.ts > latestTs) {
        return refuse(index, symbol, ErrorCode.INVALID_BOOK, 'ts', `ts ${message.ts} is more than ${this.options.maxTickClockSkewMs} ms (MAX_TICK_CLOCK_SKEW_MS) ahead of the server's clock`);
      }
      const result = this.state.apply(book, message);
      if (!result.ok) {
        const r = result.rejection;
        return refuse(index, symbol, r.code, r.reason, r.message, r.expectedSeq);
      }
      // Logged as accepted (a restart applies it again); written by the commit below, before any flush delivers it.
      const logged = loggable(message);
      journal.book(symbol, message.seq, JSON.stringify(logged));
      this.replication.record(result.book, logged);
      this.fanout.publish(result.book, result.prev);
      accepted++;
    });
    // Written before this call returns to the event loop, so before any consumer gets these updates; the ack waits for GROUP_COMMIT.
    const written = journal.commit();
    const shared = this.replication.commit();
    if (accepted > 0) this.metrics.updatesIn.inc(accepted);
    if (rejected.length > 0) this.log.warn({ publisher: session.name, rejected: rejected.length, first: rejected[0] }, 'book messages rejected');
    if (written !== undefined) {
      try {
        await written;
      } catch (error) {
        return errorReply(ErrorCode.STORE_UNAVAILABLE, `not stored: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    if (shared !== undefined) await shared;
    return { ok: true, accepted, rejected };
  }
}

/** The fields of an accepted message, and nothing else a publisher may have added. */
function loggable(message: BookPublish): BookPublish {
  const { symbol, seq, ts, bids, asks, snapshot } = message;
  return snapshot === undefined ? { symbol, seq, ts, bids, asks } : { symbol, seq, ts, bids, asks, snapshot };
}

function symbolOf(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return null;
  const symbol = (value as { symbol?: unknown }).symbol;
  return typeof symbol === 'string' ? symbol.slice(0, 40) : null;
}
