import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TestFeed } from './support/feed-harness.js';

const TAIL = fileURLToPath(new URL('../dist/tail.js', import.meta.url));
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** Collects a child's stdout lines and resolves once `count` lines matching `pattern` arrived. */
function linesOf(child: ChildProcess, pattern: RegExp, count: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const lines: string[] = [];
    let rest = '';
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout?.on('data', (chunk: Buffer) => {
      const parts = (rest + chunk.toString()).split('\n');
      rest = parts.pop() ?? '';
      for (const line of parts) if (pattern.test(line)) lines.push(line);
      if (lines.length >= count) resolve(lines.slice(0, count));
    });
    child.once('exit', (code) => reject(new Error(`tail exited with ${code}: ${stderr}`)));
  });
}

describe('tail command', () => {
  it('[D10] prints live ticks of the named symbols, one per line', async () => {
    const feed = await TestFeed.start();
    cleanups.push(() => feed.close());
    await feed.declare(['AAPL', 'BTC-USD']);
    const child = spawn(process.execPath, [TAIL, 'AAPL', 'btc-usd', '--url', feed.url], { stdio: ['ignore', 'pipe', 'pipe'] });
    cleanups.push(() => {
      child.kill('SIGTERM');
    });
    const subscribed = new Promise<void>((resolve) => {
      let text = '';
      child.stderr.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes('AAPL subscribed') && text.includes('BTC-USD subscribed')) resolve();
      });
    });
    const lines = linesOf(child, /^\d\d:\d\d:\d\d\.\d{3} /, 6);
    await subscribed;
    await feed.publish('AAPL', 3);
    await feed.publish('BTC-USD', 3);
    const printed = await lines;
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
