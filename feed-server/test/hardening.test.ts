import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io as connect } from 'socket.io-client';
import { ErrorCode, type Notice, type Shutdown, type Tick } from '@tickfeed/protocol';
import { TickRecorder, consumer, declaration, makeTicks, range, startServer, stopAll } from './support/harness.js';
import { tcpSocketOf } from './support/raw-socket.js';

afterEach(stopAll);

function metric(text: string, name: string): number {
  const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return match === null ? Number.NaN : Number(match[1]);
}

describe('slow consumers', () => {
  it('[H1] a client that stops reading is conflated, others keep receiving every tick, and it recovers by resuming', async () => {
    const symbols = ['S0', 'S1', 'S2', 'S3'];
    const running = await startServer({ slowConsumerMaxFrames: 4, pingTimeoutMs: 60_000, pingIntervalMs: 60_000, historyTicks: 100_000 });
    const port = running.server.localIngest();
    await port.declare({ symbols: symbols.map((s) => declaration(s)) });
    const healthy = await consumer(running.url);
    const slow = await consumer(running.url);
    const healthyRecorder = new TickRecorder(healthy);
    const slowTicks: Tick[] = [];
    slow.on('ticks', (ticks) => slowTicks.push(...ticks));
    const notices: Notice[] = [];
    slow.on('notice', (n) => notices.push(n));
    await healthy.emitWithAck('subscribe', { symbols });
    const sub = await slow.emitWithAck('subscribe', { symbols });
    if (!sub.ok) throw new Error('subscribe failed');

    tcpSocketOf(slow).pause();
    // ~40 MB of ticks: far more than the kernel's socket buffers hold for the paused client.
    let seq = 0;
    for (let round = 0; round < 100; round++) {
      await port.publish({ ticks: symbols.flatMap((s) => makeTicks(s, seq + 1, 1_000)) });
      seq += 1_000;
      // Let the flush timer run between rounds, as a live feed would.
      await new Promise((r) => setTimeout(r, 2));
    }
    for (const s of symbols) await healthyRecorder.untilSeq(s, seq);
    for (const s of symbols) expect(healthyRecorder.seqs(s)).toEqual(range(1, seq));
    const metrics = await running.server.metrics.registry.getSingleMetricAsString('feed_slow_consumers_total');
    expect(metrics).toContain('policy="conflate"} 1');
    // The backlog is bounded: at most the frame cap is queued for the paused client, and it holds
    // one conflated tick per symbol instead of 40 MB of frames.
    const text = await (await fetch(`${running.url}/metrics`)).text();
    expect(metric(text, 'feed_conflating_clients')).toBe(1);
    expect(metric(text, 'feed_outbound_frames_inflight')).toBeLessThanOrEqual(4);

    tcpSocketOf(slow).resume();
    await new Promise<void>((resolve) => {
      const check = () => (notices.length > 0 && symbols.every((s) => slowTicks.some((t) => t.symbol === s && t.seq === seq)) ? resolve() : setTimeout(check, 20));
      check();
    });
    expect(notices[0]).toMatchObject({ code: ErrorCode.SLOW_CONSUMER, symbols: expect.arrayContaining(symbols) });
    // The gap is visible: the slow client did not get every tick...
    const bySymbol = (s: string) => slowTicks.filter((t) => t.symbol === s).map((t) => t.seq);
    expect(bySymbol('S0').length).toBeLessThan(seq);
    // ...and each symbol's ticks still only go forward.
    for (const s of symbols) {
      const seqs = bySymbol(s);
      expect(seqs.every((v, i) => i === 0 || v > seqs[i - 1]!)).toBe(true);
    }
    // Resuming from the last contiguous seq recovers the rest exactly.
    const lastContiguous = (s: string) => {
      const seqs = bySymbol(s);
      let last = 0;
      for (const v of seqs) if (v === last + 1) last = v;
      return last;
    };
    const resume = Object.fromEntries(symbols.map((s) => [s, { epoch: sub.subscribed[0]!.epoch, seq: lastContiguous(s) }]));
    for (const s of symbols) resume[s]!.epoch = sub.subscribed.find((x) => x.symbol === s)!.epoch;
    const recoveredFrom = Object.fromEntries(symbols.map((s) => [s, lastContiguous(s)]));
    slowTicks.length = 0;
    const again = await slow.emitWithAck('subscribe', { symbols, resume });
    expect(again.ok && again.subscribed.every((x) => x.recovered === true)).toBe(true);
    await new Promise<void>((resolve) => {
      const check = () => (symbols.every((s) => bySymbol(s).at(-1) === seq) ? resolve() : setTimeout(check, 20));
      check();
    });
    for (const s of symbols) expect(bySymbol(s)).toEqual(range(recoveredFrom[s]! + 1, seq));
  });

  it('[H2] with the disconnect policy a client that stops reading is disconnected', async () => {
    const running = await startServer({ slowConsumerMaxFrames: 2, slowConsumerPolicy: 'disconnect', pingTimeoutMs: 60_000, pingIntervalMs: 60_000 });
    const port = running.server.localIngest();
    await port.declare({ symbols: [declaration('S')] });
    const slow = await consumer(running.url);
    await slow.emitWithAck('subscribe', { symbols: ['S'] });
    tcpSocketOf(slow).pause();
    let seq = 0;
    while (running.server.core.market.get('S')!.stats.seq < 400_000) {
      const text = await running.server.metrics.registry.getSingleMetricAsString('feed_slow_consumers_total');
      if (text.includes('policy="disconnect"} 1')) break;
      await port.publish({ ticks: makeTicks('S', seq + 1, 5_000) });
      seq += 5_000;
      await new Promise((r) => setTimeout(r, 2));
    }
    const text = await (await fetch(`${running.url}/metrics`)).text();
    expect(text).toContain('feed_slow_consumers_total{policy="disconnect"} 1');
    expect(metric(text, 'feed_connections')).toBe(0);
    // Cut off while still in its rooms: it leaves the fan-out's index of them as well.
    expect(running.server.fastify.feed.fanout.membersOf('S')).toBe(0);
  });

  it('[H1] a client that upgraded from long-polling (no public handle to its socket: every frame is tracked) is held to the same cap', async () => {
    const running = await startServer({ slowConsumerMaxFrames: 3, pingTimeoutMs: 60_000, pingIntervalMs: 60_000 });
    const port = running.server.localIngest();
    await port.declare({ symbols: [declaration('S')] });
    const slow = await consumer(running.url, { transports: ['polling', 'websocket'] });
    if (slow.io.engine.transport.name !== 'websocket') await new Promise((resolve) => slow.io.engine.once('upgrade', resolve));
    await slow.emitWithAck('subscribe', { symbols: ['S'] });
    tcpSocketOf(slow).pause();
    let seq = 0;
    let inflightSeen = 0;
    while (running.server.core.market.get('S')!.stats.seq < 400_000) {
      const text = await (await fetch(`${running.url}/metrics`)).text();
      inflightSeen = Math.max(inflightSeen, metric(text, 'feed_outbound_frames_inflight'));
      if (metric(text, 'feed_conflating_clients') === 1) break;
      await port.publish({ ticks: makeTicks('S', seq + 1, 5_000) });
      seq += 5_000;
      await new Promise((r) => setTimeout(r, 2));
    }
    const text = await (await fetch(`${running.url}/metrics`)).text();
    expect(metric(text, 'feed_conflating_clients')).toBe(1);
    expect(inflightSeen).toBeGreaterThan(0);
    expect(metric(text, 'feed_outbound_frames_inflight')).toBeLessThanOrEqual(3);
    // The server has no handle to this socket to destroy at shutdown (it waits for ws's closing handshake): the client ends it.
    tcpSocketOf(slow).destroy();
  });
});

