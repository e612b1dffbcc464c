import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/**
 * A real redis-server for tests: Debian's binary on a free port of
 * 127.0.0.1, no persistence (a restart comes back empty, like a fresh
 * instance), stopped by the test. Never a mock.
 */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Whether the process runs now. */
  readonly running: boolean;
  /** Stops the process (SIGTERM by default; SIGKILL simulates a crash) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port (empty: no persistence). */
  restart(): Promise<void>;
}

export async function startRedisServer(): Promise<RedisServer> {
  // A port found free can be taken before redis binds it: try a few.
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    try {
      let child = await launch(port);
      const server: RedisServer = {
        port,
        url: `redis://127.0.0.1:${port}`,
        get running() {
          return child.exitCode === null && child.signalCode === null;
        },
        async stop(signal: NodeJS.Signals = 'SIGTERM') {
          await stopChild(child, signal);
        },
        async restart() {
          await stopChild(child, 'SIGTERM');
          child = await launch(port);
        },
      };
      return server;
    } catch (error) {
      lastError = error;
    }
  }
  throw new Error(`could not start redis-server: ${lastError instanceof Error ? lastError.message : String(lastError)}`);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Starts redis-server and resolves once it logs that it accepts connections. */
function launch(port: number): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'notice'];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        child.stdout?.off('data', onData);
        // Keep draining so a chatty server never blocks on a full pipe.
        child.stdout?.resume();
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.resume();
    child.once('error', (error) => reject(new Error(`redis-server: ${error.message} (is it installed?)`)));
    child.once('exit', (code, signal) => reject(new Error(`redis-server exited (${code ?? signal}) before it was ready: ${output.slice(-300)}`)));
  });
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  await exited;
}
