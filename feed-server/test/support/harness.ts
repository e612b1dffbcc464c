import { io as connect, type Socket } from 'socket.io-client';
import {
  INGEST_NAMESPACE,
  type ClientToServerEvents,
  type IngestClientToServerEvents,
  type IngestServerToClientEvents,
  type ServerToClientEvents,
  type SymbolDeclaration,
  type Tick,
} from '@tickfeed/protocol';
import { createFeedServer, type FeedServer, type FeedServerDeps } from '../../src/app.js';
import { testServerConfig, type ServerConfig } from '../../src/config.js';

export type ConsumerClient = Socket<ServerToClientEvents, ClientToServerEvents>;
export type PublisherClient = Socket<IngestServerToClientEvents, IngestClientToServerEvents>;

export interface RunningServer {
  server: FeedServer;
  url: string;
  port: number;
}

const cleanups: (() => Promise<void> | void)[] = [];

/** Registers something to stop in afterEach/afterAll (see stopAll). */
export function onCleanup(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
}

export async function stopAll(): Promise<void> {
  while (cleanups.length > 0) await cleanups.pop()!();
}

export async function startServer(overrides: Partial<ServerConfig> = {}, deps: FeedServerDeps = {}): Promise<RunningServer> {
  const server = await createFeedServer(testServerConfig(overrides), deps);
  const { url, port } = await server.listen();
  onCleanup(() => server.close());
  return { server, url, port };
}

export async function consumer(url: string, options: { transports?: string[] } = {}): Promise<ConsumerClient> {
  const socket: ConsumerClient = connect(url, {
    transports: options.transports ?? ['websocket'],
    forceNew: true,
    reconnection: false,
  });
  return connected(socket);
}

export async function publisher(url: string, token = 'test-token'): Promise<PublisherClient> {
  const socket: PublisherClient = connect(`${url}${INGEST_NAMESPACE}`, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    auth: { token },
  });
  return connected(socket);
}

export function declaration(symbol: string, refPrice = 100): SymbolDeclaration {
  return { symbol, name: `${symbol} Inc.`, kind: 'equity', currency: 'USD', tickSize: 0.01, refPrice };
}

/** Deterministic valid ticks for a symbol, continuing from `fromSeq`. */
export function makeTicks(symbol: string, fromSeq: number, count: number, startTs = Date.UTC(2026, 0, 5, 14, 30)): Tick[] {
  const ticks: Tick[] = [];
  for (let i = 0; i < count; i++) {
    const seq = fromSeq + i;
    // Whole cents, as the server stores them (P13): a test that compares sent and stored ticks compares exact numbers.
    const cents = Math.round((100 + Math.sin(seq / 7) * 2) * 100);
    const price = cents / 100;
    ticks.push({ symbol, seq, ts: startTs + seq * 250, price, size: 100 + (seq % 5) * 10, bid: (cents - 1) / 100, ask: (cents + 1) / 100 });
  }
  return ticks;
}

/** Collects every tick a consumer receives, per symbol, in arrival order. */
export class TickRecorder {
  readonly bySymbol = new Map<string, Tick[]>();
  private waiters: { done: () => boolean; resolve: () => void }[] = [];

  constructor(socket: ConsumerClient) {
    socket.on('ticks', (ticks) => {
      for (const tick of ticks) {
        let list = this.bySymbol.get(tick.symbol);
        if (list === undefined) this.bySymbol.set(tick.symbol, (list = []));
        list.push(tick);
      }
      this.waiters = this.waiters.filter((w) => {
        if (!w.done()) return true;
        w.resolve();
        return false;
      });
    });
  }

  seqs(symbol: string): number[] {
    return (this.bySymbol.get(symbol) ?? []).map((t) => t.seq);
  }

  /** Resolves once the predicate holds (checked after each received frame). */
  until(done: () => boolean): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ done, resolve }));
  }

  untilSeq(symbol: string, seq: number): Promise<void> {
    return this.until(() => (this.bySymbol.get(symbol)?.at(-1)?.seq ?? 0) >= seq);
  }
}

export function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i <= to; i++) out.push(i);
  return out;
}

/** Resolves with the socket once it is connected (rejects on connect_error); it is disconnected after the test. */
export async function connected<S extends ConsumerClient | PublisherClient>(socket: S): Promise<S> {
  onCleanup(() => {
    socket.disconnect();
  });
  if (!socket.connected) {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
  }
  return socket;
}
