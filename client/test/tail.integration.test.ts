import { afterEach, describe, expect, it, vi } from 'vitest';
import { spawn } from 'node:child_process';
import { spawnReady, stopProcess } from '@tickfeed/dev-tools';
import { fileURLToPath } from 'node:url';
import { TestFeed } from './support/feed-harness.js';

const TAIL = fileURLToPath(new URL('../dist/tail.js', import.meta.url));
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

describe('tail command', () => {
  it('[D10] prints live ticks of the named symbols, one per line', async () => {
    const feed = await TestFeed.start();
    cleanups.push(() => feed.close());
    await feed.declare(['AAPL', 'BTC-USD']);
    const subscribed = new Set<string>();
    const printed: string[] = [];
    const { child, ready } = spawnReady({
      name: 'tail',
      command: process.execPath,
      args: [TAIL, 'AAPL', 'btc-usd', '--url', feed.url],
      isReady: (line, stream) => {
        const symbol = stream === 'stderr' ? /(\S+) subscribed/.exec(line)?.[1] : undefined;
        if (symbol !== undefined) subscribed.add(symbol);
        return subscribed.has('AAPL') && subscribed.has('BTC-USD') ? true : undefined;
      },
      onLine: (line, stream) => {
        if (stream === 'stdout' && /^\d\d:\d\d:\d\d\.\d{3} /.test(line)) printed.push(line);
      },
      timeoutMs: 15_000,
    });
    cleanups.push(async () => {
      await stopProcess(child);
    });
    await ready;
    await feed.publish('AAPL', 3);
    await feed.publish('BTC-USD', 3);
    await vi.waitFor(() => expect(printed.length).toBeGreaterThanOrEqual(6), { timeout: 10_000 });
    expect(printed.filter((l) => l.includes(' AAPL ')).map((l) => /#(\d+)/.exec(l)![1])).toEqual(['1', '2', '3']);
    expect(printed.filter((l) => l.includes(' BTC-USD ')).map((l) => /#(\d+)/.exec(l)![1])).toEqual(['1', '2', '3']);
  });

  it('[D10] explains its usage and exits 2 on bad arguments', async () => {
    const child = spawn(process.execPath, [TAIL], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toContain('usage: npm run tail');
  });
});
