import { Events, type Notice, type Reset, type SubscribeReply, type Tick } from '@tickfeed/protocol';
import { Histogram, type HistogramJson } from './histogram.js';
import { RawSocketIoClient } from './raw-client.js';
import { DeliveryAudit, addCounts, emptyCounts, type SeqCounts } from './delivery-audit.js';

/**
 * The load generator (B1, B2): many raw Socket.IO consumers in one process,
 * each subscribed to its own symbols. It checks every client's seq
 * continuity and records tick-to-client latency (arrival − tick.ts) for the
 * ticks stamped inside the measured window.
 */
export interface LoadGenConnectParams {
  /** Base URL of the server under test. */
  url: string;
  /** One entry per client: the symbols it subscribes to. */
  clients: string[][];
  /** Clients connecting at once. */
  concurrency: number;
}

export interface LoadGenConnectResult {
  connected: number;
  failed: number;
  /** Subscriptions the server acknowledged. */
  subscriptions: number;
  /** Symbols the server refused. */
  rejected: number;
  /** First few errors, for the report. */
  errors: string[];
}

export interface StepWindow {
  /** Ticks with ts in [windowStart, windowEnd) are measured; epoch ms. */
  windowStart: number;
  windowEnd: number;
}

export interface LoadGenReport {
  clients: number;
  connected: number;
  /** Acknowledged subscribers per symbol (for the expected delivery count). */
  subscriberCounts: Record<string, number>;
  /** Ticks received whose ts lies in the window. */
  delivered: number;
  /** WebSocket frames received during the window. */
  frames: number;
  /** Bytes of those frames. */
  bytes: number;
  /** Every tick received since the step began. */
  ticksReceived: number;
  /** Latency of the window's ticks, µs. */
  latency: HistogramJson;
  /** Continuity since the step began, summed over clients. */
  seq: SeqCounts;
  /** Connections lost since the step began. */
  disconnects: number;
  /** `notice` events by code, since the step began. */
  notices: Record<string, number>;
  /** `reset` events since the step began. */
  resets: number;
  /** Malformed events (should be zero). */
  malformed: number;
  /** Arrival time of the last tick, epoch ms (0: none). */
  lastTickAt: number;
}

export type LoadGenApi = {
  connect(params: LoadGenConnectParams): Promise<LoadGenConnectResult>;
  beginStep(params: StepWindow): Promise<void>;
  report(params: Record<string, never>): Promise<LoadGenReport>;
  /** Reconnects and resubscribes every client that lost its connection. */
  ensure(params: Record<string, never>): Promise<{ reconnected: number; failed: number }>;
  close(params: Record<string, never>): Promise<void>;
};

class LoadClient {
  raw: RawSocketIoClient | null = null;
  tracker = new DeliveryAudit();
  acked: string[] = [];
  constructor(readonly symbols: string[]) {}
}

export class LoadGenerator {
  private url = '';
  private readonly clients: LoadClient[] = [];
  private windowStart = Number.POSITIVE_INFINITY;
  private windowEnd = Number.POSITIVE_INFINITY;
  private readonly latency = new Histogram();
  private delivered = 0;
  private frames = 0;
  private bytes = 0;
  private ticksReceived = 0;
  private disconnects = 0;
  private notices: Record<string, number> = {};
  private resets = 0;
  private malformed = 0;
  private lastTickAt = 0;
  private closing = false;

  constructor(private readonly now: () => number = Date.now) {}

  api(): LoadGenApi {
    return {
      connect: (p: LoadGenConnectParams) => this.connect(p),
      beginStep: async (p: StepWindow) => this.beginStep(p),
      report: async () => this.report(),
      ensure: () => this.ensure(),
      close: () => this.close(),
    };
  }

  async connect(p: LoadGenConnectParams): Promise<LoadGenConnectResult> {
    this.url = p.url;
    const start = this.clients.length;
    for (const symbols of p.clients) this.clients.push(new LoadClient(symbols));
    const result: LoadGenConnectResult = { connected: 0, failed: 0, subscriptions: 0, rejected: 0, errors: [] };
    await runPool(this.clients.slice(start), p.concurrency, async (client) => {
      try {
        const r = await this.open(client);
        result.connected += 1;
        result.subscriptions += r.subscribed;
        result.rejected += r.rejected;
      } catch (e) {
        result.failed += 1;
        if (result.errors.length < 5) result.errors.push(e instanceof Error ? e.message : String(e));
      }
    });
    return result;
  }

