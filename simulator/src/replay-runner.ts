import {
  ErrorCode,
  errorReply,
  type ControlReply,
  type FeedControl,
  type FeedStatus,
  type IngestPort,
  type SymbolDeclaration,
} from '@tickfeed/protocol';
import { Waker, type Clock } from './clock.js';
import type { Logger } from './logger.js';
import { Pacer } from './pacer.js';
import type { Publisher } from './publisher.js';
import { Peekable } from './replay-source.js';
import type { RunningSimulator, SimulatorStats } from './running-simulator.js';
import { StatusAnnouncer } from './status-announcer.js';
import type { PublishEvent } from './book/book-segments.js';
import { decideControl, type TransportState } from './transport.js';
import type { ReplaySpeed } from '@tickfeed/protocol';

export interface ReplaySettings {
  speed: ReplaySpeed;
  loop: boolean;
  /** --from: recorded time to start at (and loop back to), epoch ms; null for the tape's start. */
  fromMs: number | null;
  /** Least time between two publishes while paced, ms. */
  batchMs: number;
  /** Most ticks per publish. */
  maxBatch: number;
}

/** One row of a tape as the publisher sends it: a trade, or (L2) an execution's trade and the row's book update. */
export interface ReplayItem {
  ts: number;
  events: PublishEvent[];
}

/** What the runner plays: the tape's time range, a description, and a way to read it from any time. */
export interface ReplayTape {
  firstTs: number;
  lastTs: number;
  /** FeedStatus.source, e.g. 'replay of AMZN-2012-06-21-trades.csv'. */
  description: string;
  /** The records with ts ≥ fromTs, in replay order (an L2 tape's first one carries the whole book). */
  open(fromTs: number): AsyncIterator<ReplayItem>;
}

/**
 * Plays scanned tapes through a Publisher: pacing by the recorded gaps
 * divided by the speed (Pacer), transport commands through the pure state
 * machine (decideControl), and a new epoch (declare with reset) at the start,
 * at each seek and at each loop, so clients reset their charts instead of
 * seeing time go backwards.
 */
export class ReplayRunner implements RunningSimulator {
  readonly mode = 'replay' as const;
  readonly ended: Promise<void>;
  private resolveEnded!: () => void;
  private rejectEnded!: (error: Error) => void;
  private transport: TransportState;
  private readonly pacer: Pacer;
  private readonly waker: Waker;
  private readonly announcer: StatusAnnouncer;
  private readonly startTs: number;
  private source: Peekable<ReplayItem> | null = null;
  private lastTs: number;
  private lastSendAt = -Infinity;
  private records = 0;
  private stopped = false;
  private pendingSeek: { to: number; resolve: (reply: ControlReply) => void } | null = null;
  private loopDone: Promise<void> = Promise.resolve();

  constructor(
    private readonly settings: ReplaySettings,
    private readonly tape: ReplayTape,
    private readonly declarations: SymbolDeclaration[],
    private readonly publisher: Publisher,
    port: IngestPort,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.ended = new Promise<void>((resolve, reject) => {
      this.resolveEnded = resolve;
      this.rejectEnded = reject;
    });
    // Callers may never await `ended`; a failure is also logged.
    this.ended.catch(() => {});
    this.startTs = Math.min(Math.max(settings.fromMs ?? tape.firstTs, tape.firstTs), tape.lastTs);
    this.lastTs = this.startTs;
    this.transport = { state: 'playing', speed: settings.speed, loop: settings.loop, completions: 0 };
    this.pacer = new Pacer(settings.speed);
    this.waker = new Waker(clock);
    this.announcer = new StatusAnnouncer(port, clock, () => this.buildStatus());
    publisher.onResync(() => this.announcer.announce());
  }

  /** Declares a new epoch, opens the tapes and starts playing. */
  async start(): Promise<void> {
    await this.newEpoch(this.startTs, 'replay');
    this.announcer.announce();
    this.loopDone = this.loop();
  }

  status(): FeedStatus {
    return this.announcer.last ?? this.buildStatus();
  }

  stats(): SimulatorStats {
    return { publisher: { ...this.publisher.stats }, records: this.records };
  }

