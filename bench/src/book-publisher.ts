import { io, type Socket } from 'socket.io-client';
import {
  DEFAULT_LIMITS,
  Events,
  INGEST_NAMESPACE,
  type BookPublish,
  type IngestClientToServerEvents,
  type IngestServerToClientEvents,
  type PublishReply,
} from '@tickfeed/protocol';
import { BookWalks } from './book-walk.js';
import { RateSchedule } from './schedule.js';
import { tallyPublishReply } from './publisher.js';
import { benchDeclarations } from './tick-factory.js';

/**
 * The book suite's publisher (B40): a real Socket.IO producer on /ingest that
 * declares the suite's symbols with a book, publishes each one's snapshot, then
 * book updates (BookWalk) at a target rate with acks, stamping each update's
 * ts when it generates it. Runs in its own process beside the clients.
 */
export interface BookPublisherConnectParams {
  url: string;
  token: string;
  symbols: string[];
  seed: number;
}

export interface BookPublishRunParams {
  rate: number;
  startAt: number;
  durationMs: number;
  /** Updates stamped in [windowStart, windowEnd) are counted. */
  windowStart: number;
  windowEnd: number;
  wakeMs: number;
  maxInFlight: number;
  maxBatch: number;
  abortLagMs: number;
}

export interface BookPublishRunReport {
  rate: number;
  target: number;
  sent: number;
  accepted: number;
  rejected: number;
  failedRequests: number;
  maxLagMs: number;
  /** Updates stamped inside the window. */
  inWindow: number;
  aborted: boolean;
  /** Each symbol's book seq after the run (what a follower must hold once the updates are delivered). */
  finalSeqs: Record<string, number>;
  rejections: string[];
}

export type BookPublisherApi = {
  connect(params: BookPublisherConnectParams): Promise<{ declared: number }>;
  run(params: BookPublishRunParams): Promise<BookPublishRunReport>;
  close(params: Record<string, never>): Promise<void>;
};

type IngestSocket = Socket<IngestServerToClientEvents, IngestClientToServerEvents>;

const ACK_TIMEOUT_MS = 30_000;

/** The suite's symbols as declared: the bench's, with a book and a lot size of 1 (whole sizes). */
export function bookBenchDeclarations(symbols: readonly string[]) {
  return benchDeclarations(symbols).map((d) => ({ ...d, lotSize: 1, book: true }));
}

export class BookPublisher {
  private socket: IngestSocket | null = null;
  private walks: BookWalks | null = null;

  constructor(private readonly now: () => number = Date.now) {}

  api(): BookPublisherApi {
    return { connect: (p) => this.connect(p), run: (p) => this.run(p), close: () => this.close() };
  }

  async connect(p: BookPublisherConnectParams): Promise<{ declared: number }> {
    const socket: IngestSocket = io(new URL(INGEST_NAMESPACE, p.url).toString(), { transports: ['websocket'], auth: { token: p.token }, reconnection: false });
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (e) => reject(new Error(`ingest connect failed: ${e.message}`)));
    });
    let declared = 0;
    const chunk = DEFAULT_LIMITS.maxSymbolsPerDeclare;
    for (let i = 0; i < p.symbols.length; i += chunk) {
      const reply = await socket.timeout(ACK_TIMEOUT_MS).emitWithAck(Events.declare, { symbols: bookBenchDeclarations(p.symbols.slice(i, i + chunk)) });
      if (!reply.ok) throw new Error(`declare refused: ${reply.error.code} ${reply.error.message}`);
      if (reply.rejected.length > 0) throw new Error(`declare rejected ${reply.rejected.length} symbols: ${JSON.stringify(reply.rejected[0])}`);
      declared += reply.declared.length;
    }
    this.walks = new BookWalks(p.symbols, p.seed);
    const reply = await this.publish(this.walks.snapshots(this.now()));
    if (!reply.ok || reply.rejected.length > 0) throw new Error(`book snapshots refused: ${JSON.stringify(reply)}`.slice(0, 400));
    return { declared };
  }

  run(p: BookPublishRunParams): Promise<BookPublishRunReport> {
    const walks = this.requireWalks();
    const schedule = new RateSchedule(p.rate, p.startAt, p.durationMs);
    const report: BookPublishRunReport = { rate: p.rate, target: schedule.target, sent: 0, accepted: 0, rejected: 0, failedRequests: 0, maxLagMs: 0, inWindow: 0, aborted: false, finalSeqs: {}, rejections: [] };
    let inFlight = 0;
    let generating = true;
    return new Promise<BookPublishRunReport>((resolve) => {
      const finishIfDone = () => {
        if (generating || inFlight > 0) return;
        for (const w of walks.walks) report.finalSeqs[w.symbol] = w.seq;
        resolve(report);
      };
      const send = (updates: BookPublish[]) => {
        inFlight += 1;
        this.publish(updates)
          .then(
            (reply) => tallyPublishReply(report, reply),
            () => {
              report.failedRequests += 1;
            },
          )
          .finally(() => {
            inFlight -= 1;
            finishIfDone();
          });
      };
      const wake = () => {
        const now = this.now();
        const due = schedule.dueBy(now);
        if (report.sent < due) report.maxLagMs = Math.max(report.maxLagMs, schedule.lagOf(report.sent, now));
        while (report.sent < due && inFlight < p.maxInFlight) {
          const n = Math.min(due - report.sent, p.maxBatch);
          const updates = new Array<BookPublish>(n);
          for (let i = 0; i < n; i++) updates[i] = walks.next(now);
          if (now >= p.windowStart && now < p.windowEnd) report.inWindow += n;
          report.sent += n;
          send(updates);
        }
        if (report.maxLagMs > p.abortLagMs) report.aborted = true;
        if (report.aborted || report.sent >= schedule.target) {
          generating = false;
          finishIfDone();
          return;
        }
        setTimeout(wake, p.wakeMs);
      };
      setTimeout(wake, Math.max(0, p.startAt - this.now()));
    });
  }

  async close(): Promise<void> {
    this.socket?.disconnect();
    this.socket = null;
  }

  private publish(updates: BookPublish[]): Promise<PublishReply> {
    if (!this.socket) throw new Error('book publisher is not connected');
    return this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck(Events.bookPublish, { updates });
  }

  private requireWalks(): BookWalks {
    if (!this.walks) throw new Error('book publisher has not declared its symbols');
    return this.walks;
  }
}
