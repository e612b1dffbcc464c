import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SubscribeReply } from '@tickfeed/protocol';
import { consumer, declaration, makeTicks, startServer, stopAll, type ConsumerClient, type RunningServer } from './support/harness.js';
import { LoadLinger } from '../src/delivery/load-linger.js';

afterEach(stopAll);

function subscribe(socket: ConsumerClient, symbols: string[]): Promise<SubscribeReply> {
  return socket.timeout(5_000).emitWithAck('subscribe', { symbols });
}

/** Every `ticks` frame the client receives, as `symbol:seq` lists, with the time it arrived. */
function recordFrames(socket: ConsumerClient): { at: number; ticks: string[] }[] {
  const frames: { at: number; ticks: string[] }[] = [];
  socket.on('ticks', (ticks) => frames.push({ at: performance.now(), ticks: ticks.map((t) => `${t.symbol}:${t.seq}`) }));
  return frames;
}

async function lingerGauge(running: RunningServer): Promise<number> {
  const text = await running.server.metrics.registry.getSingleMetricAsString('feed_flush_linger_ms');
  const m = /^feed_flush_linger_ms (\S+)$/m.exec(text);
  if (m?.[1] === undefined) throw new Error(`no feed_flush_linger_ms in ${text}`);
  return Number(m[1]);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Keeps this process's event loop busy about 90% of the time for `ms`, yielding briefly so timers (the load sampler) run. */
async function busyFor(ms: number): Promise<void> {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    const chunkEnd = performance.now() + 18;
    while (performance.now() < chunkEnd) {
      // busy: the event loop is not idle
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('lingering under load (SPEC R37)', () => {
  it('[R37] the decision is pure: it engages once the smoothed utilization reaches the threshold and releases below half of it', () => {
    const linger = new LoadLinger(15, 0.3);
    expect(linger.lingerMs).toBe(0);
    expect(linger.update(0.1)).toBe(0);
    // Smoothed (half the newest sample): one busy sample after a quiet one is not enough.
    expect(linger.update(0.45)).toBe(0);
    expect(linger.update(0.45)).toBe(15);
    // Lingering lowers the load; it stays on down to half the threshold.
    expect(linger.update(0.2)).toBe(15);
    expect(linger.update(0.16)).toBe(15); // smoothed 0.22
    expect(linger.update(0.1)).toBe(15); // 0.16, still above 0.15
    expect(linger.update(0.1)).toBe(0); // 0.13
    expect(linger.update(0.2)).toBe(0); // 0.165: released until the threshold again
    expect(new LoadLinger(15, 0).lingerMs).toBe(15);
    expect(new LoadLinger(15, 0).update(0)).toBe(15);
    expect(new LoadLinger(0, 0.3).update(1)).toBe(0);
  });

  it('[R37] a lingering frame waits for the ticks that follow its first, then carries them all in order; a quiet server sends each at once', async () => {
    for (const lingering of [true, false]) {
      const running = await startServer(lingering ? { flushLingerMs: 150, flushLingerLoadPercent: 0 } : { flushLingerMs: 150, flushLingerLoadPercent: 100 });
      expect(await lingerGauge(running)).toBe(lingering ? 150 : 0);
      const port = running.server.localIngest();
      await port.declare({ symbols: [declaration('A'), declaration('B')] });
      const client = await consumer(running.url);
      expect((await subscribe(client, ['A', 'B'])).ok).toBe(true);
      const frames = recordFrames(client);
      const sentAt = performance.now();
      await port.publish({ ticks: makeTicks('A', 1, 1) });
      await sleep(40);
      await port.publish({ ticks: [...makeTicks('A', 2, 1), ...makeTicks('B', 1, 1)] });
      await vi.waitFor(() => expect(frames.flatMap((f) => f.ticks)).toHaveLength(3), { timeout: 5_000 });
      await sleep(50);
      if (lingering) {
        expect(frames.map((f) => f.ticks)).toEqual([['A:1', 'A:2', 'B:1']]);
        // It left when the first tick had waited FLUSH_LINGER_MS (timers may fire a millisecond early).
        expect(frames[0]!.at - sentAt).toBeGreaterThanOrEqual(145);
      } else {
        expect(frames.map((f) => f.ticks)).toEqual([['A:1'], ['A:2', 'B:1']]);
        expect(frames[0]!.at - sentAt).toBeLessThan(40);
      }
      await stopAll();
    }
  });

  it('[R37] [R6] an ack still follows every tick queued before it: a lingering frame goes out ahead of the subscribe reply', async () => {
    const running = await startServer({ flushLingerMs: 1_000, flushLingerLoadPercent: 0 });
    const port = running.server.localIngest();
    await port.declare({ symbols: [declaration('A'), declaration('B')] });
    const client = await consumer(running.url);
    expect((await subscribe(client, ['A'])).ok).toBe(true);
    const events: string[] = [];
    client.on('ticks', (ticks) => events.push(`ticks ${ticks.map((t) => t.seq).join(',')}`));
    await port.publish({ ticks: makeTicks('A', 1, 3) });
    const startedAt = performance.now();
    const reply = await subscribe(client, ['B']);
    events.push('ack');
    expect(reply.ok).toBe(true);
    expect(events).toEqual(['ticks 1,2,3', 'ack']);
    // The pending frame went with the ack, not a second later.
    expect(performance.now() - startedAt).toBeLessThan(900);
  });

  it('[R37] a busy event loop turns lingering on, and a quiet one turns it off again (feed_flush_linger_ms)', async () => {
    const running = await startServer({ flushLingerMs: 20, flushLingerLoadPercent: 50 });
    expect(await lingerGauge(running)).toBe(0);
    await busyFor(1_500);
    expect(await lingerGauge(running)).toBe(20);
    await vi.waitFor(async () => expect(await lingerGauge(running)).toBe(0), { timeout: 5_000, interval: 100 });
  });

  it('[R37] shutting down sends what lingers instead of dropping it', async () => {
    const running = await startServer({ flushLingerMs: 5_000, flushLingerLoadPercent: 0 });
    const port = running.server.localIngest();
    await port.declare({ symbols: [declaration('A')] });
    const client = await consumer(running.url);
    expect((await subscribe(client, ['A'])).ok).toBe(true);
    const frames = recordFrames(client);
    await port.publish({ ticks: makeTicks('A', 1, 2) });
    await sleep(50);
    expect(frames).toHaveLength(0);
    const closing = running.server.close();
    await vi.waitFor(() => expect(frames.map((f) => f.ticks)).toEqual([['A:1', 'A:2']]), { timeout: 5_000 });
    await closing;
  });
});
