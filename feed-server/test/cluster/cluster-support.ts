import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import pino from 'pino';
import { feedServerUrl, spawnReady, stopProcess } from '@tickfeed/dev-tools';
import { io as connect } from 'socket.io-client';
import type { Reset, SubscribeOk, SubscribeReply, SymbolsResponse, Tick } from '@tickfeed/protocol';
import { createRedisCluster, type RedisClusterOptions } from '../../src/cluster/redis-cluster.js';
import type { ServerConfig } from '../../src/config.js';
import { onCleanup, startServer, type ConsumerClient, type PublisherClient, type RunningServer } from '../support/harness.js';

/** Cluster timings short enough for tests (the defaults suit production). */
export const FAST_CLUSTER: Partial<RedisClusterOptions> = {
  reconcileIntervalMs: 300,
  healthCheckIntervalMs: 200,
  healthCheckTimeoutMs: 1_000,
  reconnectMaxDelayMs: 100,
  startupTimeoutMs: 5_000,
};

export interface ClusterInstance extends RunningServer {
  id: string;
  /** Log lines of this instance (JSON objects), for checks such as "logged once". */
  logs: Record<string, unknown>[];
}

/** An in-process feed server joined to the cluster on `redisUrl`. */
export async function startInstance(
  redisUrl: string,
  id: string,
  overrides: Partial<ServerConfig> = {},
  options: Partial<RedisClusterOptions> = {},
): Promise<ClusterInstance> {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  const logger = pino({ level: 'info', base: { serverId: id } }, sink);
  const running = await startServer(
    { redisUrl, serverId: id, logLevel: 'info', ...overrides },
    { logger, cluster: createRedisCluster({ ...FAST_CLUSTER, ...options }) },
  );
  return { ...running, id, logs };
}

export async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as T };
}

export async function metric(baseUrl: string, name: string): Promise<number | undefined> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

export async function symbolsOf(baseUrl: string): Promise<SymbolsResponse['symbols']> {
  return (await getJson<SymbolsResponse>(`${baseUrl}/api/symbols`)).body.symbols;
}

export function bySymbol<T extends { meta: { symbol: string } }>(symbols: T[]): T[] {
  return [...symbols].sort((x, y) => x.meta.symbol.localeCompare(y.meta.symbol));
}

export function ok(reply: SubscribeReply): SubscribeOk {
  if (!reply.ok) throw new Error(`subscribe failed: ${reply.error.code} ${reply.error.message}`);
  return reply;
}

/**
 * Follows one client's view of each symbol and records every violation of
 * the contract: a tick that is not last + 1 (a gap or a duplicate), unless a
 * `reset` (or a new subscribe ack) started the symbol over from a snapshot.
 */
export class FeedView {
  readonly last = new Map<string, number>();
  readonly epochs = new Map<string, string>();
  readonly received = new Map<string, number[]>();
  readonly problems: string[] = [];
  readonly resets: Reset[] = [];
  private waiters: { done: () => boolean; resolve: () => void }[] = [];

  constructor(socket: ConsumerClient) {
    this.attach(socket);
  }

  attach(socket: ConsumerClient): void {
    socket.on('ticks', (ticks: Tick[]) => {
      for (const tick of ticks) this.onTick(tick);
      this.wake();
    });
    socket.on('reset', (reset) => {
      this.resets.push(reset);
      this.start(reset.symbol, reset.epoch, reset.snapshot.seq);
      this.wake();
    });
  }

  /** Records a subscribe ack: each symbol (re)starts at its snapshot unless it was recovered. */
  onSubscribed(reply: SubscribeOk): void {
    for (const s of reply.subscribed) {
      if (s.recovered === true) {
        if (this.epochs.get(s.symbol) !== s.epoch) this.problems.push(`${s.symbol}: recovered into another epoch`);
        continue;
      }
      this.start(s.symbol, s.epoch, s.snapshot.seq);
    }
    this.wake();
  }

  resumePoints(): Record<string, { epoch: string; seq: number }> {
    const points: Record<string, { epoch: string; seq: number }> = {};
    for (const [symbol, seq] of this.last) points[symbol] = { epoch: this.epochs.get(symbol) ?? '', seq };
    return points;
  }

