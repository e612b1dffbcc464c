import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import { createFeedServer, testServerConfig, type FeedServer } from '@tickfeed/feed-server';
import { ERROR_CODES, Events, INGEST_NAMESPACE, type FeedStatus } from '@tickfeed/protocol';
import { classifyReply } from '../../src/hardening/ledger.js';

/**
 * Server defects the fuzzer found, each reduced to the smallest request that
 * shows it (SPEC.md, F2 and F6); kept as regression tests.
 */
let server: FeedServer;
let url: string;
const sockets: Socket[] = [];

beforeAll(async () => {
  server = await createFeedServer(testServerConfig());
  url = (await server.listen()).url;
  await server.localIngest().declare({ symbols: [{ symbol: 'FND', name: 'Finding', kind: 'equity', currency: 'USD', tickSize: 0.01, refPrice: 10 }] });
});

afterAll(async () => {
  for (const socket of sockets) socket.disconnect();
  await server.close();
});

async function connect(namespace: '/' | typeof INGEST_NAMESPACE): Promise<Socket> {
  const socket = io(namespace === '/' ? url : `${url}${namespace}`, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    ...(namespace === INGEST_NAMESPACE ? { auth: { token: 'test-token' } } : {}),
  });
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

/** The ack's reply, or 'no reply' when none came within 3 s (acks of a local server take milliseconds). */
function ackOf(socket: Socket, event: string, args: unknown[]): Promise<unknown> {
  return new Promise((resolve) => {
    socket.timeout(3_000).emit(event, ...args, (error: Error | null, reply: unknown) => resolve(error === null ? reply : 'no reply'));
  });
}

function isCodedError(body: unknown): boolean {
  const error = (body as { ok?: unknown; error?: { code?: unknown; message?: unknown } } | null)?.error;
  return (body as { ok?: unknown }).ok === false && ERROR_CODES.includes(error?.code as never) && typeof error?.message === 'string';
}

describe('fuzz findings', () => {
  it('[F2] a request whose ack callback is not its second argument (no payload, or extra arguments) still gets an ack reply', async () => {
    const consumer = await connect('/');
    const publisher = await connect(INGEST_NAMESPACE);
    const cases: [Socket, string, unknown[]][] = [
      [consumer, Events.subscribe, []],
      [consumer, Events.subscribe, [{ symbols: ['AAPL'] }, 'extra']],
      [consumer, Events.unsubscribe, []],
      [consumer, Events.unsubscribe, [{ symbols: [] }, 1, 2]],
      [publisher, Events.declare, []],
      [publisher, Events.declare, [{ symbols: [] }, null]],
      [publisher, Events.publish, []],
      [publisher, Events.publish, [{ ticks: [] }, {}]],
    ];
    const replies = await Promise.all(cases.map(([socket, event, args]) => ackOf(socket, event, args)));
    // Any contract reply will do (an error, or ok for a valid payload followed by junk): not silence.
    const unanswered = cases
      .map(([, event, args], i) => ({ what: `${event} with ${args.length} argument(s)`, reply: replies[i] }))
      .filter(({ reply }) => classifyReply(reply).kind === 'malformed')
      .map(({ what, reply }) => `${what}: ${JSON.stringify(reply)}`);
    expect(unanswered).toEqual([]);
  });

  it('[F6] a publisher\'s malformed answer to a control command does not turn POST /api/feed/control into a 5xx or an uncoded error', async () => {
    const status: FeedStatus = { mode: 'replay', state: 'playing', speed: 1, clock: null, loop: false, completions: 0, marker: null, source: 'findings', controllable: true };
    const answers: unknown[] = [null, 42, 'x', {}, { ok: true }, { ok: true, status: 'x' }, { ok: false }, { ok: false, error: { code: 'NOPE', message: 1 } }];
    const results: string[] = [];
    for (const answer of answers) {
      const publisher = await connect(INGEST_NAMESPACE);
      publisher.on(Events.control, (_command: unknown, ack: (reply: unknown) => void) => ack(answer));
      // The status and the control command travel on the same connection: the server has the
      // status before it can route the command to this publisher.
      publisher.emit(Events.status, status);
      await ackOf(publisher, 'sync', []);
      const res = await fetch(`${url}/api/feed/control`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer test-admin' },
        body: JSON.stringify({ action: 'pause' }),
      });
      const text = await res.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
      if (res.status >= 500 || (res.status !== 200 && !isCodedError(body))) results.push(`${JSON.stringify(answer)} → ${res.status} ${text.slice(0, 80)}`);
      publisher.disconnect();
    }
    expect(results).toEqual([]);
  });

  it('[F6] REST errors for a malformed URL or an over-long path parameter carry a catalog code', async () => {
    const uncoded: string[] = [];
    for (const path of ['/api/symbols/%', '/api/symbols/%E0%A4%A/candles', `/api/symbols/${'A'.repeat(200)}`, `/api/symbols/${'A'.repeat(200)}/ticks`]) {
      const res = await fetch(`${url}${path}`);
      const text = await res.text();
      let body: unknown = null;
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
      if (res.status < 400 || res.status >= 500 || !isCodedError(body)) uncoded.push(`${path.slice(0, 40)} → ${res.status} ${text.slice(0, 100)}`);
    }
    expect(uncoded).toEqual([]);
  });

  it('[F6] HEAD /api/stream answers with its headers instead of never answering', async () => {
    const { port } = new URL(url);
    const status = await new Promise<number | string>((resolve) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'HEAD', path: '/api/stream?symbols=FND', timeout: 3_000, agent: false }, (res) => {
        resolve(res.statusCode ?? 0);
        res.resume();
        req.destroy();
      });
      req.on('timeout', () => {
        resolve('no answer within 3 s');
        req.destroy();
      });
      req.on('error', () => undefined);
      req.end();
    });
    expect(status).toBe(200);
  });
});
