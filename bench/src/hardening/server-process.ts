import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { exited, feedServerUrl, spawnReady, stopProcess } from '@tickfeed/dev-tools';
import WebSocket from 'ws';

/**
 * The feed server as a child process (`node feed-server/dist/main.js`), so
 * its memory is measured alone (F12). It listens on PORT=0 and logs the URL
 * it got; we read that line instead of guessing a free port.
 */
export interface ServerProcess {
  url: string;
  pid: number;
  /** Resident set size now, bytes (VmRSS of /proc/<pid>/status). */
  rssBytes(): number;
  /** Whether the process is still running. */
  readonly alive: boolean;
  /** The last lines it wrote to stderr, and warnings/errors it logged. */
  problems(): string[];
  /**
   * A full garbage collection in the server, through its inspector (started
   * with `inspect`), so the heap measured after it is what is really retained.
   */
  collectGarbage(): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it exited. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Path of the feed server's entry point, found through the workspace package. */
export function feedServerMain(): string {
  const index = createRequire(import.meta.url).resolve('@tickfeed/feed-server');
  return join(dirname(index), 'main.js');
}

export interface ServerProcessOptions {
  /** Open the V8 inspector on 127.0.0.1 (a free port) so collectGarbage() works. */
  inspect?: boolean;
  readyTimeoutMs?: number;
}

export async function startServerProcess(env: Record<string, string>, options: ServerProcessOptions = {}): Promise<ServerProcess> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
  const args = options.inspect === true ? ['--inspect=127.0.0.1:0', feedServerMain()] : [feedServerMain()];
  const problems: string[] = [];
  const keep = (line: string) => {
    problems.push(line.slice(0, 500));
    if (problems.length > 50) problems.shift();
  };
  let inspectorUrl: string | undefined;
  const { child, ready } = spawnReady({
    name: 'feed server',
    command: process.execPath,
    args,
    // In memory (DATA_DIR empty): each run starts from a clean state, whatever a previous one left in ./data.
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', DATA_DIR: '', ...env },
    timeoutMs: readyTimeoutMs,
    isReady: (line, stream) => (stream === 'stdout' ? feedServerUrl(line) : undefined),
    onLine: (line, stream) => {
      if (stream === 'stderr') {
        const debuggerUrl = /Debugger listening on (ws:\/\/\S+)/.exec(line)?.[1];
        if (debuggerUrl !== undefined) inspectorUrl = debuggerUrl;
        else if (!/^(For help, see|Debugger attached|Waiting for the debugger)/.test(line)) keep(line);
        return;
      }
      if (logLevel(line) >= 40) keep(line);
    },
  });
  const exit = exited(child);
  let running = true;
  void exit.then(() => (running = false));
  // Never leave the server behind, even when this process ends abruptly.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let url: string;
  try {
    url = await ready;
  } catch (error) {
    process.off('exit', killOnExit);
    throw error;
  }
  let inspector: Promise<Inspector> | undefined;
  const pid = child.pid!;
  return {
    url,
    pid,
    rssBytes: () => vmRss(readFileSync(`/proc/${pid}/status`, 'utf8')),
    get alive() {
      return running;
    },
    problems: () => [...problems],
    async collectGarbage() {
      if (inspectorUrl === undefined) throw new Error('the server was not started with inspect');
      inspector ??= Inspector.connect(inspectorUrl);
      await (await inspector).call('HeapProfiler.collectGarbage');
    },
    async stop(graceMs = 10_000) {
      // An attached inspector session would keep the process waiting at exit ("Waiting for the debugger to disconnect").
      if (inspector !== undefined) (await inspector.catch(() => undefined))?.close();
      const status = await stopProcess(child, { graceMs });
      process.off('exit', killOnExit);
      return status;
    },
  };
}

/** The pino level of a log line; 0 for a line that is not pino JSON. */
function logLevel(line: string): number {
  try {
    const entry = JSON.parse(line) as { level?: unknown };
    return typeof entry.level === 'number' ? entry.level : 0;
  } catch {
    return 0;
  }
}

/** VmRSS of a /proc/<pid>/status text, bytes. */
export function vmRss(status: string): number {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (match?.[1] === undefined) throw new Error('no VmRSS line');
  return Number(match[1]) * 1024;
}

/** A minimal client of the V8 inspector protocol: one method call at a time. */
class Inspector {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as { id?: number; error?: { message?: string } };
      const waiter = message.id === undefined ? undefined : this.pending.get(message.id);
      if (waiter === undefined || message.id === undefined) return;
      this.pending.delete(message.id);
      if (message.error !== undefined) waiter.reject(new Error(message.error.message ?? 'inspector error'));
      else waiter.resolve();
    });
    ws.on('close', () => {
      for (const waiter of this.pending.values()) waiter.reject(new Error('inspector closed'));
      this.pending.clear();
    });
  }

  static connect(url: string): Promise<Inspector> {
    const ws = new WebSocket(url);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new Inspector(ws)));
      ws.once('error', reject);
    });
  }

  call(method: string): Promise<void> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ id, method }));
    });
  }

  close(): void {
    this.ws.close();
  }
}