  until(done: () => boolean, what = 'ticks', timeoutMs = 15_000): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; view: ${JSON.stringify([...this.last])}`)), timeoutMs);
      this.waiters.push({
        done,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  untilSeq(symbol: string, seq: number, timeoutMs?: number): Promise<void> {
    return this.until(() => (this.last.get(symbol) ?? -1) >= seq, `${symbol} seq ${seq}`, timeoutMs);
  }

  private start(symbol: string, epoch: string, seq: number): void {
    this.epochs.set(symbol, epoch);
    this.last.set(symbol, seq);
  }

  private onTick(tick: Tick): void {
    const last = this.last.get(tick.symbol);
    if (last === undefined) {
      this.problems.push(`${tick.symbol}: tick ${tick.seq} before any snapshot`);
    } else if (tick.seq !== last + 1) {
      this.problems.push(`${tick.symbol}: tick ${tick.seq} after ${last}`);
    }
    this.last.set(tick.symbol, tick.seq);
    let list = this.received.get(tick.symbol);
    if (list === undefined) this.received.set(tick.symbol, (list = []));
    list.push(tick.seq);
  }

  private wake(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!w.done()) return true;
      w.resolve();
      return false;
    });
  }
}

/** Declares symbols on a publisher connection; returns the ack's per-symbol rows. */
export async function declareOn(pub: PublisherClient, symbols: { symbol: string; refPrice?: number }[]) {
  const reply = await pub.timeout(10_000).emitWithAck('declare', {
    symbols: symbols.map(({ symbol, refPrice }) => ({
      symbol,
      name: `${symbol} Inc.`,
      kind: 'equity' as const,
      currency: 'USD',
      tickSize: 0.01,
      refPrice: refPrice ?? 100,
    })),
  });
  if (!reply.ok) throw new Error(`declare failed: ${reply.error.code} ${reply.error.message}`);
  return reply.declared;
}

export async function publishOn(pub: PublisherClient, ticks: Tick[]): Promise<number> {
  const reply = await pub.timeout(10_000).emitWithAck('publish', { ticks });
  if (!reply.ok) throw new Error(`publish failed: ${reply.error.code} ${reply.error.message}`);
  if (reply.rejected.length > 0) throw new Error(`publish rejected: ${JSON.stringify(reply.rejected.slice(0, 3))}`);
  return reply.accepted;
}

/** A consumer that reconnects by itself (unlike the harness's), for failover tests. */
export function reconnectingConsumer(urls: string[]): ConsumerClient {
  const socket: ConsumerClient = connect(urls[0]!, { transports: ['websocket'], forceNew: true, reconnection: false });
  onCleanup(() => {
    socket.disconnect();
  });
  return socket;
}

const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

/** A feed server as a child process (`node feed-server/dist/main.js`), for tests that kill one. */
export interface ChildInstance {
  id: string;
  url: string;
  child: ChildProcess;
  output: string[];
  kill(signal: NodeJS.Signals): Promise<void>;
}

export async function startChildInstance(redisUrl: string, id: string, env: Record<string, string> = {}): Promise<ChildInstance> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build first (npx tsc -b feed-server)`);
  const output: string[] = [];
  const { child, ready } = spawnReady({
    name: `feed server ${id}`,
    command: process.execPath,
    args: [MAIN],
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      HOST: '127.0.0.1',
      REDIS_URL: redisUrl,
      SERVER_ID: id,
      INGEST_TOKEN: 'test-token',
      ADMIN_TOKEN: 'test-admin',
      LOG_LEVEL: 'info',
      REST_RATE_LIMIT: '0',
      ...env,
    },
    isReady: (line, stream) => (stream === 'stdout' ? feedServerUrl(line) : undefined),
    onLine: (line, stream) => {
      if (stream === 'stdout') output.push(line);
    },
  });
  const kill = async (signal: NodeJS.Signals) => {
    await stopProcess(child, { signal });
  };
  onCleanup(() => kill('SIGKILL'));
  const url = await ready;
  return { id, url, child, output, kill };
}
