import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io as ioClient, type Socket } from 'socket.io-client';
import { createFeedServer, testServerConfig, type FeedServer } from '@tickfeed/feed-server';
import { Events, type IngestPort, type ServerToClientEvents, type ClientToServerEvents, type SubscribeReply, type Tick, createRandom } from '@tickfeed/protocol';
import { RawSocketIoClient } from '../src/raw-client.js';
import { TickFactory, benchDeclarations, benchSymbols } from '../src/tick-factory.js';

/**
 * The raw client against the real feed server, beside socket.io-client: the
 * feed server builds its frames by hand, so this is where a decoding
 * difference would show.
 */
describe('raw client against the feed server', () => {
  let server: FeedServer;
  let url = '';
  let ingest: IngestPort;
  let real: Socket<ServerToClientEvents, ClientToServerEvents> | null = null;
  let raw: RawSocketIoClient | null = null;
  const symbols = benchSymbols(5);

  beforeAll(async () => {
    server = await createFeedServer(testServerConfig());
    ({ url } = await server.listen());
    ingest = server.localIngest();
    const reply = await ingest.declare({ symbols: benchDeclarations(symbols) });
    expect(reply.ok).toBe(true);
  });

  afterAll(async () => {
    real?.disconnect();
    await raw?.close();
    await ingest?.close();
    await server?.close();
  });

  it('[B1] receives the same acks and the same ticks, in the same order per symbol, as socket.io-client', async () => {
    const wanted = symbols.slice(0, 3);
    const total = 600;
    const factory = new TickFactory(symbols, createRandom(5, 'bench'));
    const ticks: Tick[] = Array.from({ length: total }, (_, i) => factory.next(1_700_000_000_000 + i));
    const expectedCount = ticks.filter((t) => wanted.includes(t.symbol)).length;

    const rawTicks: Tick[] = [];
    const realTicks: Tick[] = [];
    let rawDone: () => void = () => undefined;
    let realDone: () => void = () => undefined;
    const rawAll = new Promise<void>((r) => (rawDone = r));
    const realAll = new Promise<void>((r) => (realDone = r));

    raw = new RawSocketIoClient({
      url,
      onEvent: (name, args) => {
        if (name !== Events.ticks) return;
        rawTicks.push(...(args[0] as Tick[]));
        if (rawTicks.length >= expectedCount) rawDone();
      },
    });
    await raw.connect();
    real = ioClient(url, { transports: ['websocket'] });
    real.on(Events.ticks, (batch) => {
      realTicks.push(...batch);
      if (realTicks.length >= expectedCount) realDone();
    });

    const [rawAck] = (await raw.emitWithAck(Events.subscribe, [{ symbols: wanted }])) as [SubscribeReply];
    const realAck = await real.emitWithAck(Events.subscribe, { symbols: wanted });
    expect(rawAck).toEqual(realAck);
    expect(rawAck.ok).toBe(true);

    for (let i = 0; i < total; i += 50) {
      const r = await ingest.publish({ ticks: ticks.slice(i, i + 50) });
      expect(r).toMatchObject({ ok: true, accepted: 50 });
    }
    await Promise.all([rawAll, realAll]);
    const bySymbol = (list: Tick[]) => wanted.map((s) => list.filter((t) => t.symbol === s));
    expect(bySymbol(rawTicks)).toEqual(bySymbol(realTicks));
    expect(bySymbol(rawTicks)).toEqual(bySymbol(ticks.filter((t) => wanted.includes(t.symbol))));
    expect(rawTicks).toHaveLength(expectedCount);
  });
});
