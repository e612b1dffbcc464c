import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { SOCKET_PATH, type SubscribeOk, type SubscribeReply, type Tick } from '@tickfeed/protocol';
import { consumer, declaration, makeTicks, onCleanup, range, startServer, stopAll, type ConsumerClient } from './support/harness.js';
import type { ServerConfig } from '../src/config.js';
import { httpRequest, pollingHandshake, pollingPost } from './support/raw-engine.js';
import { tcpSocketOf } from './support/raw-socket.js';

afterEach(stopAll);

function ok(reply: SubscribeReply): SubscribeOk {
  if (!reply.ok) throw new Error(`subscribe failed: ${reply.error.code} ${reply.error.message}`);
  return reply;
}

function subscribe(socket: ConsumerClient, symbols: string[]): Promise<SubscribeOk> {
  return socket.timeout(5_000).emitWithAck('subscribe', { symbols }).then(ok);
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Both delivery modes (SPEC R35, R37): latency first, and every frame lingering as on a loaded server. */
const FLUSH_MODES: [string, Partial<ServerConfig>][] = [
  ['latency first', {}],
  ['lingering', { flushLingerMs: 5, flushLingerLoadPercent: 0 }],
];
let flushMode: Partial<ServerConfig> = {};
const start = (overrides: Partial<ServerConfig> = {}) => startServer({ ...flushMode, ...overrides });

describe.each(FLUSH_MODES)('the frame path (%s)', (_mode, mode) => {
  beforeAll(() => {
    flushMode = mode;
  });

  it('[R31] [R13] frames stay in order across an upgrade from long-polling in the middle of a fast stream', async () => {
    const running = await start();
    const port = running.server.localIngest();
    await port.declare({ symbols: [declaration('A')] });
    const { url } = running;
    const sid = await pollingHandshake(url);
    const seqs: number[] = [];
    let snapshot = -1;
    const tickFrames = { polling: 0, websocket: 0 };
    const take = (packet: string, via: 'polling' | 'websocket') => {
      if (packet.startsWith('430')) {
        snapshot = ok((JSON.parse(packet.slice(3)) as [SubscribeReply])[0]).subscribed[0]!.snapshot.seq;
      } else if (packet.startsWith('42')) {
        const [event, ticks] = JSON.parse(packet.slice(2)) as [string, Tick[]];
        if (event !== 'ticks') return;
        for (const tick of ticks) seqs.push(tick.seq);
        tickFrames[via]++;
      }
    };
    const poll = async () => {
      const res = await httpRequest(`${url}${SOCKET_PATH}?EIO=4&transport=polling&sid=${encodeURIComponent(sid)}`);
      expect(res.status).toBe(200);
      for (const packet of res.body.split('\x1e')) take(packet, 'polling');
    };
    await pollingPost(url, sid, ['40']);
    await poll();
    await pollingPost(url, sid, ['420["subscribe",{"symbols":["A"]}]']);
    // A fast stream: batches back to back, so flushes run before, during and after the upgrade.
    let published = 0;
    let publishing = true;
    const stream = (async () => {
      while (publishing) {
        await port.publish({ ticks: makeTicks('A', published + 1, 20) });
        published += 20;
        await nextTurn();
      }
    })();
    while (tickFrames.polling < 3) await poll();

    // Upgrade as engine.io-client does: probe on the WebSocket, let the last poll return, then switch.
    const target = new URL(`${SOCKET_PATH}?EIO=4&transport=websocket&sid=${encodeURIComponent(sid)}`, url);
    target.protocol = 'ws:';
    const ws = new WebSocket(target, { perMessageDeflate: false });
    onCleanup(() => ws.terminate());
    const probed = new Promise<void>((resolve) => {
      ws.on('message', (data: Buffer) => {
        const frame = data.toString();
        if (frame === '3probe') resolve();
        else if (frame === '2') ws.send('3');
        else take(frame, 'websocket');
      });
    });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send('2probe');
    await probed;
    await poll();
    ws.send('5');
    await vi.waitFor(() => expect(tickFrames.websocket).toBeGreaterThan(3), { timeout: 5_000 });
    publishing = false;
    await stream;
    await vi.waitFor(() => expect(seqs.at(-1)).toBe(published), { timeout: 5_000 });
    expect(snapshot).toBeGreaterThanOrEqual(0);
    expect(seqs).toEqual(range(snapshot + 1, published));
    const frames = await running.server.metrics.registry.getSingleMetricAsString('feed_frames_out_total');
    // Both ways: encoded by Engine.IO on long-polling, pre-encoded on the WebSocket.
    expect(frames).toMatch(/path="engine"} [1-9]/);
    expect(frames).toMatch(/path="websocket"} [1-9]/);
  });

  it('[R31] [H2] a slow consumer cut off mid-write loses its TCP connection at once, not after a closing handshake it never reads', async () => {
    const running = await start({ slowConsumerMaxFrames: 2, slowConsumerPolicy: 'disconnect', pingTimeoutMs: 60_000, pingIntervalMs: 60_000 });
    const port = running.server.localIngest();
    await port.declare({ symbols: [declaration('S')] });
    const slow = await consumer(running.url);
    await subscribe(slow, ['S']);
    const connections = () => new Promise<number>((resolve, reject) => running.server.fastify.server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
    expect(await connections()).toBe(1);
    tcpSocketOf(slow).pause();
    let seq = 0;
    while (!(await running.server.metrics.registry.getSingleMetricAsString('feed_slow_consumers_total')).includes('policy="disconnect"} 1')) {
      if (seq >= 400_000) throw new Error('the client was never cut off');
      await port.publish({ ticks: makeTicks('S', seq + 1, 5_000) });
      seq += 5_000;
      await nextTurn();
    }
    // ws would wait 30 s for a closing handshake the paused client never reads; the socket is destroyed instead.
    await vi.waitFor(async () => expect(await connections()).toBe(0), { timeout: 5_000 });
  });

  it('[R31] production code reads or writes no private member of engine.io, socket.io or ws', () => {
    const root = join(import.meta.dirname, '..', 'src');
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (path.endsWith('.ts')) files.push(path);
      }
    };
    walk(root);
    expect(files.length).toBeGreaterThan(20);
    // The members the fast path once used, and other internals of those libraries.
    const privateMembers = /\b(writeBuffer|packetsFn|sentCallbackFn|_socket|_sender|_receiver|transport\.socket|engine\.clients|_nsps|_ids|_sockets)\b/;
    const offenders = files.filter((path) => privateMembers.test(readFileSync(path, 'utf8').replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, '')));
    expect(offenders).toEqual([]);
  });
});
