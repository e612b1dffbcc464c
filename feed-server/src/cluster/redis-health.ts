import type { Logger } from 'pino';
import type { Gauge } from 'prom-client';
import type { RedisClient } from './shared-store.js';

export interface RedisHealthOptions {
  /** How often the store connection is probed with PING, ms (a hung Redis never closes the socket). */
  checkIntervalMs: number;
  /** A PING unanswered this long marks Redis down, ms. */
  checkTimeoutMs: number;
}

/**
 * Whether Redis is usable now: every client connected and ready, the last
 * probe answered, and the scripts loaded. Reports each transition once (log
 * line, `feed_redis_up` gauge, callback): an outage is one warning however
 * many reconnect attempts fail, not a flood.
 */
export class RedisHealth {
  private up = false;
  private started = false;
  private stalled = false;
  private preparing = false;
  private closed = false;
  private lastError: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly waiters: (() => void)[] = [];

  constructor(
    private readonly clients: readonly RedisClient[],
    private readonly hooks: {
      /** Runs after a (re)connect, before the link counts as up (e.g. loading scripts). */
      prepare(): Promise<void>;
      probe(): Promise<void>;
      onUp(): void;
      onDown(): void;
    },
    private readonly options: RedisHealthOptions,
    private readonly gauge: Gauge,
    private readonly log: Logger,
  ) {
    gauge.set(0);
    for (const client of clients) {
      client.on('ready', () => this.evaluate());
      client.on('end', () => this.evaluate());
      client.on('reconnecting', () => this.evaluate());
      // node-redis reports every failed reconnect attempt: remember the cause, log only transitions.
      client.on('error', (error: unknown) => {
        this.lastError = error instanceof Error ? error.message : String(error);
        this.evaluate();
      });
    }
  }

  get healthy(): boolean {
    return this.up;
  }

  start(): void {
    this.started = true;
    this.timer = setInterval(() => this.check(), this.options.checkIntervalMs);
    this.timer.unref();
    this.evaluate();
  }

  stop(): void {
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Resolves true once up, or false after `timeoutMs`. */
  async waitUntilUp(timeoutMs: number): Promise<boolean> {
    if (this.up) return true;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.waiters.push(resolve);
      timer = setTimeout(resolve, timeoutMs);
    });
    clearTimeout(timer);
    return this.up;
  }

  /** Called when a command failed in a way that suggests Redis is gone before the client noticed. */
  noteFailure(error: unknown): void {
    this.lastError = error instanceof Error ? error.message : String(error);
    this.evaluate();
  }

  private connected(): boolean {
    return this.clients.every((c) => c.isReady);
  }

  private evaluate(): void {
    if (this.closed || !this.started) return;
    const usable = this.connected() && !this.stalled;
    if (!usable) {
      if (this.up) {
        this.up = false;
        this.gauge.set(0);
        this.log.warn({ err: this.lastError }, 'redis unavailable: serving from local state; /readyz reports not ready');
        this.hooks.onDown();
      }
      return;
    }
    if (this.up || this.preparing) return;
    this.preparing = true;
    this.hooks
      .prepare()
      .then(
        () => {
          this.preparing = false;
          if (this.closed || !this.connected() || this.stalled || this.up) return;
          this.up = true;
          this.gauge.set(1);
          this.log.info('redis available');
          for (const wake of this.waiters.splice(0)) wake();
          this.hooks.onUp();
        },
        (error: unknown) => {
          this.preparing = false;
          this.lastError = error instanceof Error ? error.message : String(error);
        },
      );
  }

  private check(): void {
    if (this.closed || !this.connected()) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer to PING within ${this.options.checkTimeoutMs} ms`)), this.options.checkTimeoutMs);
    });
    Promise.race([this.hooks.probe(), timeout])
      .then(
        () => {
          this.stalled = false;
        },
        (error: unknown) => {
          this.stalled = true;
          this.lastError = error instanceof Error ? error.message : String(error);
        },
      )
      .finally(() => {
        clearTimeout(timer);
        this.evaluate();
      });
  }
}
