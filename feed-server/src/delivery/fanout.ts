import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { ErrorCode, Events, isValidSymbol } from '@tickfeed/protocol';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import type { ConsumerNamespace, ConsumerSocket } from '../types.js';
import type { FeedMetrics } from '../observability/metrics.js';
import type { SlowConsumerPolicy } from '../config.js';
import { ClientOutbox } from './client-outbox.js';
import { symbolOfTickJson, ticksFrame, ticksPacket, type PreEncodedFrame } from './frames.js';
import type { SseHub } from './sse-hub.js';
import { terminateConnection } from './terminate.js';
import { upgradeSocketOf } from './upgrade-socket.js';
import { FlushLoop } from './flush-pacing.js';
import { LoadLinger } from './load-linger.js';
import { REPLAY_FRAME_TICKS, REPLAY_WINDOW_FRAMES, ReplayCursors, type ReplayHistory, type ReplayStart } from './replay-cursors.js';

export interface FanoutOptions {
  /** Least time between the starts of two flushes (0: as soon as the previous one is done). */
  flushIntervalMs: number;
  flushBudgetMs: number;
  /** Longest a frame waits for more ticks once the server is loaded (0: never). */
  flushLingerMs: number;
  /** Event-loop utilization, percent, from which frames linger (0: always). */
  flushLingerLoadPercent: number;
  slowConsumerMaxFrames: number;
  slowConsumerPolicy: SlowConsumerPolicy;
}

/** One consumer of this instance: its socket, its outbox, the write callback shared by all its frames, its pending resume replays. */
interface Consumer {
  readonly socket: ConsumerSocket;
  /** The TCP socket under its WebSocket, when it opened as one (null: every frame is tracked by callback). */
  readonly tcp: Socket | null;
  readonly outbox: ClientOutbox;
  readonly written: () => void;
  /** Null unless a resume replay is under way (most clients never have one). */
  replay: ReplayCursors | null;
  /** In the lingering queue, waiting for `dueAt` (performance.now() ms) so its frame takes more ticks. */
  lingering: boolean;
  dueAt: number;
}

/** How often the event-loop utilization is sampled for the linger decision. */
const LOAD_SAMPLE_MS = 250;
/** A lingering client due within this is flushed with the others now, not on a timer of its own. */
const LINGER_SLACK_MS = 1;
/**
 * Lingering clients become due on multiples of this, so a timer wakes at most
 * once per grid step however many clients are due. Fine, because a frame that
 * waits its full linger takes the most ticks for the latency it costs: a
 * coarser grid shortened the average wait (5 ms: 4% more frames at 18 ms).
 */
const LINGER_GRID_MS = 1;

/** Engine.IO's send options plus the pre-encoded frame its websocket transport writes as it is (not in its typings). */
type EngineSendOptions = NonNullable<Parameters<ConsumerSocket['conn']['write']>[1]>;
interface PreEncodedSendOptions extends EngineSendOptions {
  wsPreEncodedFrame: PreEncodedFrame;
}

/**
 * Delivers ticks to the consumers of this instance: each tick goes to the
 * outboxes of the sockets in its symbol's room, and every flush each client
 * with something pending gets one frame holding all of it. Latency first
 * (see FlushLoop): a flush starts as soon as there is something to send and
 * the previous flush is done, so the batch is whatever arrived meanwhile; a
 * flush yields to the event loop when it runs past its budget, so a thousand
 * clients never block ingest in one go.
 *
 * A resume replay is not written at once: it is a cursor per symbol that each
 * flush reads a frame at a time from the history, only while the client has
 * fewer than REPLAY_WINDOW_FRAMES frames in flight. Replay frames count in
 * the same in-flight total as live ones, so the slow-consumer policy sees them.
 */