  beginStep(w: StepWindow): void {
    this.windowStart = w.windowStart;
    this.windowEnd = w.windowEnd;
    this.latency.reset();
    this.delivered = 0;
    this.frames = 0;
    this.bytes = 0;
    this.ticksReceived = 0;
    this.disconnects = 0;
    this.notices = {};
    this.resets = 0;
    this.malformed = 0;
    for (const c of this.clients) c.tracker.resetCounts();
  }

  report(): LoadGenReport {
    const subscriberCounts: Record<string, number> = {};
    let seq = emptyCounts();
    let connected = 0;
    for (const c of this.clients) {
      seq = addCounts(seq, c.tracker.snapshot());
      if (!c.raw?.connected) continue;
      connected += 1;
      for (const s of c.acked) subscriberCounts[s] = (subscriberCounts[s] ?? 0) + 1;
    }
    return {
      clients: this.clients.length,
      connected,
      subscriberCounts,
      delivered: this.delivered,
      frames: this.frames,
      bytes: this.bytes,
      ticksReceived: this.ticksReceived,
      latency: this.latency.toJSON(),
      seq,
      disconnects: this.disconnects,
      notices: { ...this.notices },
      resets: this.resets,
      malformed: this.malformed,
      lastTickAt: this.lastTickAt,
    };
  }

  async ensure(): Promise<{ reconnected: number; failed: number }> {
    const lost = this.clients.filter((c) => !c.raw?.connected);
    let failed = 0;
    await runPool(lost, 50, async (c) => {
      try {
        await this.open(c);
      } catch {
        failed += 1;
      }
    });
    return { reconnected: lost.length - failed, failed };
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.clients.map((c) => c.raw?.close()));
  }

  /** Connects one client and subscribes it; a fresh tracker starts from the ack's snapshots. */
  private async open(client: LoadClient): Promise<{ subscribed: number; rejected: number }> {
    client.tracker = new DeliveryAudit();
    client.acked = [];
    const tracker = client.tracker;
    const raw = new RawSocketIoClient({
      url: this.url,
      now: this.now,
      onFrame: (bytes, at) => {
        if (at >= this.windowStart && at < this.windowEnd) {
          this.frames += 1;
          this.bytes += bytes;
        }
      },
      onEvent: (name, args, at) => this.onEvent(tracker, name, args, at),
      onTicks: (t, at) => this.onTicks(tracker, t.symbols, t.seqs, t.ts, at),
      onClose: () => {
        if (!this.closing && client.raw === raw && client.acked.length > 0) this.disconnects += 1;
      },
    });
    client.raw = raw;
    await raw.connect();
    for (const s of client.symbols) tracker.expect(s);
    const [reply] = (await raw.emitWithAck(Events.subscribe, [{ symbols: client.symbols }], 30_000)) as [SubscribeReply?];
    if (!reply || !reply.ok) {
      throw new Error(`subscribe refused: ${reply && !reply.ok ? reply.error.code : 'no reply'}`);
    }
    for (const s of reply.subscribed) {
      tracker.start(s.symbol, s.snapshot.seq);
      client.acked.push(s.symbol);
    }
    for (const r of reply.rejected) tracker.forget(r.symbol);
    return { subscribed: reply.subscribed.length, rejected: reply.rejected.length };
  }

  /** The same rules whichever way the frame was read (B2, B3, B33). */
  private onTicks(tracker: DeliveryAudit, symbols: readonly string[], seqs: readonly number[], stamps: readonly number[], at: number): void {
    const ws = this.windowStart;
    const we = this.windowEnd;
    for (let i = 0; i < symbols.length; i++) {
      tracker.observe(symbols[i] as string, seqs[i] as number);
      const ts = stamps[i] as number;
      if (ts >= ws && ts < we) {
        this.delivered += 1;
        this.latency.record((at - ts) * 1000);
      }
    }
    this.ticksReceived += symbols.length;
    this.lastTickAt = at;
  }

  private onEvent(tracker: DeliveryAudit, name: string, args: unknown[], at: number): void {
    if (name === Events.ticks) {
      const ticks = args[0];
      if (!Array.isArray(ticks)) {
        this.malformed += 1;
        return;
      }
      const typed = ticks as Tick[];
      this.onTicks(tracker, typed.map((t) => t.symbol), typed.map((t) => t.seq), typed.map((t) => t.ts), at);
    } else if (name === Events.reset) {
      const reset = args[0] as Reset;
      this.resets += 1;
      tracker.start(reset.symbol, reset.snapshot.seq);
    } else if (name === Events.notice) {
      const notice = args[0] as Notice;
      this.notices[notice.code] = (this.notices[notice.code] ?? 0) + 1;
    }
  }
}

/** Runs `work` over `items` with at most `concurrency` in flight. */
export async function runPool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
}
