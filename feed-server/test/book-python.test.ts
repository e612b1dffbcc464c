import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { onCleanup, publisher, startServer, stopAll } from './support/harness.js';
import { BookScript, bookDeclaration } from './support/books.js';

afterEach(stopAll);

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./support/follow_book.py', import.meta.url));

describe('a client in another language', () => {
  it('[L6][L9] python-socketio follows a book from docs/protocol.md alone: every seq, every checksum, and the REST snapshot at the same seq', async () => {
    if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: install python3 and python3-socketio (apt-get install -y python3-socketio)`);
    const { url } = await startServer();
    const pub = await publisher(url);
    await pub.emitWithAck('declare', { symbols: [bookDeclaration('AAPL')] });
    const script = new BookScript('AAPL', 11);
    await pub.emitWithAck('book:publish', { updates: [script.snapshot(15)] });
    const total = 400;
    const child = spawn(PYTHON, [SCRIPT, url, 'AAPL', '10', String(1 + total)], { stdio: ['ignore', 'pipe', 'pipe'] });
    onCleanup(() => {
      if (child.exitCode === null) child.kill();
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const subscribed = new Promise<void>((resolve) =>
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('"subscribed"')) resolve();
      }),
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await Promise.race([subscribed, exited]);
    if (!stdout.includes('"subscribed"')) throw new Error(`the Python client failed (install python3-socketio if it is missing): ${stderr.slice(-2_000)}`);
    for (let i = 0; i < total; i += 100) {
      expect(await pub.emitWithAck('book:publish', { updates: Array.from({ length: 100 }, () => script.next()) })).toMatchObject({ ok: true, rejected: [] });
    }
    expect(await exited).toBe(0);
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(result).toEqual({ seq: 1 + total, updates: total, verified: total, errors: [], restSeq: 1 + total, matchesRest: true });
  }, 30_000);
});
