import {
  ErrorCode,
  checkTick,
  errorReply,
  type ControlHandler,
  type ControlReply,
  type Declared,
  type DeclareReply,
  type DeclareRequest,
  type FeedControl,
  type FeedStatus,
  type IngestPort,
  type PublishReply,
  type PublishRequest,
  type RejectedTick,
  type Tick,
} from '@tickfeed/protocol';
import { ConnectionLostError } from '../../src/publisher.js';

interface SymbolState {
  epoch: string;
  epochNo: number;
  lastSeq: number;
  lastTs: number;
  last: number;
  /** Accepted ticks of the current epoch. */
  ticks: Tick[];
}

/** What the fake does with one publish request, for fault injection. */
export type PublishFate = 'ok' | 'apply-then-lose-ack' | 'lose';

/**
 * An in-memory stand-in for the feed server's ingest with the same rules:
 * declare per connection, seq = last + 1 per symbol, reset starts a new epoch
 * at 0; plus fault injection (lost acks, connection loss) and a record of
 * everything the producer did. Unit tests only: integration tests use the
 * real server.
 */
export class FakeIngestPort implements IngestPort {
  readonly symbols = new Map<string, SymbolState>();
  readonly statuses: FeedStatus[] = [];
  readonly declares: DeclareRequest[] = [];
  /** Every publish request as received, with the time it arrived. */
  readonly publishes: Array<{ at: number; ticks: Tick[] }> = [];
  connected = true;
  /** Publish requests started and not yet answered, and the most seen at once. */
  inFlight = 0;
  maxInFlight = 0;
  /** Decides the fate of each publish (default: ok). */
  fate: (request: PublishRequest) => PublishFate = () => 'ok';
  private declaredHere = new Set<string>();
  private controlHandler: ControlHandler | null = null;
  private reconnectHandlers: Array<() => void> = [];
  private epochCounter = 0;
  private held: Array<() => void> | null = null;
  private holdDeclares = true;
  private listeners: Array<() => void> = [];

  constructor(private readonly now: () => number = () => 0) {}

  async declare(request: DeclareRequest): Promise<DeclareReply> {
    if (this.holdDeclares) await this.gate();
    if (!this.connected) throw new ConnectionLostError('fake: not connected');
    this.declares.push(request);
    const declared: Declared[] = [];
    for (const d of request.symbols) {
      let s = this.symbols.get(d.symbol);
      if (s === undefined || request.reset === true) {
        s = { epoch: `e${++this.epochCounter}`, epochNo: this.epochCounter, lastSeq: 0, lastTs: 0, last: d.refPrice, ticks: [] };
        this.symbols.set(d.symbol, s);
      }
      this.declaredHere.add(d.symbol);
      declared.push({ symbol: d.symbol, epoch: s.epoch, lastSeq: s.lastSeq, lastTs: s.lastTs, last: s.last });
    }
    this.notify();
    return { ok: true, declared, rejected: [] };
  }

  async publish(request: PublishRequest): Promise<PublishReply> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      return await this.applyPublish(request);
    } finally {
      this.inFlight--;
    }
  }

  private async applyPublish(request: PublishRequest): Promise<PublishReply> {
    await this.gate();
    if (!this.connected) throw new ConnectionLostError('fake: not connected');
    this.publishes.push({ at: this.now(), ticks: request.ticks.map((t) => ({ ...t })) });
    const fate = this.fate(request);
    if (fate === 'lose') {
      this.dropConnection();
      throw new ConnectionLostError('fake: connection lost before the server got the batch');
    }
    const rejected: RejectedTick[] = [];
    let accepted = 0;
    request.ticks.forEach((tick, index) => {
      const problem = checkTick(tick);
      if (problem !== null) return rejected.push({ index, symbol: tick.symbol, ...problem });
      const s = this.symbols.get(tick.symbol);
      if (s === undefined || !this.declaredHere.has(tick.symbol)) {
        return rejected.push({ index, symbol: tick.symbol, code: ErrorCode.NOT_DECLARED, message: 'not declared' });
      }
      if (tick.seq !== s.lastSeq + 1) {
        return rejected.push({ index, symbol: tick.symbol, code: ErrorCode.SEQ_MISMATCH, message: `expected seq ${s.lastSeq + 1}, got ${tick.seq}` });
      }
      s.lastSeq = tick.seq;
      s.lastTs = tick.ts;
      s.last = tick.price;
      s.ticks.push({ ...tick });
      accepted++;
    });
    this.notify();
    if (fate === 'apply-then-lose-ack') {
      this.dropConnection();
      throw new ConnectionLostError('fake: connection lost before the ack');
    }
    return { ok: true, accepted, rejected };
  }

  status(status: FeedStatus): void {
    if (!this.connected) return;
    this.statuses.push(status);
    this.notify();
  }

  onControl(handler: ControlHandler): void {
    this.controlHandler = handler;
  }

  onReconnect(handler: () => void): void {
    this.reconnectHandlers.push(handler);
  }

  async close(): Promise<void> {
    this.connected = false;
  }

  /** Sends a control command as the server would. */
  async control(command: FeedControl): Promise<ControlReply> {
    if (this.controlHandler === null) return errorReply(ErrorCode.NO_CONTROLLABLE_FEED, 'no handler');
    return this.controlHandler(command);
  }

  dropConnection(): void {
    this.connected = false;
    this.declaredHere.clear();
    this.notify();
  }

  /** Comes back, as a reconnect would. */
  reconnect(): void {
    this.connected = true;
    for (const handler of this.reconnectHandlers) handler();
  }

  /** The server loses all state (restart without shared state): new epochs on the next declare. */
  forgetEverything(): void {
    this.symbols.clear();
  }

  /** Holds requests (all, or publishes only) until release(): a server that stopped acking. */
  hold(what: 'all' | 'publish' = 'all'): void {
    this.held ??= [];
    this.holdDeclares = what === 'all';
  }

  release(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const resume of held) resume();
  }

  ticksOf(symbol: string): Tick[] {
    return this.symbols.get(symbol)?.ticks ?? [];
  }

  /** Resolves when `predicate` holds, re-checked after every request or status. */
  async until(predicate: () => boolean): Promise<void> {
    while (!predicate()) await new Promise<void>((resolve) => this.listeners.push(resolve));
  }

  private notify(): void {
    const listeners = this.listeners;
    this.listeners = [];
    for (const l of listeners) l();
  }

  private gate(): Promise<void> {
    if (this.held === null) return Promise.resolve();
    return new Promise<void>((resolve) => this.held!.push(resolve));
  }
}
