import { mkdirSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { spawnReady, stopProcess, hasExited } from './child-process.js';
import { freePort } from './free-port.js';

/**
 * A throwaway redis-server (Debian's binary) on a free port of 127.0.0.1, no
 * persistence (a restart comes back empty, like a fresh instance), for tests,
 * the bench and the local cluster. Never a mock. Ours rather than a package
 * such as redis-memory-server, which downloads and builds its own binary:
 * the tests run the distribution's redis-server (scripts/ensure-test-deps.sh).
 */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** The current process (a new one after restart()). */
  readonly child: ChildProcess;
  readonly pid: number;
  /** Whether the process runs now. */
  readonly running: boolean;
  /** Stops the process (SIGTERM by default, SIGKILL after 5 s; SIGKILL simulates a crash) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port (empty: no persistence). */
  restart(): Promise<void>;
}

export interface RedisServerOptions {
  /** redis-server's --loglevel; default notice (it must log that it is ready). */
  logLevel?: 'debug' | 'verbose' | 'notice' | 'warning';
  /** Rewrites the command line, e.g. to pin it to a core with taskset. */
  wrap?: (command: string, args: string[]) => { command: string; args: string[] };
  /** Every line it writes. */
  onLine?: (line: string) => void;
  /** Give up on a start after this, ms; default 10,000. */
  timeoutMs?: number;
  /**
   * Keep the data in an append-only file in this directory, fsync'ed once a second, so a restart
   * keeps it; default: no persistence at all (a throwaway server).
   */
  appendOnlyDir?: string;
}

const READY = 'Ready to accept connections';

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  // A port found free can be taken before redis binds it: try a few.
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    try {
      let child = await launch(port, options);
      return {
        port,
        url: `redis://127.0.0.1:${port}`,
        get child() {
          return child;
        },
        get pid() {
          return child.pid ?? -1;
        },
        get running() {
          return !hasExited(child);
        },
        async stop(signal: NodeJS.Signals = 'SIGTERM') {
          await stopProcess(child, { signal, graceMs: 5_000 });
        },
        async restart() {
          await stopProcess(child, { graceMs: 5_000 });
          child = await launch(port, options);
        },
      };
    } catch (error) {
      lastError = error;
      if (/ENOENT/.test(String(error))) break;
    }
  }
  const message = lastError instanceof Error ? lastError.message : String(lastError);
  throw new Error(/ENOENT/.test(message) ? 'redis-server is not installed (apt-get install redis-server)' : `could not start redis-server: ${message}`);
}

async function launch(port: number, options: RedisServerOptions): Promise<ChildProcess> {
  const persistence =
    options.appendOnlyDir === undefined
      ? ['--appendonly', 'no']
      : (mkdirSync(options.appendOnlyDir, { recursive: true }), ['--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', options.appendOnlyDir]);
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--daemonize', 'no', '--loglevel', options.logLevel ?? 'notice'];
  const placed = options.wrap?.('redis-server', args) ?? { command: 'redis-server', args };
  const spawned = spawnReady({
    name: 'redis-server',
    command: placed.command,
    args: placed.args,
    isReady: (line) => (line.includes(READY) ? true : undefined),
    ...(options.onLine === undefined ? {} : { onLine: options.onLine }),
    timeoutMs: options.timeoutMs ?? 10_000,
  });
  await spawned.ready;
  return spawned.child;
}
