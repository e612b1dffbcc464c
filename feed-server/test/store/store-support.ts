import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TickLog } from '../../src/store/tick-log.js';
import { EntryKind, readEntries } from '../../src/store/frame-codec.js';
import { onCleanup } from '../support/harness.js';

/** A fresh temporary data directory, removed after the test. */
export function tempDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tickfeed-store-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Every tick the log of `dataDir` holds, per symbol in log order (read-only: a torn tail is left alone). */
export function storedTicks(dataDir: string): Map<string, { seq: number; json: string }[]> {
  const out = new Map<string, { seq: number; json: string }[]>();
  const log = TickLog.open(join(dataDir, 'log'));
  log.scan(
    log.start,
    (_position, payload) => {
      for (const entry of readEntries(payload)) {
        if (entry.kind !== EntryKind.TICK) continue;
        let list = out.get(entry.symbol);
        if (list === undefined) out.set(entry.symbol, (list = []));
        list.push({ seq: entry.seq, json: entry.json });
      }
    },
    { repair: false },
  );
  return out;
}

const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

/** The built feed server (`node feed-server/dist/main.js`) as a child process, for tests that kill it. */
export interface StoreChild {
  url: string;
  child: ChildProcess;
  output: string[];
  kill(signal: NodeJS.Signals): Promise<void>;
}

export async function startStoreChild(env: Record<string, string>): Promise<StoreChild> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build first (npx tsc -b feed-server)`);
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', INGEST_TOKEN: 'test-token', LOG_LEVEL: 'info', REST_RATE_LIMIT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  onCleanup(() => kill('SIGKILL'));
  const output: string[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output.push(line);
      try {
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        if (entry.msg === 'feed server listening' && typeof entry.url === 'string') resolve(entry.url);
      } catch {
        // not a log line
      }
    });
    child.once('exit', (code, signal) => reject(new Error(`feed server exited (${code ?? signal}): ${stderr.slice(-800)}`)));
  });
  return { url, child, output, kill };
}

/** Every book message the log of `dataDir` holds, per symbol in log order (read-only). */
export function storedBooks(dataDir: string): Map<string, { seq: number; json: string }[]> {
  const out = new Map<string, { seq: number; json: string }[]>();
  const log = TickLog.open(join(dataDir, 'log'));
  log.scan(
    log.start,
    (_position, payload) => {
      for (const entry of readEntries(payload)) {
        if (entry.kind !== EntryKind.BOOK) continue;
        let list = out.get(entry.symbol);
        if (list === undefined) out.set(entry.symbol, (list = []));
        list.push({ seq: entry.seq, json: entry.json });
      }
    },
    { repair: false },
  );
  return out;
}
