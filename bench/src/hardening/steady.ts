import { io, type Socket } from 'socket.io-client';
import {
  Events,
  INGEST_NAMESPACE,
  type ClientToServerEvents,
  type IngestClientToServerEvents,
  type IngestServerToClientEvents,
  type FeedStatus,
  type RejectedTick,
  type ServerToClientEvents,
  type SymbolDeclaration,
  type Tick,
} from '@tickfeed/protocol';
import type { Rng } from './rng.js';
import { DeliveryAudit } from '../delivery-audit.js';

/*
 * The well-behaved side of a fuzz or soak run: one publisher at a steady rate
 * and a few consumers that must receive every tick of their symbols, in order
 * (F3, F9).
 */

type ConsumerSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
type PublisherSocket = Socket<IngestServerToClientEvents, IngestClientToServerEvents>;

/** Valid ticks for a set of symbols: a seeded random walk per symbol, seq +1 per tick. */
export class TickSource {
  private readonly seqs = new Map<string, number>();
  private readonly prices = new Map<string, number>();
  private turn = 0;

  constructor(
    readonly symbols: readonly string[],
    private readonly rng: Rng,
    private readonly clock: () => number,
  ) {
    for (const symbol of symbols) {
      this.seqs.set(symbol, 0);
      this.prices.set(symbol, 100 + rng.int(0, 10_000) / 100);
    }
  }

  /** Continues a symbol's sequence after `lastSeq` (what declare reported). */
  continueFrom(symbol: string, lastSeq: number): void {
    this.seqs.set(symbol, lastSeq);
  }

  /** The next `count` ticks, spread over the symbols in turn. */
  next(count: number): Tick[] {
    const ticks: Tick[] = [];
    const ts = this.clock();
    for (let i = 0; i < count; i++) {
      const symbol = this.symbols[this.turn++ % this.symbols.length]!;
      const seq = this.seqs.get(symbol)! + 1;
      this.seqs.set(symbol, seq);
      const step = (this.rng.int(0, 20) - 10) / 100;
      const price = Math.max(0.05, Math.round((this.prices.get(symbol)! + step) * 100) / 100);
      this.prices.set(symbol, price);
      ticks.push({ symbol, seq, ts, price, size: this.rng.int(1, 1_000), bid: Math.round((price - 0.01) * 100) / 100, ask: Math.round((price + 0.01) * 100) / 100 });
    }
    return ticks;
  }

  declarations(): SymbolDeclaration[] {
    return this.symbols.map((symbol) => ({ symbol, name: `${symbol} steady`, kind: 'equity', currency: 'USD', tickSize: 0.01, refPrice: this.prices.get(symbol)! }));
  }
}

export interface PublisherOptions {
  url: string;
  token: string;
  source: TickSource;
  /** Ticks per second. */
  rate: number;
  /** Keep every accepted tick (for the state comparison); counts only when false. */
  keepTicks: boolean;
  /** Publishes in flight at most; the schedule catches up when acks return. */
  maxInFlight?: number;
  ackTimeoutMs?: number;
}

/** Publishes over /ingest at a steady rate and keeps what the server accepted. */
export class SteadyPublisher {
  /** Accepted ticks per symbol (when keepTicks), in publish order. */
  readonly accepted = new Map<string, Tick[]>();
  /** Accepted tick count per symbol, and the last accepted seq. */
  readonly lastSeq = new Map<string, number>();
  /** What the declare set up: each symbol's epoch and declaration. */
  readonly epochs = new Map<string, string>();
  readonly declarations = new Map<string, SymbolDeclaration>();
  readonly problems: string[] = [];
  published = 0;
  private running = false;
  private loop: Promise<void> | undefined;
  private inFlight = 0;
  private readonly idle: (() => void)[] = [];

  private constructor(
    private readonly socket: PublisherSocket,
    private readonly options: PublisherOptions,
  ) {}

