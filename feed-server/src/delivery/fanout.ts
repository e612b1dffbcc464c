import { performance } from 'node:perf_hooks';
import { ErrorCode, Events } from '@tickfeed/protocol';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import type { ConsumerNamespace, ConsumerSocket } from '../types.js';
import type { FeedMetrics } from '../observability/metrics.js';
import type { SlowConsumerPolicy } from '../config.js';
import { ClientOutbox } from './client-outbox.js';
import { symbolOfTickJson, ticksFrame, ticksPacket } from './frames.js';
import { directFrameSocket } from './frame-sink.js';
import type { SseHub } from './sse-hub.js';
import { terminateConnection } from './terminate.js';
import { nextFlushDelay } from './flush-pacing.js';

export interface FanoutOptions {
  flushIntervalMs: number;
  flushMaxIntervalMs: number;
  flushBudgetMs: number;
  slowConsumerMaxFrames: number;
  slowConsumerPolicy: SlowConsumerPolicy;
}

/** One consumer of this instance: its socket, its outbox, and the write callback shared by all its frames. */
interface Consumer {
  readonly socket: ConsumerSocket;
  readonly outbox: ClientOutbox;
  readonly written: () => void;
}

/**
 * Delivers ticks to the consumers of this instance: each tick goes to the
 * outboxes of the sockets in its symbol's room, and every flush each client
 * with something pending gets one frame holding all of it. One timer for the
 * whole server, paced by the cost of the last flush (see nextFlushDelay); a
 * flush yields to the event loop when it runs past its budget, so a thousand
 * clients never block it in one go.
 */
export class Fanout {
  private readonly consumers = new Map<string, Consumer>();
  private queue: Consumer[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing = false;
  private stopped = false;
  private lastFlushAt = performance.now();
  private readonly framesDirect: Counter.Internal;
  private readonly framesViaEngine: Counter.Internal;

  constructor(
    private readonly nsp: ConsumerNamespace,
    private readonly sse: SseHub,
    private readonly options: FanoutOptions,
    private readonly metrics: FeedMetrics,
    private readonly log: Logger,
  ) {
    this.framesDirect = metrics.framesOut.labels('websocket');
    this.framesViaEngine = metrics.framesOut.labels('engine');
  }

  start(): void {
    if (this.timer !== undefined || this.stopped) return;
    this.schedule(this.options.flushIntervalMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flushAll();
    }, delayMs);
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

  /** Clients currently on conflated delivery because they fell behind. */
  conflatingClients(): number {
    let total = 0;
    for (const { outbox } of this.consumers.values()) if (outbox.conflated !== null) total++;
    return total;
  }

  register(socket: ConsumerSocket): void {
    const outbox = new ClientOutbox(socket.id);
    // One callback per client, not one per frame: fewer allocations, and Node batches repeated callbacks.
    this.consumers.set(socket.id, { socket, outbox, written: () => this.onFrameWritten(outbox) });
  }

  unregister(socketId: string): void {
    const consumer = this.consumers.get(socketId);
    if (consumer !== undefined) {
      consumer.outbox.closed = true;
      consumer.outbox.pending = [];
      consumer.outbox.conflated = null;
    }
    this.consumers.delete(socketId);
  }

  /** Queues one tick for every local subscriber of its symbol. */
  enqueue(symbol: string, seq: number, json: string): void {
    const room = this.nsp.adapter.rooms.get(symbol);
    if (room !== undefined) {
      for (const socketId of room) {
        const consumer = this.consumers.get(socketId);
        if (consumer === undefined) continue;
        const outbox = consumer.outbox;
        outbox.add(symbol, json);
        if (!outbox.queued) {
          outbox.queued = true;
          this.queue.push(consumer);
        }
      }
    }
    this.sse.enqueue(symbol, seq, json);
  }

  /** Sends whatever is pending for one client now, e.g. before an ack that must follow those ticks. */
  flushClient(socketId: string): void {
    const consumer = this.consumers.get(socketId);
    if (consumer !== undefined && consumer.outbox.pending.length > 0) this.writeFrame(consumer, consumer.outbox.take());
  }

  /** Writes ticks to one client at once, ahead of anything queued later (resume replay). */
  writeNow(socketId: string, tickJsons: readonly string[]): void {
    const consumer = this.consumers.get(socketId);
    if (consumer === undefined || tickJsons.length === 0) return;
    // Large replays go out in bounded frames so one resume cannot build a huge string.
    for (let i = 0; i < tickJsons.length; i += 1_000) this.writeFrame(consumer, tickJsons.slice(i, i + 1_000));
  }

  /** Flushes every client at once (before a reset, at shutdown). */
  flushAllNow(): void {
    const queue = this.queue;
    this.queue = [];
    for (const consumer of queue) this.flushConsumer(consumer);
    this.sse.flush();
  }

  private flushAll(): void {
    const now = performance.now();
    this.metrics.flushInterval.observe((now - this.lastFlushAt) / 1000);
    this.lastFlushAt = now;
    this.sse.flush();
    if (this.queue.length === 0) {
      this.schedule(this.options.flushIntervalMs);
      return;
    }
    const queue = this.queue;
    this.queue = [];
    this.flushing = true;
    this.flushSlice(queue, 0, now);
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
    if (i < queue.length) {
      setImmediate(() => this.flushSlice(queue, i, startedAt));
      return;
    }
    this.flushing = false;
    const tookMs = performance.now() - startedAt;
    this.metrics.flushDuration.observe(tookMs / 1000);
    this.schedule(nextFlushDelay(tookMs, this.options.flushIntervalMs, this.options.flushMaxIntervalMs));
  }

  private flushConsumer(consumer: Consumer): void {
    const outbox = consumer.outbox;
    outbox.queued = false;
    if (outbox.closed || outbox.conflated !== null) return;
    if (outbox.inflight >= this.options.slowConsumerMaxFrames) {
      this.onSlowConsumer(consumer);
      return;
    }
    if (outbox.pending.length > 0) this.writeFrame(consumer, outbox.take());
  }

  private writeFrame(consumer: Consumer, tickJsons: readonly string[]): void {
    if (consumer.outbox.closed) return;
    consumer.outbox.inflight++;
    const tcp = directFrameSocket(consumer.socket);
    const frame = tcp === null ? null : ticksFrame(tickJsons);
    if (tcp !== null && frame !== null) {
      tcp.write(frame, 'latin1', consumer.written);
      this.framesDirect.inc();
    } else {
      consumer.socket.conn.write(ticksPacket(tickJsons), undefined, consumer.written);
      this.framesViaEngine.inc();
    }
    this.metrics.ticksOut.inc(tickJsons.length);
  }

  private onFrameWritten(outbox: ClientOutbox): void {
    outbox.inflight--;
    if (outbox.conflated !== null && outbox.inflight === 0 && !outbox.closed) {
      const consumer = this.consumers.get(outbox.socketId);
      if (consumer !== undefined) this.recoverSlowConsumer(consumer);
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
  }
}