export class Fanout {
  private readonly consumers = new Map<string, Consumer>();
  /**
   * The registered consumers in each tick room (a room named after a symbol),
   * kept from the adapter's public join-room and leave-room events: the
   * adapter's own rooms hold socket ids, and a lookup by id per delivery was
   * half of what queueing a tick cost. Keyed by socket id, so a socket leaves
   * it on its leave-room event even when it was unregistered first (a slow
   * consumer cut off); until then its closed outbox keeps it from ticks.
   */
  private readonly members = new Map<string, Map<string, Consumer>>();
  /** The adapter `members` follows, from the first tick on; the namespace's may be replaced (a cluster link sets one). */
  private indexed: ConsumerNamespace['adapter'] | null = null;
  private queue: Consumer[] = [];
  /** Clients whose frame waits for company (SPEC R37), in order of `dueAt`; read from `lingerHead`. */
  private lingering: Consumer[] = [];
  private lingerHead = 0;
  private lingerTimer: NodeJS.Timeout | undefined;
  private readonly linger: LoadLinger;
  private loadTimer: NodeJS.Timeout | undefined;
  private lastElu = performance.eventLoopUtilization();
  private readonly loop: FlushLoop;
  private started = false;
  private stopped = false;
  private lastFlushAt = performance.now();
  private readonly framesDirect: Counter.Internal;
  private readonly framesViaEngine: Counter.Internal;
  /** Counted per frame, added to the metrics once per flush (a counter's inc is not free at this rate). */
  private uncounted = { direct: 0, viaEngine: 0, ticks: 0 };