  async control(command: FeedControl): Promise<ControlReply> {
    if (this.stopped) return errorReply(ErrorCode.NO_CONTROLLABLE_FEED, 'the replay has stopped');
    const decision = decideControl(this.transport, command, this.tape);
    if (!decision.ok) return decision;
    const now = this.clock.now();
    const effect = decision.effect;
    this.transport = decision.next;
    switch (effect.kind) {
      case 'none':
        return { ok: true, status: this.status() };
      case 'pause':
        this.pacer.pause(now);
        break;
      case 'resume':
        this.pacer.resume(now);
        break;
      case 'speed':
        this.pacer.setSpeed(effect.speed, now);
        break;
      case 'seek':
        this.logger.info({ to: new Date(effect.to).toISOString() }, 'replay: seek');
        return new Promise<ControlReply>((resolve) => {
          // A newer seek supersedes one not yet applied.
          this.pendingSeek?.resolve({ ok: true, status: this.status() });
          this.pendingSeek = { to: effect.to, resolve };
          this.waker.wake();
        });
    }
    this.logger.info({ state: this.transport.state, speed: this.transport.speed }, `replay: ${effect.kind}`);
    const status = this.announcer.announce();
    this.waker.wake();
    return { ok: true, status };
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.announcer.stop();
    this.waker.wake();
    this.pendingSeek?.resolve(errorReply(ErrorCode.NO_CONTROLLABLE_FEED, 'the replay has stopped'));
    this.pendingSeek = null;
    await this.loopDone;
    await this.source?.close();
  }

  private buildStatus(): FeedStatus {
    return {
      mode: 'replay',
      state: this.transport.state,
      speed: this.transport.speed,
      clock: this.clockNow(),
      loop: this.transport.loop,
      completions: this.transport.completions,
      marker: null,
      source: this.tape.description,
      controllable: true,
    };
  }

  private clockNow(): number {
    if (this.transport.state === 'ended' || this.transport.speed === 'max') return this.lastTs;
    const clock = this.pacer.clockAt(this.clock.now());
    return Math.min(Math.max(clock, this.lastTs), this.tape.lastTs);
  }

  private async newEpoch(fromTs: number, reason: string): Promise<void> {
    await this.source?.close();
    this.source = new Peekable(this.tape.open(fromTs));
    await this.publisher.declare(this.declarations, { reset: true, reason });
    this.lastTs = fromTs;
    this.pacer.anchor(fromTs, this.clock.now());
  }

  private async loop(): Promise<void> {
    try {
      while (!this.stopped) {
        const seek = this.pendingSeek;
        if (seek !== null) {
          this.pendingSeek = null;
          await this.newEpoch(seek.to, 'seek');
          if (this.stopped) break;
          seek.resolve({ ok: true, status: this.announcer.announce('seeked') });
          continue;
        }
        if (this.transport.state !== 'playing') {
          await this.waker.wait(Infinity);
          continue;
        }
        const next = await this.source!.peek();
        if (next === null) {
          await this.complete();
          continue;
        }
        const now = this.clock.now();
        if (this.transport.speed !== 'max') {
          const wakeAt = Math.max(this.pacer.dueAt(next.ts), this.lastSendAt + this.settings.batchMs);
          if (wakeAt > now) {
            await this.waker.wait(wakeAt - now);
            continue;
          }
        }
        await this.publishDue(now);
      }
    } catch (error) {
      // Stopping closes the publisher under a pending send or declare: not a failure.
      if (this.stopped) return;
      const failure = error instanceof Error ? error : new Error(String(error));
      this.logger.error({ error: failure.message }, 'replay failed');
      this.transport = { ...this.transport, state: 'ended' };
      this.rejectEnded(failure);
    }
  }

  /** Hands every record due by `now` (at most maxBatch) to the publisher. */
  private async publishDue(now: number): Promise<void> {
    const batch: PublishEvent[] = [];
    const source = this.source!;
    let rows = 0;
    while (rows < this.settings.maxBatch) {
      const r = await source.peek();
      if (r === null || this.pacer.dueAt(r.ts) > now) break;
      source.take();
      rows++;
      this.lastTs = r.ts;
      for (const e of r.events) batch.push(e);
    }
    if (rows === 0) return;
    this.records += rows;
    if (this.transport.speed === 'max') this.pacer.anchor(this.lastTs, now);
    this.lastSendAt = now;
    await this.publisher.sendEvents(batch);
    // At 'max' with an in-process port every step may resolve in microtasks: let the host's I/O run between batches.
    if (this.transport.speed === 'max') await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** The tape ran out: loop (new epoch from the start) or end. */
  private async complete(): Promise<void> {
    await this.publisher.drain();
    if (this.stopped) return;
    const completions = this.transport.completions + 1;
    if (this.transport.loop) {
      this.transport = { ...this.transport, completions };
      this.logger.info({ completions }, 'replay: looping');
      await this.newEpoch(this.startTs, 'loop');
      this.announcer.announce('looped');
      return;
    }
    this.transport = { ...this.transport, state: 'ended', completions };
    this.logger.info({ records: this.records, ...this.publisher.stats }, 'replay: completed');
    this.announcer.announce('completed');
    this.resolveEnded();
  }
}
