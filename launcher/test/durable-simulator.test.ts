import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFeedServer, testServerConfig, type FeedServer } from '@tickfeed/feed-server';
import { parseSimulatorArgs, startSimulator } from '@tickfeed/simulator';
import type { SymbolInfo, Tick } from '@tickfeed/protocol';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function embedded(dataDir: string): Promise<{ server: FeedServer; url: string; stop: () => Promise<void> }> {
  const server = await createFeedServer(testServerConfig({ dataDir }));
  const { url } = await server.listen();
  const simulator = await startSimulator(parseSimulatorArgs(['--symbols', '6', '--rate', '300', '--seed', '3', '--always-open']), server.localIngest());
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await simulator.stop();
    await server.close();
  };
  cleanups.push(stop);
  return { server, url, stop };
}

async function symbols(url: string): Promise<SymbolInfo[]> {
  return ((await (await fetch(new URL('/api/symbols', url))).json()) as { symbols: SymbolInfo[] }).symbols;
}

describe('the embedded simulator across a restart with DATA_DIR', () => {
  it('[D31] the in-process simulator continues each symbol\'s epoch, seq and price where it stopped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tickfeed-embedded-'));
    cleanups.unshift(() => rmSync(dir, { recursive: true, force: true }));
    const first = await embedded(dir);
    await vi.waitFor(async () => expect((await symbols(first.url)).every((s) => s.snapshot.seq >= 3)).toBe(true), { timeout: 15_000, interval: 100 });
    await first.stop();
    // The stopped server's last state, as restored by the next one.
    const second = await embedded(dir);
    const before = new Map((await symbols(second.url)).map((s) => [s.meta.symbol, s]));
    await vi.waitFor(async () => {
      const now = await symbols(second.url);
      expect(now.every((s) => s.snapshot.seq > before.get(s.meta.symbol)!.snapshot.seq)).toBe(true);
    }, { timeout: 15_000, interval: 100 });
    for (const [symbol, info] of before) {
      const res = await fetch(new URL(`/api/symbols/${symbol}/ticks?after=${info.snapshot.seq}&limit=1`, second.url));
      const body = (await res.json()) as { epoch: string; ticks: Tick[] };
      expect(info.snapshot.seq, symbol).toBeGreaterThanOrEqual(3);
      expect(body.epoch, symbol).toBe(info.epoch);
      expect(body.ticks[0]!.seq, symbol).toBe(info.snapshot.seq + 1);
      // The next price is a step of the model from the last one, not a restart from the reference price.
      expect(Math.abs(body.ticks[0]!.price / info.snapshot.last - 1), symbol).toBeLessThan(0.02);
    }
  }, 40_000);
});
