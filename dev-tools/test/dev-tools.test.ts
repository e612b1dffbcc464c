import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { feedServerUrl, freePort, spawnReady, startRedisServer, stopProcess, type RedisServer } from '../src/index.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.allSettled(cleanups.splice(0).map((c) => c()));
});

describe('dev tools', () => {
  it('freePort gives a port a server can listen on', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    await new Promise((resolve) => server.close(resolve));
  });

  it('spawnReady resolves with what marks the child ready, and stopProcess ends it with SIGTERM', async () => {
    const script = "process.stdout.write('starting\\nready at 42\\n'); setInterval(() => {}, 1000);";
    const { child, ready } = spawnReady({ name: 'node', command: process.execPath, args: ['-e', script], isReady: (line) => /ready at (\d+)/.exec(line)?.[1], timeoutMs: 10_000 });
    cleanups.push(() => stopProcess(child, { signal: 'SIGKILL' }));
    await expect(ready).resolves.toBe('42');
    await expect(stopProcess(child)).resolves.toEqual({ code: null, signal: 'SIGTERM' });
  });

  it('stopProcess sends SIGKILL when the child ignores SIGTERM past the grace period', async () => {
    const script = "process.on('SIGTERM', () => {}); process.stdout.write('up\\n'); setInterval(() => {}, 1000);";
    const { child, ready } = spawnReady({ name: 'stubborn', command: process.execPath, args: ['-e', script], isReady: (line) => (line === 'up' ? true : undefined) });
    cleanups.push(() => stopProcess(child, { signal: 'SIGKILL' }));
    await ready;
    await expect(stopProcess(child, { graceMs: 100 })).resolves.toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('spawnReady rejects naming the child and its output when it exits before it is ready', async () => {
    const { ready } = spawnReady({ name: 'quitter', command: process.execPath, args: ['-e', "console.error('no config'); process.exit(3)"], isReady: () => undefined });
    await expect(ready).rejects.toThrow(/quitter exited \(3\) before it was ready\nno config/);
  });

  it('feedServerUrl reads the URL of the listening line only', () => {
    expect(feedServerUrl('{"level":30,"msg":"feed server listening","url":"http://127.0.0.1:4000"}')).toBe('http://127.0.0.1:4000');
    expect(feedServerUrl('{"level":30,"msg":"other","url":"http://x"}')).toBeUndefined();
    expect(feedServerUrl('not json')).toBeUndefined();
  });

  it('startRedisServer runs a redis-server that answers, restarts on the same port and stops', async () => {
    const redis: RedisServer = await startRedisServer();
    cleanups.push(() => redis.stop('SIGKILL'));
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    expect(await ping(redis.port)).toBe('+PONG');
    const firstPid = redis.pid;
    await redis.restart();
    expect(redis.pid).not.toBe(firstPid);
    expect(await ping(redis.port)).toBe('+PONG');
    await redis.stop();
    expect(redis.running).toBe(false);
  });
});

async function ping(port: number): Promise<string> {
  const { connect } = await import('node:net');
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.once('error', reject);
    socket.once('data', (data) => {
      socket.end();
      resolve(data.toString().trim());
    });
  });
}
