import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SymbolInfo } from '@tickfeed/protocol';
import { makeTicks, onCleanup, publisher, stopAll } from '../support/harness.js';
import { declareOn, getJson, publishOn } from './cluster-support.js';

afterEach(stopAll);

const LAUNCHER = fileURLToPath(new URL('../../../launcher/dist/cluster.js', import.meta.url));

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm run cluster', () => {
  it('[C19] [D39] starts Redis (with its append-only file in --data-dir) and two instances sharing it, prints their URLs, and stops every process on Ctrl-C', async () => {
    if (!existsSync(LAUNCHER)) throw new Error(`${LAUNCHER} is missing: build first (npx tsc -b launcher)`);
    const dataDir = mkdtempSync(join(tmpdir(), 'tickfeed-cluster-'));
    onCleanup(() => rmSync(dataDir, { recursive: true, force: true }));
    const child = spawn(process.execPath, [LAUNCHER, '--ports', '0,0', '--no-simulator', '--data-dir', dataDir], {
      env: { PATH: process.env.PATH ?? '', INGEST_TOKEN: 'test-token', ADMIN_TOKEN: 'test-admin', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    onCleanup(async () => {
      if (child.exitCode === null) {
        child.kill('SIGINT');
        await exited;
      }
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    await vi.waitFor(() => expect(/tickfeed cluster running/.test(output) && /^Try: kill/m.test(output), 'the cluster to be running').toBe(true), { timeout: 30_000, interval: 25 });
    const urls = [...output.matchAll(/feed-(\d)\s+(http:\/\/127\.0\.0\.1:\d+)\s.*pid (\d+)/g)].map((m) => ({ url: m[2]!, pid: Number(m[3]) }));
    expect(urls).toHaveLength(2);
    const redisPort = Number(/redis:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1] ?? '0');
    expect(redisPort).toBeGreaterThan(0);
    expect(await accepts(redisPort)).toBe(true);

    const pub = await publisher(urls[0]!.url);
    await declareOn(pub, [{ symbol: 'AAPL' }]);
    await publishOn(pub, makeTicks('AAPL', 1, 25));
    await vi.waitFor(
      async () => {
        const { status, body } = await getJson<SymbolInfo>(`${urls[1]!.url}/api/symbols/AAPL`);
        expect([status, body.snapshot?.seq], 'feed-2 to have the ticks published on feed-1').toEqual([200, 25]);
      },
      { timeout: 15_000, interval: 25 },
    );
    pub.disconnect();
    // The shared history is in an append-only file under --data-dir (not in the repository's ./data).
    expect(readdirSync(dataDir)).toContain('appendonlydir');

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    for (const { pid } of urls) expect(alive(pid)).toBe(false);
    expect(await accepts(redisPort)).toBe(false);
    expect(output).toMatch(/cluster: stopping/);
  });
});
