import { connect } from 'node:net';
import { startRedisServer } from '@tickfeed/dev-tools';
import { placeCommand, trackProcess } from './child-process.js';

/**
 * A throwaway redis-server for the scale-out suite (B11): the shared dev
 * tooling's, placed on a core (taskset) and niceness like the servers, and
 * stopped by the suite or by an interrupted run. The few commands the suite
 * sends (INFO) go over a minimal RESP client of our own: the bench reads
 * counters only, and a Redis client library would add its own connection
 * and CPU to what is measured.
 */
export interface RedisProcess {
  url: string;
  port: number;
  pid: number;
  info(section: string): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

export async function startRedis(cpu?: number, nice = 0): Promise<RedisProcess> {
  const server = await startRedisServer({ wrap: (command, args) => placeCommand(command, args, cpu, nice) });
  const stop = () => server.stop();
  trackProcess(server.child, stop);
  return {
    url: server.url,
    port: server.port,
    pid: server.pid,
    info: async (section) => parseInfo(await command(server.port, ['INFO', section])),
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
