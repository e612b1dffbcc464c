import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { placeCommand, trackProcess } from './child-process.js';

/**
 * A throwaway redis-server for the scale-out suite (B11): on a free port,
 * no persistence, stopped by the suite.
 */
export interface RedisProcess {
  url: string;
  port: number;
  pid: number;
  info(section: string): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function startRedis(cpu?: number, nice = 0): Promise<RedisProcess> {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'];
  const placed = placeCommand('redis-server', args, cpu, nice);
  const child: ChildProcess = spawn(placed.command, placed.args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  trackProcess(child, stop);
  const spawnError = new Promise<never>((_, reject) => child.once('error', (e) => reject(e)));
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await Promise.race([command(port, ['PING']), spawnError]);
      break;
    } catch (e) {
      if (Date.now() > deadline || child.exitCode !== null || (e as NodeJS.ErrnoException).code === 'ENOENT') {
        await stop();
        throw new Error(`redis-server did not start: ${e instanceof Error ? e.message : String(e)}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: child.pid ?? -1,
    info: async (section) => parseInfo(await command(port, ['INFO', section])),
    stop,
  };
}

/** Sends one command in RESP and returns a simple or bulk string reply. */
export function command(port: number, parts: string[]): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    socket.once('error', reject);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const reply = parseReply(buf);
      if (reply === undefined) return;
      socket.end();
      if (reply instanceof Error) reject(reply);
      else resolve(reply);
    });
    socket.write(`*${parts.length}\r\n${parts.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join('')}`);
  });
}

/** A complete reply in `buf`, or undefined while it is incomplete. */
export function parseReply(buf: Buffer): string | Error | undefined {
  const eol = buf.indexOf('\r\n');
  if (eol === -1) return undefined;
  const head = buf.subarray(1, eol).toString();
  switch (String.fromCharCode(buf[0] ?? 0)) {
    case '+':
      return head;
    case '-':
      return new Error(head);
    case ':':
      return head;
    case '$': {
      const len = Number(head);
      if (len < 0) return '';
      if (buf.length < eol + 2 + len + 2) return undefined;
      return buf.subarray(eol + 2, eol + 2 + len).toString();
    }
    default:
      return new Error(`unexpected reply '${head}'`);
  }
}

export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}
