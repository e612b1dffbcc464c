import { afterEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode, type Tick } from '@tickfeed/protocol';
import { io as connect } from 'socket.io-client';
import { consumer, makeTicks, onCleanup, publisher, range, stopAll, type ConsumerClient, type PublisherClient } from '../support/harness.js';
import { startRedisServer } from '@tickfeed/dev-tools';
import {
  FeedView,
  declareOn,
  getJson,
  metric,
  ok,
  publishOn,
  startChildInstance,
  startInstance,
  bySymbol,
  symbolsOf,
} from './cluster-support.js';

afterEach(stopAll);

const SYMBOLS = ['AAPL', 'MSFT'];

/**
 * Publishes ticks of SYMBOLS in small batches, one after the other, until
 * stopped; resumes from where the server says after a reconnect.
 */
class TickPump {
  next = new Map<string, number>(SYMBOLS.map((s) => [s, 1]));
  private running = true;
  private loop: Promise<void> | undefined;
  failures = 0;

  constructor(private pub: PublisherClient) {}

  start(): void {
    this.loop = (async () => {
      while (this.running && this.pub.connected) {
        const ticks: Tick[] = SYMBOLS.flatMap((s) => makeTicks(s, this.next.get(s)!, 3));
        try {
          const reply = await untilGone(this.pub, this.pub.timeout(5_000).emitWithAck('publish', { ticks }));
          if (reply.ok && reply.rejected.length === 0) for (const s of SYMBOLS) this.next.set(s, this.next.get(s)! + 3);
          else this.failures++;
        } catch {
          this.failures++;
          if (!this.pub.connected) return;
        }
        // Paces the load (about 300 ticks/s), not a wait for a condition.
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
  }

  async stop(): Promise<number> {
    this.running = false;
    await this.loop;
    return Math.min(...SYMBOLS.map((s) => this.next.get(s)! - 1));
  }

  /** Moves to another publisher connection: declares there and continues from its lastSeq. */
  async moveTo(pub: PublisherClient): Promise<void> {
    await this.stop();
    this.pub = pub;
    const declared = await declareOn(pub, SYMBOLS.map((symbol) => ({ symbol })));
    for (const d of declared) this.next.set(d.symbol, d.lastSeq + 1);
    this.running = true;
    this.start();
  }

  /** Waits until at least `count` more ticks per symbol were accepted. */
  async advance(count: number): Promise<void> {
    const target = Math.min(...this.next.values()) + count;
    await vi.waitFor(() => expect(Math.min(...this.next.values()), `${count} more ticks published`).toBeGreaterThanOrEqual(target), { timeout: 15_000, interval: 10 });
  }
}

/** The ack, or a rejection as soon as the connection is lost (an ack that can no longer come). */
function untilGone<T>(pub: PublisherClient, ack: Promise<T>): Promise<T> {
  let onGone: (() => void) | undefined;
  const gone = new Promise<never>((_, reject) => {
    onGone = () => reject(new Error('publisher disconnected'));
    if (pub.connected) pub.once('disconnect', onGone);
    else onGone();
  });
  return Promise.race([ack, gone]).finally(() => pub.off('disconnect', onGone));
}

async function subscribedView(url: string) {
  const socket = await consumer(url);
  const view = new FeedView(socket);
  view.onSubscribed(ok(await socket.emitWithAck('subscribe', { symbols: SYMBOLS })));
  return { socket, view };
}

function readyStatus(url: string): Promise<number> {
  return fetch(`${url}/readyz`).then((r) => r.status);
}

describe('scale-out faults', () => {
  it('[C8] Redis stopped and restarted while ticks flow: instances stay up, report it once, then resume with no silent gap', async () => {
    const redis = await startRedisServer();
    onCleanup(() => redis.stop());
    const a = await startInstance(redis.url, 'A');
    const b = await startInstance(redis.url, 'B');
    const pub = await publisher(a.url);
    await declareOn(pub, SYMBOLS.map((symbol) => ({ symbol })));
    const onA = await subscribedView(a.url);
    const onB = await subscribedView(b.url);
    const pump = new TickPump(pub);
    pump.start();
    await pump.advance(30);
    expect(await readyStatus(a.url)).toBe(200);

    await redis.stop();
    await vi.waitFor(async () => expect([await readyStatus(a.url), await readyStatus(b.url)], 'both instances report Redis down').toEqual([503, 503]), { timeout: 15_000, interval: 25 });
    expect(await metric(a.url, 'feed_redis_up')).toBe(0);
    expect(await metric(b.url, 'feed_redis_up')).toBe(0);
    expect((await getJson<{ reasons: string[] }>(`${b.url}/readyz`)).body.reasons).toContain('redis unavailable');
    // The instance holding the publisher keeps serving its own clients meanwhile.
    const seenOnA = onA.view.last.get('AAPL')!;
    await pump.advance(30);
    await onA.view.untilSeq('AAPL', seenOnA + 30);
    // A publisher cannot (re)declare while the last seq of its symbols is unknowable.
    const late = await publisher(b.url);
    const refused = await late.timeout(5_000).emitWithAck('declare', {
      symbols: [{ symbol: 'AAPL', name: 'AAPL', kind: 'equity', currency: 'USD', tickSize: 0.01, refPrice: 100 }],
    });
    expect(refused).toMatchObject({ ok: false, error: { code: ErrorCode.STORE_UNAVAILABLE } });
    // REST still answers from local state.
    expect((await symbolsOf(b.url)).map((s) => s.meta.symbol).sort()).toEqual(['AAPL', 'MSFT']);

    // Back, and empty (no persistence): the instances rebuild the store from what they hold.
    await redis.restart();
    await vi.waitFor(async () => expect([await readyStatus(a.url), await readyStatus(b.url)], 'both instances ready again').toEqual([200, 200]), { timeout: 15_000, interval: 25 });
    expect(await metric(b.url, 'feed_redis_up')).toBe(1);
    await pump.advance(30);
    const last = await pump.stop();
    expect(pump.failures).toBe(0);
    for (const { view } of [onA, onB]) {
      for (const symbol of SYMBOLS) await view.untilSeq(symbol, last);
      // Every tick once and in order, or a reset with a fresh snapshot: never a silent gap.
      expect(view.problems).toEqual([]);
    }
    expect(onA.view.received.get('AAPL')).toEqual(range(1, last));
    // One warning per outage and one recovery line per instance, not a flood.
    for (const instance of [a, b]) {
      const lines = instance.logs.map((l) => l.msg);
      expect(lines.filter((m) => typeof m === 'string' && m.startsWith('redis unavailable'))).toHaveLength(1);
      expect(lines.filter((m) => m === 'redis available')).toHaveLength(2);
    }
    // The store holds the whole feed again: a new instance serves the same state.
    await vi.waitFor(async () => expect((await getJson<{ snapshot: { seq: number } }>(`${b.url}/api/symbols/MSFT`)).body.snapshot.seq, 'B caught up').toBe(last), { timeout: 15_000, interval: 25 });
    const c = await startInstance(redis.url, 'C');
    expect(bySymbol(await symbolsOf(c.url))).toEqual(bySymbol(await symbolsOf(a.url)));
  });

  it('[C11] when the shared log no longer reaches back to what an instance missed, its subscribers get a reset with a fresh snapshot', async () => {
    const redis = await startRedisServer();
    onCleanup(() => redis.stop());
    const a = await startInstance(redis.url, 'A', { historyTicks: 30 });
    const b = await startInstance(redis.url, 'B', { historyTicks: 30 });
    const pub = await publisher(a.url);
    await declareOn(pub, SYMBOLS.map((symbol) => ({ symbol })));
    const onB = await subscribedView(b.url);
    const pump = new TickPump(pub);
    pump.start();
    await pump.advance(10);
    await redis.stop();
    await vi.waitFor(async () => expect(await readyStatus(b.url), 'B reports Redis down').toBe(503), { timeout: 15_000, interval: 25 });
    // More than the 30 ticks of history pass while B hears nothing.
    await pump.advance(60);
    await redis.restart();
    await pump.advance(10);
    const last = await pump.stop();
    for (const symbol of SYMBOLS) await onB.view.untilSeq(symbol, last);
    expect(onB.view.problems).toEqual([]);
    expect(onB.view.resets.map((r) => r.symbol).sort()).toEqual(SYMBOLS);
    expect((await getJson<{ snapshot: { seq: number } }>(`${a.url}/api/symbols/AAPL`)).body.snapshot.seq).toBe(last);
  });

  it.each([
    ['SIGKILL', 'killed'],
    ['SIGTERM', 'drained'],
  ] as const)('[C9] an instance %s while clients are connected and ticks flow: its clients and publisher move to the other and resume', async (signal) => {
    const redis = await startRedisServer();
    onCleanup(() => redis.stop());
    const a = await startChildInstance(redis.url, 'A');
    const b = await startChildInstance(redis.url, 'B');
    const pub = await publisher(a.url);
    await declareOn(pub, SYMBOLS.map((symbol) => ({ symbol })));
    const pump = new TickPump(pub);

    // Clients of A fail over to B as a real client would: on disconnect, connect to B and resume.
    const movers = await Promise.all([0, 1, 2].map(() => failoverClient(a.url, b.url)));
    const stayer = await subscribedView(b.url);
    pump.start();
    await pump.advance(40);
    await a.kill(signal);
    const reconnected = connect(`${b.url}/ingest`, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token: 'test-token' } });
    onCleanup(() => {
      reconnected.disconnect();
    });
    await new Promise<void>((resolve, reject) => {
      reconnected.once('connect', () => resolve());
      reconnected.once('connect_error', reject);
    });
    await pump.moveTo(reconnected as PublisherClient);
    await pump.advance(40);
    const last = await pump.stop();

    for (const mover of movers) {
      await mover.moved;
      for (const symbol of SYMBOLS) await mover.view.untilSeq(symbol, last);
      expect(mover.view.problems).toEqual([]);
      expect(mover.recovered).toEqual(SYMBOLS.map(() => true));
      expect(mover.view.received.get('AAPL')).toEqual(range(1, last));
    }
    for (const symbol of SYMBOLS) await stayer.view.untilSeq(symbol, last);
    expect(stayer.view.problems).toEqual([]);
    expect(await readyStatus(b.url)).toBe(200);
  });
});

/** A consumer on `from` that, when disconnected, connects to `to` and resumes where it was. */
async function failoverClient(from: string, to: string) {
  const first = await consumer(from);
  const view = new FeedView(first);
  view.onSubscribed(ok(await first.emitWithAck('subscribe', { symbols: SYMBOLS })));
  const recovered: (boolean | undefined)[] = [];
  const moved = new Promise<void>((resolve, reject) => {
    first.once('disconnect', () => {
      void (async () => {
        const next: ConsumerClient = await consumer(to);
        view.attach(next);
        const reply = ok(await next.emitWithAck('subscribe', { symbols: SYMBOLS, resume: view.resumePoints() }));
        for (const s of reply.subscribed) recovered.push(s.recovered);
        view.onSubscribed(reply);
        resolve();
      })().catch(reject);
    });
  });
  return { view, moved, recovered };
}
