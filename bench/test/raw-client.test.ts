import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Server } from 'socket.io';
import { io as ioClient, type Socket as ClientSocket } from 'socket.io-client';
import { Events } from '@tickfeed/protocol';
import { RawSocketIoClient } from '../src/raw-client.js';

/**
 * The raw client against a real Socket.IO server, side by side with a real
 * socket.io-client: both must see the same events and acks.
 */
describe('raw Engine.IO client', () => {
  const http = createServer();
  const io = new Server(http, { pingInterval: 50, pingTimeout: 400 });
  let url = '';
  const opened: { close(): unknown }[] = [];

  beforeAll(async () => {
    io.on('connection', (socket) => {
      socket.on(Events.subscribe, (req: { symbols: string[] }, ack: (reply: unknown) => void) => {
        for (const s of req.symbols) void socket.join(s);
        ack({ ok: true, subscribed: req.symbols.map((symbol) => ({ symbol, epoch: 'e1', snapshot: { seq: 0, price: 1.25 } })), rejected: [], note: 'ünïcödé ✓' });
      });
    });
    io.of('/ingest')
      .use((socket, next) => next((socket.handshake.auth as { token?: string }).token === 'secret' ? undefined : new Error('UNAUTHORIZED')))
      .on('connection', (socket) => {
        socket.on('echo', (payload: unknown, ack: (a: unknown, b: unknown) => void) => ack(payload, 'second'));
      });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await Promise.all(opened.map((c) => c.close()));
    await new Promise<void>((resolve) => void io.close(() => resolve()));
  });

  it('[B1] receives exactly the events and acks socket.io-client receives', async () => {
    const rawEvents: unknown[] = [];
    const realEvents: unknown[] = [];
    const total = 50;
    let rawDone: () => void = () => undefined;
    let realDone: () => void = () => undefined;
    const rawAll = new Promise<void>((r) => (rawDone = r));
    const realAll = new Promise<void>((r) => (realDone = r));

    const raw = new RawSocketIoClient({
      url,
      onEvent: (name, args) => {
        if (name !== Events.ticks) return;
        rawEvents.push(args[0]);
        if (rawEvents.length === total) rawDone();
      },
    });
    opened.push(raw);
    await raw.connect();
    const real: ClientSocket = ioClient(url, { transports: ['websocket'] });
    opened.push(real);
    real.on(Events.ticks, (ticks: unknown) => {
      realEvents.push(ticks);
      if (realEvents.length === total) realDone();
    });

    const [rawAck] = await raw.emitWithAck(Events.subscribe, [{ symbols: ['AAA', 'BBB'] }]);
    const realAck: unknown = await real.emitWithAck(Events.subscribe, { symbols: ['AAA', 'BBB'] });
    expect(rawAck).toEqual(realAck);
    expect(rawAck).toMatchObject({ ok: true, note: 'ünïcödé ✓' });

    for (let i = 1; i <= total; i++) {
      const batch = [
        { symbol: 'AAA', seq: i, ts: 1_700_000_000_000 + i, price: 100 + i / 100, size: i, bid: 99.99, ask: 100.01 },
        ...(i % 3 === 0 ? [{ symbol: 'BBB', seq: i / 3, ts: 1_700_000_000_000 + i, price: 0.1, size: 0, bid: 0.09, ask: 0.11 }] : []),
      ];
      io.to(i % 2 ? 'AAA' : 'BBB').emit(Events.ticks, batch);
    }
    await Promise.all([rawAll, realAll]);
    expect(rawEvents).toEqual(realEvents);
    expect(rawEvents).toHaveLength(total);
  });

  it('[B1] answers every ping, so the server keeps the connection past several ping timeouts', async () => {
    const raw = new RawSocketIoClient({ url });
    opened.push(raw);
    await raw.connect();
    expect(raw.open).toMatchObject({ pingInterval: 50, pingTimeout: 400 });
    const sid = raw.sid;
    // Wait until 20 pings (1 s, 2.5 pingTimeouts) have been answered: the server would have dropped a silent client.
    await new Promise<void>((resolve) => {
      const server = [...io.of('/').sockets.values()].find((s) => s.id === sid);
      expect(server).toBeDefined();
      server?.conn.on('packet', (p: { type: string }) => {
        if (p.type === 'pong' && raw.pongs >= 20) resolve();
      });
    });
    expect(raw.connected).toBe(true);
    expect(io.of('/').sockets.has(sid ?? '')).toBe(true);
  });

  it('[B1] connects a namespace with auth, gets multi-argument acks, and reports a refused connect', async () => {
    const raw = new RawSocketIoClient({ url, namespace: '/ingest', auth: { token: 'secret' } });
    opened.push(raw);
    await raw.connect();
    expect(await raw.emitWithAck('echo', [{ n: [1, 2, 3] }])).toEqual([{ n: [1, 2, 3] }, 'second']);

    const refused = new RawSocketIoClient({ url, namespace: '/ingest', auth: { token: 'wrong' } });
    opened.push(refused);
    await expect(refused.connect()).rejects.toThrow(/UNAUTHORIZED/);
  });

  it('[B1] reports the server closing the connection', async () => {
    let reason = '';
    let closed: () => void = () => undefined;
    const gone = new Promise<void>((r) => (closed = r));
    const raw = new RawSocketIoClient({
      url,
      onClose: (r) => {
        reason = r;
        closed();
      },
    });
    opened.push(raw);
    await raw.connect();
    io.of('/').sockets.get(raw.sid ?? '')?.disconnect(true);
    await gone;
    expect(raw.connected).toBe(false);
    expect(reason).toMatch(/disconnected|closed/);
  });
});