  constructor(
    private readonly nsp: ConsumerNamespace,
    private readonly sse: SseHub,
    private readonly history: ReplayHistory,
    private readonly options: FanoutOptions,
    private readonly metrics: FeedMetrics,
    private readonly log: Logger,
  ) {
    this.framesDirect = metrics.framesOut.labels('websocket');
    this.framesViaEngine = metrics.framesOut.labels('engine');
    this.loop = new FlushLoop(options.flushIntervalMs, () => this.flushAll());
    this.linger = new LoadLinger(options.flushLingerMs, options.flushLingerLoadPercent / 100);
    metrics.lingerMs.set(this.linger.lingerMs);
  }

  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.loop.start();
    if (this.options.flushLingerMs > 0 && this.options.flushLingerLoadPercent > 0) {
      this.lastElu = performance.eventLoopUtilization();
      this.loadTimer = setInterval(() => this.sampleLoad(), LOAD_SAMPLE_MS);
      this.loadTimer.unref();
    }
    if (this.queue.length > 0) this.loop.request();
    this.armLinger();
  }

  /**
   * Mirrors the namespace adapter's tick rooms into `members`, from its rooms now and its events from
   * now on. A socket is registered on connection, before it can join a tick room, so its joins find it.
   */
  private followRooms(): void {
    const adapter = this.nsp.adapter;
    if (this.indexed === adapter) return;
    this.indexed = adapter;
    this.members.clear();
    adapter.on('join-room', (room: string, id: string) => {
      if (this.indexed === adapter) this.joined(room, id);
    });
    adapter.on('leave-room', (room: string, id: string) => {
      if (this.indexed === adapter) this.left(room, id);
    });
    for (const [room, ids] of adapter.rooms) for (const id of ids) this.joined(room, id);
  }

  private joined(room: string, socketId: string): void {
    const consumer = this.consumers.get(socketId);
    if (consumer === undefined || !isValidSymbol(room)) return;
    let members = this.members.get(room);
    if (members === undefined) this.members.set(room, (members = new Map()));
    members.set(socketId, consumer);
  }

  private left(room: string, socketId: string): void {
    const members = this.members.get(room);
    if (members?.delete(socketId) === true && members.size === 0) this.members.delete(room);
  }

  /** Registered consumers of this instance in a symbol's tick room (closed ones included until they leave it). */
  membersOf(symbol: string): number {
    return this.members.get(symbol)?.size ?? 0;
  }

  private sampleLoad(): void {
    const now = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(now, this.lastElu);
    this.lastElu = now;
    const before = this.linger.lingerMs;
    const lingerMs = this.linger.update(utilization);
    if (lingerMs !== before) {
      this.metrics.lingerMs.set(lingerMs);
      this.log.info({ lingerMs, eventLoopUtilization: Number(utilization.toFixed(2)) }, lingerMs > 0 ? 'loaded: frames wait for more ticks' : 'load fell: latency first again');
    }
  }

  stop(): void {
    this.stopped = true;
    this.loop.stop();
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
    if (this.loadTimer !== undefined) clearInterval(this.loadTimer);
    this.lingerTimer = undefined;
    this.loadTimer = undefined;
  }

  /** Wakes the fan-out when the first lingering client is due, unless a flush is due or running (its end looks again). */
  private armLinger(): void {
    if (!this.started || this.stopped || this.lingerTimer !== undefined || this.loop.busy) return;
    const head = this.lingering[this.lingerHead];
    if (head === undefined) return;
    this.lingerTimer = setTimeout(
      () => {
        this.lingerTimer = undefined;
        this.loop.request();
      },
      Math.max(0, head.dueAt - performance.now()),
    );
  }

  /** The lingering clients due by `now` (all with `now` infinite), removed from the lingering queue. */
  private takeDue(now: number): Consumer[] {
    const all = this.lingering;
    let end = this.lingerHead;
    while (end < all.length && all[end]!.dueAt <= now + LINGER_SLACK_MS) end++;
    if (end === this.lingerHead) return [];
    const due = all.slice(this.lingerHead, end);
    if (end === all.length) {
      this.lingering = [];
      this.lingerHead = 0;
    } else if (end > 1_024 && end * 2 > all.length) {
      this.lingering = all.slice(end);
      this.lingerHead = 0;
    } else {
      this.lingerHead = end;
    }
    return due;
  }

  private get lingerDue(): boolean {
    const head = this.lingering[this.lingerHead];
    return head !== undefined && head.dueAt <= performance.now() + LINGER_SLACK_MS;
  }

  get connectionCount(): number {
    return this.consumers.size;
  }

  /** Frames written to clients and not yet on the network, over all clients (the outbound backlog). */
  framesInflight(): number {
    let total = 0;
    for (const { outbox } of this.consumers.values()) total += outbox.inflight;
    return total;
  }

  /** One client's frames written and not yet on the network (0 for an unknown client). */
  inflightOf(socketId: string): number {
    return this.consumers.get(socketId)?.outbox.inflight ?? 0;
  }

  /** Clients currently on conflated delivery because they fell behind. */
  conflatingClients(): number {
    let total = 0;
    for (const { outbox } of this.consumers.values()) if (outbox.conflated !== null) total++;
    return total;
  }

  register(socket: ConsumerSocket): void {
    const outbox = new ClientOutbox();
    // One callback per client, not one per frame: fewer allocations, and Node batches repeated callbacks.
    const consumer: Consumer = {
      socket,
      tcp: upgradeSocketOf(socket.conn),
      outbox,
      written: () => this.onFrameWritten(consumer),
      replay: null,
      lingering: false,
      dueAt: Number.NEGATIVE_INFINITY,
    };
    this.consumers.set(socket.id, consumer);
  }

  unregister(socketId: string): void {
    const consumer = this.consumers.get(socketId);
    if (consumer !== undefined) {
      consumer.outbox.closed = true;
      consumer.outbox.pending = [];
      consumer.outbox.conflated = null;
      consumer.replay = null;
    }
    this.consumers.delete(socketId);
  }

  /** Queues one tick for every local subscriber of its symbol. */
  enqueue(symbol: string, seq: number, json: string): void {
    if (this.indexed !== this.nsp.adapter) this.followRooms();
    const room = this.members.get(symbol);
    const lingerMs = this.linger.lingerMs;
    if (room !== undefined) {
      // Due times fall on a grid, so clients due together go out in one flush: fewer, larger bursts of writes.
      const dueAt = lingerMs > 0 ? Math.floor((performance.now() + lingerMs) / LINGER_GRID_MS) * LINGER_GRID_MS : 0;
      for (const consumer of room.values()) {
        const outbox = consumer.outbox;
        if (outbox.closed) continue;
        // A replaying symbol's live ticks are read by its cursor, in order, from the history; the
        // client is still flushed, so its replay sees the history move (a new frame, or an overrun).
        if (consumer.replay === null || !consumer.replay.has(symbol)) outbox.add(symbol, json);
        if (lingerMs > 0) {
          // Its frame waits for company from its first tick on; a client already waiting keeps its time.
          if (!consumer.lingering && !outbox.queued) {
            consumer.lingering = true;
            consumer.dueAt = dueAt;
            this.lingering.push(consumer);
          }
        } else if (!outbox.queued) {
          outbox.queued = true;
          this.queue.push(consumer);
        }
      }
    }
    this.sse.enqueue(symbol, seq, json);
    // Lingering clients wait for their timer; the SSE streams (their ticks, their replays' checks) do not.
    if (lingerMs === 0 || this.queue.length > 0 || this.sse.size > 0) this.loop.request();
    else this.armLinger();
  }

  /** Puts a client in the next flush (a replay to go on, a conflated client to recover). */
  private queueConsumer(consumer: Consumer): void {
    if (!consumer.outbox.queued) {
      consumer.outbox.queued = true;
      this.queue.push(consumer);
    }
    this.loop.request();
  }

  /** Sends whatever is pending for one client now, e.g. before an ack that must follow those ticks. */
  flushClient(socketId: string): void {
    const consumer = this.consumers.get(socketId);
    if (consumer !== undefined && consumer.outbox.pending.length > 0) {
      this.writeFrame(consumer, consumer.outbox.take());
      this.commitCounts();
    }
  }

  /**
   * After a subscribe ack: the given symbols start over from the ack's snapshot
   * (an earlier replay or conflated tick of theirs is dropped), and those in
   * `replay` get their missed ticks first, starting now and paced by the client.
   */
  subscribed(socketId: string, symbols: readonly string[], replay: readonly ReplayStart[]): void {
    const consumer = this.consumers.get(socketId);
    if (consumer === undefined) return;
    this.forget(consumer, symbols);
    if (replay.length === 0) return;
    const cursors = (consumer.replay ??= new ReplayCursors());
    for (const start of replay) cursors.start(start.symbol, { epoch: start.epoch, seq: start.seq });
    if (consumer.outbox.conflated === null && !consumer.outbox.closed) this.pumpReplay(consumer);
    this.commitCounts();
  }

  /** After an unsubscribe ack: nothing more of these symbols, not even a pending replay or conflated tick. */
  unsubscribed(socketId: string, symbols: readonly string[]): void {
    const consumer = this.consumers.get(socketId);
    if (consumer !== undefined) this.forget(consumer, symbols);
  }

  private forget(consumer: Consumer, symbols: readonly string[]): void {
    for (const symbol of symbols) {
      consumer.replay?.cancel(symbol);
      consumer.outbox.forget(symbol);
    }
    if (consumer.replay !== null && consumer.replay.size === 0) consumer.replay = null;
  }

  /** Flushes every client at once (before a reset, at shutdown). */
  flushAllNow(): void {
    const queue = this.queue;
    this.queue = [];
    for (const consumer of queue) this.flushConsumer(consumer);
    for (const consumer of this.takeDue(Number.POSITIVE_INFINITY)) this.flushConsumer(consumer);
    this.commitCounts();
    this.sse.flush();
  }

  private flushAll(): void {
    const now = performance.now();
    this.metrics.flushInterval.observe((now - this.lastFlushAt) / 1000);
    this.lastFlushAt = now;
    this.sse.flush();
    const queue = this.queue;
    this.queue = [];
    const due = this.takeDue(now);
    this.flushSlice(due.length === 0 ? queue : queue.length === 0 ? due : queue.concat(due), 0, now);
  }

  private flushSlice(queue: Consumer[], from: number, startedAt: number): void {
    const sliceStart = performance.now();
    let i = from;
    for (; i < queue.length; i++) {
      this.flushConsumer(queue[i]!);
      if ((i & 31) === 31 && performance.now() - sliceStart > this.options.flushBudgetMs) {
        i++;
        break;
      }
    }
    this.commitCounts();
    if (i < queue.length) {
      setImmediate(() => this.flushSlice(queue, i, startedAt));
      return;
    }
    const endedAt = performance.now();
    this.metrics.flushDuration.observe((endedAt - startedAt) / 1000);
    this.loop.done(this.queue.length > 0 || this.sse.wantsFlush || this.lingerDue);
    this.armLinger();
  }

  private flushConsumer(consumer: Consumer): void {
    const outbox = consumer.outbox;
    outbox.queued = false;
    consumer.lingering = false;
    if (outbox.closed || outbox.conflated !== null) return;
    if (outbox.inflight >= this.options.slowConsumerMaxFrames) {
      this.onSlowConsumer(consumer);
      return;
    }
    if (outbox.pending.length > 0) this.writeFrame(consumer, outbox.take());
    if (consumer.replay !== null) this.pumpReplay(consumer);
  }

  /**
   * Writes the next replay frames while the client has fewer than the window in
   * flight. The replay goes on when the client takes a frame (onFrameWritten)
   * or when its symbols trade (enqueue), not on every flush: a client that took
   * none of them yet is left alone, unless the history moved past a cursor
   * meanwhile: then it is a slow consumer.
   */
  private pumpReplay(consumer: Consumer): void {
    const { outbox } = consumer;
    const cursors = consumer.replay!;
    const window = Math.min(this.options.slowConsumerMaxFrames, REPLAY_WINDOW_FRAMES);
    if (outbox.inflight >= window && cursors.overrun(this.history)) {
      this.onSlowConsumer(consumer);
      return;
    }
    for (let frames = 0; frames < window && outbox.inflight < window && cursors.size > 0; frames++) {
      const chunk = cursors.next(this.history, REPLAY_FRAME_TICKS);
      if (chunk.overrun.length > 0 && !this.onReplayOverrun(consumer, chunk.overrun)) return;
      if (chunk.ticks.length > 0) this.writeFrame(consumer, chunk.ticks);
    }
    if (cursors.size === 0) consumer.replay = null;
    // Window not full yet (a chunk read no tick, e.g. a reset epoch): go on in the next flush.
    else if (outbox.inflight < window) this.queueConsumer(consumer);
  }

  /**
   * The history no longer holds the next tick of these replaying symbols. Under
   * `conflate` they skip to their newest tick and the client is told, like a
   * conflated client (true: go on); under `disconnect` the client is cut off.
   */
  private onReplayOverrun(consumer: Consumer, symbols: readonly string[]): boolean {
    const { socket } = consumer;
    this.metrics.slowConsumers.inc({ policy: this.options.slowConsumerPolicy });
    if (this.options.slowConsumerPolicy === 'disconnect') {
      this.log.warn({ socketId: socket.id }, 'slow consumer disconnected: its resume fell behind the history');
      this.unregister(socket.id);
      terminateConnection(socket);
      return false;
    }
    socket.emit(Events.notice, {
      code: ErrorCode.SLOW_CONSUMER,
      message: 'the resume fell behind the history, which no longer holds the next ticks of these symbols: they skipped to their newest tick',
      symbols: symbols.slice(0, 1_000),
    });
    return true;
  }

  /**
   * Hands one frame to Engine.IO, which keeps it in order with everything else
   * sent on the connection (acks, notices, an upgrade from long-polling). On a
   * WebSocket the packet carries its finished frame (`wsPreEncodedFrame`, the
   * hook Socket.IO's adapter uses for broadcasts), so the transport writes it
   * as it is; Engine.IO ignores it and encodes the packet itself on
   * long-polling or when permessage-deflate is negotiated.
   */
  private writeFrame(consumer: Consumer, tickJsons: readonly string[]): void {
    if (consumer.outbox.closed) return;
    // A frame written while the client's TCP socket holds nothing unsent goes to the network at once
    // (what the kernel does not take stays in the socket, and makes the next frames tracked): only
    // frames that may queue are counted in flight, so a client that keeps up costs no write callback.
    // A replay is paced by its callbacks, and a connection without a known socket tracks every frame.
    const tracked = consumer.tcp === null || consumer.replay !== null || consumer.tcp.writableLength > 0;
    if (tracked) consumer.outbox.inflight++;
    const conn = consumer.socket.conn;
    const packet = ticksPacket(tickJsons);
    const written = tracked ? consumer.written : undefined;
    if (conn.transport.name === 'websocket') {
      // `compress` set here as Engine.IO would, so the options object keeps one shape.
      const options: PreEncodedSendOptions = { compress: true, wsPreEncodedFrame: ticksFrame(packet) };
      conn.write(packet, options, written);
      this.uncounted.direct++;
    } else {
      conn.write(packet, undefined, written);
      this.uncounted.viaEngine++;
    }
    this.uncounted.ticks += tickJsons.length;
  }

  private commitCounts(): void {
    const counts = this.uncounted;
    if (counts.direct > 0) this.framesDirect.inc(counts.direct);
    if (counts.viaEngine > 0) this.framesViaEngine.inc(counts.viaEngine);
    if (counts.ticks > 0) this.metrics.ticksOut.inc(counts.ticks);
    counts.direct = counts.viaEngine = counts.ticks = 0;
  }

  private onFrameWritten(consumer: Consumer): void {
    const { outbox } = consumer;
    outbox.inflight--;
    if (outbox.closed) return;
    if (outbox.conflated !== null) {
      if (outbox.inflight === 0) this.recoverSlowConsumer(consumer);
    } else if (consumer.replay !== null && outbox.inflight < Math.min(this.options.slowConsumerMaxFrames, REPLAY_WINDOW_FRAMES)) {
      // The client took a frame: its replay may write the next one.
      this.queueConsumer(consumer);
    }
  }

  private onSlowConsumer(consumer: Consumer): void {
    const { socket, outbox } = consumer;
    this.metrics.slowConsumers.inc({ policy: this.options.slowConsumerPolicy });
    if (this.options.slowConsumerPolicy === 'disconnect') {
      this.log.warn({ socketId: socket.id, inflight: outbox.inflight }, 'slow consumer disconnected');
      this.unregister(socket.id);
      terminateConnection(socket);
      return;
    }
    this.log.info({ socketId: socket.id, inflight: outbox.inflight }, 'slow consumer: conflating');
    outbox.startConflating(symbolOfTickJson);
  }

  /** The client read its backlog: send the newest tick per symbol (a visible gap) and say which symbols lost ticks. */
  private recoverSlowConsumer(consumer: Consumer): void {
    const { socket, outbox } = consumer;
    const { latest, dropped } = outbox.stopConflating();
    if (dropped.length > 0) {
      socket.emit(Events.notice, {
        code: ErrorCode.SLOW_CONSUMER,
        message: 'the connection fell behind; ticks of these symbols were conflated: resubscribe with resume to recover them',
        symbols: dropped.slice(0, 1_000),
      });
    }
    if (latest.length > 0) this.writeFrame(consumer, latest);
    this.commitCounts();
    if (consumer.replay !== null) this.queueConsumer(consumer);
  }
}