  static async connect(options: PublisherOptions): Promise<SteadyPublisher> {
    const socket: PublisherSocket = io(`${options.url}${INGEST_NAMESPACE}`, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      auth: { token: options.token },
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (error) => reject(new Error(`publisher refused: ${error.message}`)));
    });
    const publisher = new SteadyPublisher(socket, options);
    socket.on('disconnect', (reason) => {
      if (reason !== 'io client disconnect') publisher.problem(`publisher disconnected: ${reason}`);
    });
    // A new epoch for each symbol: nothing published before this run counts.
    const declarations = options.source.declarations();
    for (const d of declarations) publisher.declarations.set(d.symbol, d);
    const reply = await socket.timeout(10_000).emitWithAck(Events.declare, { symbols: declarations, reset: true, reason: 'fuzz/soak run' });
    if (!reply.ok) throw new Error(`declare failed: ${reply.error.code} ${reply.error.message}`);
    for (const declared of reply.declared) {
      options.source.continueFrom(declared.symbol, declared.lastSeq);
      publisher.lastSeq.set(declared.symbol, declared.lastSeq);
      publisher.epochs.set(declared.symbol, declared.epoch);
      publisher.accepted.set(declared.symbol, []);
    }
    return publisher;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops publishing and waits for the publishes in flight. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    while (this.inFlight > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  close(): void {
    this.socket.disconnect();
  }

  /** Control commands this publisher answered (it owns the feed once its status is the feed's). */
  controls = 0;

  /**
   * Announces `status` as the feed's and answers every control command with
   * it unchanged (a live feed has nothing to pause): the first publisher to
   * announce one owns the feed (R48), so attackers' statuses must be ignored.
   */
  announce(status: FeedStatus): void {
    this.socket.on(Events.control, (_command, ack) => {
      this.controls++;
      ack({ ok: true, status });
    });
    this.socket.emit(Events.status, status);
  }

  private async run(): Promise<void> {
    const started = performance.now();
    const maxInFlight = this.options.maxInFlight ?? 4;
    const tickMs = 10;
    let due = 0;
    while (this.running) {
      // Emits on a disconnected socket would pile up in socket.io-client's buffer: stop instead.
      if (!this.socket.connected) break;
      due = Math.floor(((performance.now() - started) / 1000) * this.options.rate);
      const count = Math.min(due - this.published, 5_000);
      if (count > 0 && this.inFlight < maxInFlight) this.publish(this.options.source.next(count));
      // The schedule's step: the next batch is due in tickMs.
      await new Promise((resolve) => setTimeout(resolve, tickMs));
    }
  }

  private publish(ticks: Tick[]): void {
    this.published += ticks.length;
    this.inFlight++;
    this.socket
      .timeout(this.options.ackTimeoutMs ?? 15_000)
      .emitWithAck(Events.publish, { ticks })
      .then(
        (reply) => {
          if (!reply.ok) return this.problem(`publish refused: ${reply.error.code} ${reply.error.message}`);
          if (reply.rejected.length > 0) this.problem(`valid ticks rejected: ${JSON.stringify(reply.rejected.slice(0, 3))}`);
          const rejected = new Set(reply.rejected.map((r: RejectedTick) => r.index));
          ticks.forEach((tick, index) => {
            if (rejected.has(index)) return;
            this.lastSeq.set(tick.symbol, tick.seq);
            if (this.options.keepTicks) this.accepted.get(tick.symbol)?.push(tick);
          });
        },
        (error: unknown) => this.problem(`publish unanswered: ${error instanceof Error ? error.message : String(error)}`),
      )
      .finally(() => {
        this.inFlight--;
        if (this.inFlight === 0) for (const resolve of this.idle.splice(0)) resolve();
      });
  }

  private problem(description: string): void {
    if (this.problems.length < 20) this.problems.push(description);
  }
}

/** A consumer that subscribes once and checks every tick it gets (F3, F9). */
export class SteadyConsumer {
  readonly audit = new DeliveryAudit();
  /** Anything that should not happen to a healthy client: disconnect, reset, notice, shutdown. */
  readonly disturbances: string[] = [];
  private waiters: { done: () => boolean; resolve: () => void }[] = [];

  private constructor(
    readonly name: string,
    readonly symbols: readonly string[],
    private readonly socket: ConsumerSocket,
  ) {
    socket.on(Events.ticks, (ticks) => {
      for (const tick of ticks) this.audit.observe(tick.symbol, tick.seq);
      this.waiters = this.waiters.filter((w) => {
        if (!w.done()) return true;
        w.resolve();
        return false;
      });
    });
    socket.on(Events.reset, (reset) => this.disturbances.push(`reset of ${reset.symbol}: ${reset.reason}`));
    socket.on(Events.notice, (notice) => this.disturbances.push(`notice ${notice.code}: ${notice.message}`));
    socket.on(Events.shutdown, (shutdown) => this.disturbances.push(`server:shutdown ${shutdown.reason}`));
    socket.on('disconnect', (reason) => {
      if (reason !== 'io client disconnect') this.disturbances.push(`disconnected: ${reason}`);
    });
  }

  static async connect(url: string, name: string, symbols: readonly string[]): Promise<SteadyConsumer> {
    const socket: ConsumerSocket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (error) => reject(new Error(`${name} refused: ${error.message}`)));
    });
    const consumer = new SteadyConsumer(name, symbols, socket);
    const reply = await socket.timeout(10_000).emitWithAck(Events.subscribe, { symbols: [...symbols] });
    if (!reply.ok) throw new Error(`${name}: subscribe failed: ${reply.error.code}`);
    if (reply.rejected.length > 0) throw new Error(`${name}: symbols rejected: ${JSON.stringify(reply.rejected)}`);
    for (const entry of reply.subscribed) consumer.audit.start(entry.symbol, entry.snapshot.seq);
    return consumer;
  }

  /** Resolves true once every symbol's last seq reached its target, false at the deadline. */
  reached(targets: ReadonlyMap<string, number>, timeoutMs: number): Promise<boolean> {
    const done = () => this.symbols.every((s) => (this.audit.lastSeq(s) ?? 0) >= (targets.get(s) ?? 0));
    if (done()) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      const waiter = {
        done,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      this.waiters.push(waiter);
    });
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  close(): void {
    this.socket.disconnect();
  }
}