describe('dead connections', () => {
  it('[H3] a client that goes silent is dropped by the heartbeat within pingInterval + pingTimeout', async () => {
    const running = await startServer({ pingIntervalMs: 200, pingTimeoutMs: 200 });
    const silent = await consumer(running.url);
    expect(metric(await (await fetch(`${running.url}/metrics`)).text(), 'feed_connections')).toBe(1);
    const started = Date.now();
    const tcp = tcpSocketOf(silent);
    tcp.pause();
    await new Promise<void>((resolve) => {
      const check = async () => {
        const text = await (await fetch(`${running.url}/metrics`)).text();
        if (metric(text, 'feed_connections') === 0) resolve();
        else setTimeout(check, 25);
      };
      void check();
    });
    expect(Date.now() - started).toBeLessThan(200 + 200 + 500);
    tcp.destroy();
  });
});

describe('limits', () => {
  it('[H4] a message over MAX_PAYLOAD_BYTES closes that connection only', async () => {
    const running = await startServer({ maxPayloadBytes: 10_000 });
    await running.server.localIngest().declare({ symbols: [declaration('A')] });
    const other = await consumer(running.url);
    const big = await consumer(running.url);
    const reason = new Promise((resolve) => big.once('disconnect', resolve));
    big.emit('subscribe', { symbols: ['A'.repeat(20_000)] } as never, () => undefined);
    expect(await reason).toBe('transport close');
    const reply = await other.emitWithAck('subscribe', { symbols: ['A'] });
    expect(reply.ok).toBe(true);
  });

  it('[H5] consumer connections per address are capped when MAX_CONNECTIONS_PER_IP is set', async () => {
    const running = await startServer({ maxConnectionsPerIp: 2 });
    await consumer(running.url);
    await consumer(running.url);
    const third = connect(running.url, { transports: ['websocket'], forceNew: true, reconnection: false });
    const error = await new Promise<Error>((resolve) => third.once('connect_error', resolve));
    third.disconnect();
    expect(error.message).toMatch(/RATE_LIMITED/);
  });

  it('[H6] the REST API is rate limited per address when REST_RATE_LIMIT is set', async () => {
    const running = await startServer({ restRateLimitPerMin: 5 });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await fetch(`${running.url}/api/symbols`)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const body = await (await fetch(`${running.url}/api/symbols`)).json();
    expect(body).toMatchObject({ ok: false, error: { code: ErrorCode.RATE_LIMITED } });
    expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
  });

  it('[H7] browsers from origins other than the server and CORS_ORIGINS are refused', async () => {
    const running = await startServer({ corsOrigins: ['http://dev.example:5173'] });
    const handshake = (origin: string) => fetch(`${running.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin } });
    expect((await handshake('http://evil.example')).status).toBe(403);
    expect((await handshake('http://dev.example:5173')).status).toBe(200);
    const host = new URL(running.url).host;
    expect((await handshake(`http://${host}`)).status).toBe(200);
  });

  it('[H8] REST responses carry security headers and the dashboard CSP allows its WebSocket', async () => {
    const running = await startServer();
    const res = await fetch(`${running.url}/api/symbols`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toMatch(/connect-src 'self' ws: wss:/);
  });
});

describe('transport security', () => {
  it('[H9] with TLS_CERT/TLS_KEY the server speaks https and wss', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tickfeed-tls-'));
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const running = await startServer({ tlsCertFile: cert, tlsKeyFile: key });
    expect(running.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    await running.server.localIngest().declare({ symbols: [declaration('A')] });
    const client = connect(running.url, { transports: ['websocket'], forceNew: true, reconnection: false, ca: readFileSync(cert) });
    try {
      await new Promise<void>((resolve, reject) => {
        client.once('connect', resolve);
        client.once('connect_error', reject);
      });
      expect(client.io.engine.transport.name).toBe('websocket');
      const reply = await client.emitWithAck('subscribe', { symbols: ['A'] });
      expect(reply.ok).toBe(true);
    } finally {
      client.disconnect();
    }
  });
});

describe('graceful drain', () => {
  it('[H10] close() tells clients to reconnect, delivers every tick accepted before it, then disconnects', async () => {
    const running = await startServer({ flushIntervalMs: 1_000 });
    const port = running.server.localIngest();
    await port.declare({ symbols: [declaration('A')] });
    const client = await consumer(running.url);
    const recorder = new TickRecorder(client);
    await client.emitWithAck('subscribe', { symbols: ['A'] });
    const shutdown = new Promise<Shutdown>((resolve) => client.once('server:shutdown', resolve));
    const disconnected = new Promise((resolve) => client.once('disconnect', resolve));
    // With a 1 s flush interval these ticks are still queued when the drain starts.
    await port.publish({ ticks: makeTicks('A', 1, 50) });
    await running.server.close('maintenance');
    expect(await shutdown).toEqual({ reason: 'maintenance', reconnectAfterMs: 0 });
    expect(await disconnected).toBe('io server disconnect');
    expect(recorder.seqs('A')).toEqual(range(1, 50));
  });
});
