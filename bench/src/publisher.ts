import { io, type Socket } from 'socket.io-client';
import {
  DEFAULT_LIMITS,
  Events,
  INGEST_NAMESPACE,
  type IngestClientToServerEvents,
  type IngestServerToClientEvents,
  type DeclareReply,
  type PublishReply,
  type Tick,
} from '@tickfeed/protocol';
import { Histogram, summarizeMicros, type LatencySummary } from './histogram.js';
import { createRandom } from '@tickfeed/protocol';
import { RateSchedule } from './schedule.js';
import { TickFactory, benchDeclarations } from './tick-factory.js';

/**
 * The publisher (B2): a real Socket.IO producer on /ingest that declares the
 * bench's symbols and publishes at a target rate, stamping each tick's ts
 * when it generates it. It reports its own lag behind the schedule and how
 * much of the target the server accepted.
 */
export interface PublisherConnectParams {
  url: string;
  token: string;
  symbols: string[];
  seed: number;
}

export interface PublishRunParams {
  /** Target rate, ticks/s. */
  rate: number;
  /** When the schedule starts, epoch ms. */
  startAt: number;
  durationMs: number;
  /** Ticks stamped in [windowStart, windowEnd) are counted per symbol. */
  windowStart: number;
  windowEnd: number;
  /** Scheduler wake-up period, ms. */
  wakeMs: number;
  /** Publish requests awaiting their ack at most; past it the publisher falls behind. */
  maxInFlight: number;
  /** Ticks per publish request at most. */
  maxBatch: number;
  /** Give up the run once this far behind schedule, ms (the step has failed anyway). */
  abortLagMs: number;
}

export interface PublishRunReport {
  rate: number;
  /** Ticks the schedule asked for. */
  target: number;
  /** Ticks generated and sent. */
  sent: number;
  /** Ticks the server acknowledged as accepted. */
  accepted: number;
  rejected: number;
  /** Publish requests that failed (timeout, error reply). */
  failedRequests: number;
  /** Worst lag behind the schedule, ms. */
  maxLagMs: number;
  /** Lag at each wake-up that had ticks due. */
  lag: LatencySummary;
  /** Sent ticks stamped inside the window, per symbol and in total. */
  inWindow: Record<string, number>;
  inWindowTotal: number;
  aborted: boolean;
  /** Publish request → ack round trip. */
  ack: LatencySummary;
  /** First rejection messages, for the report. */
  rejections: string[];
}

/** What a publish run counts of its acks (ticks and book messages alike). */
export interface PublishTally {
  accepted: number;
  rejected: number;
  failedRequests: number;
  /** The first three rejections or failures, as text. */
  rejections: string[];
}

/** Counts one publish ack into a run's report: accepted, rejected, or a failed request; keeps the first three reasons. */
export function tallyPublishReply(
  report: PublishTally,
  reply: { ok: true; accepted: number; rejected: readonly { symbol?: string | null; code: string; message: string }[] } | { ok: false; error: { code: string; message: string } },
): void {
  if (reply.ok) {
    report.accepted += reply.accepted;
    report.rejected += reply.rejected.length;
    for (const r of reply.rejected.slice(0, 3 - report.rejections.length)) report.rejections.push(`${r.symbol ?? '?'}: ${r.code} ${r.message}`);
  } else {
    report.failedRequests += 1;
    if (report.rejections.length < 3) report.rejections.push(`${reply.error.code} ${reply.error.message}`);
  }
}

export interface FloodParams {
  durationMs: number;
  batchSize: number;
  maxInFlight: number;
}

export interface FloodReport {
  sent: number;
  accepted: number;
  rejected: number;
  failedRequests: number;
  /** From the first send to the last ack, s. */
  seconds: number;
  acceptedPerSec: number;
  ack: LatencySummary;
}

export type PublisherApi = {
  connect(params: PublisherConnectParams): Promise<{ declared: number; rejected: number }>;
  run(params: PublishRunParams): Promise<PublishRunReport>;
  flood(params: FloodParams): Promise<FloodReport>;
  close(params: Record<string, never>): Promise<void>;
};

type IngestSocket = Socket<IngestServerToClientEvents, IngestClientToServerEvents>;

const ACK_TIMEOUT_MS = 30_000;

export class Publisher {
  private socket: IngestSocket | null = null;
  private factory: TickFactory | null = null;

  constructor(private readonly now: () => number = Date.now) {}

  api(): PublisherApi {
    return {
      connect: (p) => this.connect(p),
      run: (p) => this.run(p),
      flood: (p) => this.flood(p),
      close: () => this.close(),
    };
  }

