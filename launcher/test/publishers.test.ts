import { once } from 'node:events';
import { io as connectClient, type Socket } from 'socket.io-client';
import {
  DEFAULT_LIMITS,
  ErrorCode,
  INGEST_NAMESPACE,
  type DeclareReply,
  type IngestClientToServerEvents,
  type IngestServerToClientEvents,
  type SymbolDeclaration,
  type SymbolsResponse,
} from '@tickfeed/protocol';
import { createFeedServer, testServerConfig, type FeedServer, type ServerConfig } from '@tickfeed/feed-server';
import { connectIngest, parseSimulatorArgs, startSimulator } from '@tickfeed/simulator';
import { afterEach, describe, expect, it, vi } from 'vitest';

/* The simulator's socket port against the real feed server's publisher rules: large declares and ownership across reconnects. */

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => {});
});

async function startServer(overrides: Partial<ServerConfig> = {}): Promise<{ server: FeedServer; url: string }> {
  const server = await createFeedServer(testServerConfig(overrides));
  cleanups.push(() => server.close());
  const { url } = await server.listen();
  return { server, url };
}

async function allSymbols(url: string): Promise<string[]> {
  const symbols: string[] = [];
  let cursor: string | null = null;
  do {
    const response: Response = await fetch(`${url}/api/symbols?limit=${DEFAULT_LIMITS.maxSymbolsPerPage}${cursor === null ? '' : `&cursor=${cursor}`}`);
    const body = (await response.json()) as SymbolsResponse;
    symbols.push(...body.symbols.map((s) => s.meta.symbol));
    cursor = body.nextCursor;
  } while (cursor !== null);
  return symbols;
}

describe('publishers over a real /ingest socket', () => {
  it('[R44] a 10,000-symbol declare (over 1 MB of JSON) reaches the server: the port splits it to fit MAX_PAYLOAD_BYTES; the connection stays up', async () => {
    const { server, url } = await startServer();
    const port = await connectIngest({ url, token: 'test-token' });
    cleanups.push(() => port.close());
    const producers = server.io.of(INGEST_NAMESPACE);
    const [socketId] = [...producers.sockets.keys()];
    const declarations: SymbolDeclaration[] = Array.from({ length: DEFAULT_LIMITS.maxSymbolsPerDeclare }, (_, i) => ({
      symbol: `SYM${String(i).padStart(5, '0')}`,
      name: `Synthetic Company ${i}`,
      kind: 'equity',
      currency: 'USD',
      tickSize: 0.01,
      refPrice: 100 + (i % 400) / 4,
    }));
    // One message would exceed the server's payload limit and close the connection without an answer.
    expect(Buffer.byteLength(JSON.stringify({ symbols: declarations }))).toBeGreaterThan(DEFAULT_LIMITS.maxPayloadBytes);
    const reply = (await port.declare({ symbols: declarations })) as DeclareReply;
    if (!reply.ok) throw new Error(`declare failed: ${reply.error.message}`);
    expect(reply.declared.map((d) => d.symbol)).toEqual(declarations.map((d) => d.symbol));
    expect(reply.rejected).toEqual([]);
    expect(server.core.market.size).toBe(10_000);
    expect([...producers.sockets.keys()]).toEqual([socketId]);
    const last = declarations.at(-1)!;
    const published = await port.publish({ ticks: [{ symbol: last.symbol, seq: 1, ts: Date.now(), price: 101, size: 5, bid: 100.99, ask: 101.01 }] });
    expect(published).toEqual({ ok: true, accepted: 1, rejected: [] });
    expect(await allSymbols(url)).toEqual(declarations.map((d) => d.symbol));
  });

  it('[R44] `--symbols 10000` live over a socket declares every symbol and publishes', async () => {
    const { server, url } = await startServer();
    const port = await connectIngest({ url, token: 'test-token' });
    cleanups.push(() => port.close());
    const sim = await startSimulator(parseSimulatorArgs(['--symbols', '10000', '--rate', '200', '--always-open']), port, { terminal: null });
    cleanups.push(() => sim.stop());
    await vi.waitFor(() => expect(sim.stats().publisher.accepted).toBeGreaterThan(20), { timeout: 20_000, interval: 100 });
    expect(server.core.market.size).toBe(10_000);
    expect(sim.stats().publisher.rejected).toBe(0);
  });

  it('[R46] the simulator\'s port sends a stable publisherId: while it reconnects, its symbols are not free for another publisher', async () => {
    const { server, url } = await startServer({ publisherGraceMs: 10_000 });
    const port = await connectIngest({ url, token: 'test-token', retryDelayMs: 300 });
    cleanups.push(() => port.close());
    const sim = await startSimulator(parseSimulatorArgs(['--symbols', 'AAPL,BTC-USD', '--rate', '200', '--batch-ms', '20', '--always-open']), port, { terminal: null });
    cleanups.push(() => sim.stop());
    await vi.waitFor(() => expect(sim.stats().publisher.accepted).toBeGreaterThan(10), { timeout: 10_000 });

    const producers = server.io.of(INGEST_NAMESPACE);
    const rival: Socket<IngestServerToClientEvents, IngestClientToServerEvents> = connectClient(`${url}${INGEST_NAMESPACE}`, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      auth: { token: 'test-token', publisherId: 'rival' },
    });
    cleanups.push(async () => {
      rival.disconnect();
    });
    await new Promise<void>((resolve) => rival.once('connect', () => resolve()));
    const simSocket = [...producers.sockets.values()].find((s) => (s.handshake.auth as { publisherId?: string }).publisherId === port.publisherId)!;
    expect(simSocket).toBeDefined();
    const reconnected = once(producers, 'connection');
    simSocket.disconnect(true);
    // The simulator is away (it retries after 300 ms): its symbols still belong to it.
    const refused = (await rival.emitWithAck('declare', { symbols: [{ symbol: 'AAPL', name: 'x', kind: 'equity', currency: 'USD', tickSize: 0.01, refPrice: 1 }] })) as DeclareReply;
    expect(refused).toMatchObject({ ok: true, declared: [], rejected: [{ symbol: 'AAPL', code: ErrorCode.NOT_OWNER }] });
    await reconnected;
    const before = sim.stats().publisher.accepted;
    await vi.waitFor(() => expect(sim.stats().publisher.accepted).toBeGreaterThan(before + 10), { timeout: 10_000 });
    expect(sim.stats().publisher.rejected).toBe(0);
    expect(sim.stats().publisher.resyncs).toBeGreaterThanOrEqual(1);
  });
});
