import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Shutdown } from '@tickfeed/protocol';
import { exited, feedServerUrl, spawnReady, stopProcess } from '@tickfeed/dev-tools';
import { consumer, onCleanup, stopAll } from './support/harness.js';
import { pollingHandshake } from './support/raw-engine.js';

afterEach(stopAll);

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** `node feed-server/dist/main.js` alone, in memory, on a free port; its log lines as parsed JSON. */
async function startProcess(env: Record<string, string>): Promise<{ url: string; child: ChildProcess; log: { msg?: string; signal?: string }[] }> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build first (npx tsc -b feed-server)`);
  const log: { msg?: string; signal?: string }[] = [];
  const { child, ready } = spawnReady({
    name: 'feed server',
    command: process.execPath,
    args: [MAIN],
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', INGEST_TOKEN: 'test-token', LOG_LEVEL: 'info', ...env },
    isReady: (line, stream) => (stream === 'stdout' ? feedServerUrl(line) : undefined),
    onLine: (line, stream) => {
      if (stream === 'stdout' && line.startsWith('{')) log.push(JSON.parse(line) as { msg?: string });
    },
    timeoutMs: 15_000,
  });
  onCleanup(async () => {
    await stopProcess(child, { signal: 'SIGKILL' });
  });
  return { url: await ready, child, log };
}

describe('signals (close-with-grace)', () => {
  it('[R61] SIGTERM drains: connected clients get server:shutdown, then the process exits 0', async () => {
    const { url, child, log } = await startProcess({});
    const socket = await consumer(url);
    const notice = new Promise<Shutdown>((resolve) => socket.once('server:shutdown', resolve));
    const disconnected = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    child.kill('SIGTERM');
    expect(await notice).toEqual({ reason: 'server received SIGTERM', reconnectAfterMs: 0 });
    expect(await disconnected).toBe('io server disconnect');
    expect(await exited(child)).toEqual({ code: 0, signal: null });
    expect(log.find((entry) => entry.msg === 'draining')).toMatchObject({ signal: 'SIGTERM' });
  });

  it('[R61] a drain longer than SHUTDOWN_TIMEOUT_MS exits 1 when the timeout ends', async () => {
    // A long-polling session that never polls again keeps the drain waiting for DRAIN_GRACE_MS.
    const { url, child, log } = await startProcess({ SHUTDOWN_TIMEOUT_MS: '300', DRAIN_GRACE_MS: '60000', PING_INTERVAL_MS: '60000' });
    await pollingHandshake(url);
    const started = Date.now();
    child.kill('SIGTERM');
    expect(await exited(child)).toEqual({ code: 1, signal: null });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(log.map((entry) => entry.msg)).toContain('drain timed out; exiting');
  });

  it('[R61] a second signal during the drain exits 1 at once', async () => {
    const { url, child, log } = await startProcess({ SHUTDOWN_TIMEOUT_MS: '60000', DRAIN_GRACE_MS: '60000', PING_INTERVAL_MS: '60000' });
    await pollingHandshake(url);
    child.kill('SIGTERM');
    await vi.waitFor(() => expect(log.map((entry) => entry.msg)).toContain('draining'));
    child.kill('SIGINT');
    expect(await exited(child)).toEqual({ code: 1, signal: null });
    expect(log.find((entry) => entry.msg === 'second signal; exiting')).toMatchObject({ signal: 'SIGINT' });
  });
});