  async connect(p: PublisherConnectParams): Promise<{ declared: number; rejected: number }> {
    const socket: IngestSocket = io(new URL(INGEST_NAMESPACE, p.url).toString(), {
      transports: ['websocket'],
      auth: { token: p.token },
      reconnection: false,
    });
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (e) => reject(new Error(`ingest connect failed: ${e.message}`)));
    });
    const start: { lastSeq: number; last: number }[] = [];
    let declared = 0;
    let rejected = 0;
    const chunk = DEFAULT_LIMITS.maxSymbolsPerDeclare;
    for (let i = 0; i < p.symbols.length; i += chunk) {
      const part = p.symbols.slice(i, i + chunk);
      const reply: DeclareReply = await socket
        .timeout(ACK_TIMEOUT_MS)
        .emitWithAck(Events.declare, { symbols: benchDeclarations(part) });
      if (!reply.ok) throw new Error(`declare refused: ${reply.error.code} ${reply.error.message}`);
      const bySymbol = new Map(reply.declared.map((d) => [d.symbol, d]));
      for (const s of part) {
        const d = bySymbol.get(s);
        start.push({ lastSeq: d?.lastSeq ?? 0, last: d?.last ?? 100 });
      }
      declared += reply.declared.length;
      rejected += reply.rejected.length;
    }
    this.factory = new TickFactory(p.symbols, createRandom(p.seed, 'bench:ticks'), start);
    return { declared, rejected };
  }

  run(p: PublishRunParams): Promise<PublishRunReport> {
    const socket = this.requireSocket();
    const factory = this.requireFactory();
    const schedule = new RateSchedule(p.rate, p.startAt, p.durationMs);
    const ackLatency = new Histogram();
    const lag = new Histogram();
    const report: PublishRunReport = {
      rate: p.rate,
      target: schedule.target,
      sent: 0,
      accepted: 0,
      rejected: 0,
      failedRequests: 0,
      maxLagMs: 0,
      lag: summarizeMicros(lag),
      inWindow: {},
      inWindowTotal: 0,
      aborted: false,
      ack: summarizeMicros(ackLatency),
      rejections: [],
    };
    let inFlight = 0;
    let generating = true;

    return new Promise<PublishRunReport>((resolve) => {
      const finishIfDone = () => {
        if (generating || inFlight > 0) return;
        report.ack = summarizeMicros(ackLatency);
        report.lag = summarizeMicros(lag);
        resolve(report);
      };
      const send = (ticks: Tick[]) => {
        inFlight += 1;
        const sentAt = this.now();
        socket
          .timeout(ACK_TIMEOUT_MS)
          .emitWithAck(Events.publish, { ticks })
          .then(
            (reply: PublishReply) => {
              ackLatency.record((this.now() - sentAt) * 1000);
              tallyPublishReply(report, reply);
            },
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
        if (report.sent < due) {
          const late = schedule.lagOf(report.sent, now);
          report.maxLagMs = Math.max(report.maxLagMs, late);
          lag.record(late * 1000);
        }
        if (report.sent < due && inFlight < p.maxInFlight) {
          while (report.sent < due && inFlight < p.maxInFlight) {
            const n = Math.min(due - report.sent, p.maxBatch);
            const ticks: Tick[] = new Array<Tick>(n);
            const counted = now >= p.windowStart && now < p.windowEnd;
            for (let i = 0; i < n; i++) {
              const t = factory.next(now);
              ticks[i] = t;
              if (counted) report.inWindow[t.symbol] = (report.inWindow[t.symbol] ?? 0) + 1;
            }
            if (counted) report.inWindowTotal += n;
            report.sent += n;
            send(ticks);
          }
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

  /** Publishes as fast as the acks come back, `maxInFlight` requests deep. */
  flood(p: FloodParams): Promise<FloodReport> {
    const socket = this.requireSocket();
    const factory = this.requireFactory();
    const ack = new Histogram();
    const startedAt = this.now();
    const stopAt = startedAt + p.durationMs;
    const r: FloodReport = { sent: 0, accepted: 0, rejected: 0, failedRequests: 0, seconds: 0, acceptedPerSec: 0, ack: summarizeMicros(ack) };
    let inFlight = 0;
    let lastAckAt = startedAt;
    return new Promise<FloodReport>((resolve) => {
      const pump = () => {
        while (inFlight < p.maxInFlight && this.now() < stopAt) {
          const now = this.now();
          const ticks: Tick[] = new Array<Tick>(p.batchSize);
          for (let i = 0; i < p.batchSize; i++) ticks[i] = factory.next(now);
          r.sent += p.batchSize;
          inFlight += 1;
          socket
            .timeout(ACK_TIMEOUT_MS)
            .emitWithAck(Events.publish, { ticks })
            .then(
              (reply) => {
                if (reply.ok) {
                  r.accepted += reply.accepted;
                  r.rejected += reply.rejected.length;
                } else {
                  r.failedRequests += 1;
                }
              },
              () => {
                r.failedRequests += 1;
              },
            )
            .finally(() => {
              inFlight -= 1;
              lastAckAt = this.now();
              ack.record((lastAckAt - now) * 1000);
              if (this.now() < stopAt) pump();
              else if (inFlight === 0) {
                r.seconds = (lastAckAt - startedAt) / 1000;
                r.acceptedPerSec = r.seconds > 0 ? r.accepted / r.seconds : 0;
                r.ack = summarizeMicros(ack);
                resolve(r);
              }
            });
        }
      };
      pump();
    });
  }

  async close(): Promise<void> {
    this.socket?.disconnect();
    this.socket = null;
  }

  private requireSocket(): IngestSocket {
    if (!this.socket) throw new Error('publisher is not connected');
    return this.socket;
  }

  private requireFactory(): TickFactory {
    if (!this.factory) throw new Error('publisher has not declared its symbols');
    return this.factory;
  }
}
