import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { io as connectClient, type Socket } from 'socket.io-client';
import {
  INGEST_NAMESPACE,
  type Candle,
  type ControlReply,
  type FeedControl,
  type CandlesResponse,
  type ClientToServerEvents,
  type FeedStatus,
  type Reset,
  type ServerToClientEvents,
  type SymbolInfo,
  type SubscribeReply,
  type Tick,
} from '@tickfeed/protocol';
import { createFeedServer, testServerConfig, type FeedServer } from '@tickfeed/feed-server';
import { connectIngest, parseSimulatorArgs, startSimulator, type RunningSimulator, type SocketIngestPort } from '@tickfeed/simulator';
import { afterEach, describe, expect, it } from 'vitest';

/*
 * Integration of the simulator with the real feed server: replay over a real
 * socket into /ingest, controls through POST /api/feed/control, and live
 * publishing across connection drops. The real tapes live beside the
 * repository in ../shared/data and are not copied into it.
 */

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const dataDir = path.resolve(repoRoot, '../shared/data');
const AMZN = path.join(dataDir, 'AMZN-2012-06-21-trades.csv');
const AAPL = path.join(dataDir, 'AAPL-2012-06-21-trades.csv');
const CLI = path.join(repoRoot, 'simulator/dist/main.js');

function requireTape(file: string): string {
  if (!existsSync(dataDir)) {
    throw new Error(`the real trade tapes are missing: expected the directory ${dataDir} (../shared/data beside the repository, see its README.md); these tests read it and cannot run without it`);
  }
  if (!existsSync(file)) throw new Error(`the real trade tape ${file} is missing from ${dataDir}`);
  return file;
}

type Consumer = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Everything started by one test, stopped in afterEach even when the test fails. */
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => {});
});

async function startServer(): Promise<{ server: FeedServer; url: string }> {
  const server = await createFeedServer(testServerConfig());
  cleanups.push(() => server.close());
  const { url } = await server.listen();
  return { server, url };
}

async function startProducer(url: string, argv: string[]): Promise<{ port: SocketIngestPort; sim: RunningSimulator }> {
  const port = await connectIngest({ url, token: 'test-token', retryDelayMs: 50 });
  cleanups.push(() => port.close());
  const sim = await startSimulator(parseSimulatorArgs(argv), port, { terminal: null });
  cleanups.push(() => sim.stop());
  return { port, sim };
}

async function consumer(url: string): Promise<Consumer> {
  const socket: Consumer = connectClient(url, { transports: ['websocket'], reconnection: false });
  cleanups.push(async () => {
    socket.disconnect();
  });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return socket;
}

async function subscribe(socket: Consumer, symbols: string[]) {
  const reply: SubscribeReply = await socket.emitWithAck('subscribe', { symbols });
  if (!reply.ok) throw new Error(`subscribe failed: ${reply.error.message}`);
  return reply;
}

/** Collects a consumer's ticks and resolves waits as they arrive. */
function tickLog(socket: Consumer) {
  const ticks: Tick[] = [];
  let waiters: Array<() => void> = [];
  socket.on('ticks', (batch) => {
    ticks.push(...batch);
    const w = waiters;
    waiters = [];
    for (const resolve of w) resolve();
  });
  return {
    ticks,
    async until(predicate: (ticks: Tick[]) => boolean): Promise<void> {
      while (!predicate(ticks)) await new Promise<void>((resolve) => waiters.push(resolve));
    },
  };
}

/**
 * What a seek to `to` does at 60×: the reply's clock is the target or just past it (the replay
 * runs on while the reply is built), subscribers get a reset into a new epoch, and the ticks
 * from `to` on count from 1.
 */
async function expectSeeked(
  replyClock: number | null | undefined,
  to: number,
  reset: Promise<Reset>,
  oldEpoch: string,
  log: ReturnType<typeof tickLog>,
): Promise<void> {
  const clock = replyClock ?? Number.NaN;
  expect(clock).toBeGreaterThanOrEqual(to);
  expect(clock).toBeLessThan(to + 60 * 1_000);
  const r = await reset;
  expect(r).toMatchObject({ reason: 'seek', snapshot: { seq: 0 } });
  expect(r.epoch).not.toBe(oldEpoch);
  await log.until((t) => t.some((x) => x.ts >= to && x.seq >= 3));
  const after = log.ticks.filter((t) => t.ts >= to);
  expect(after.map((t) => t.seq)).toEqual(after.map((_, i) => i + 1));
}

/** Resolves with the first event value that satisfies the predicate. */
function nextEvent<E extends 'feed:status' | 'reset'>(
  socket: Consumer,
  event: E,
  predicate: (value: E extends 'reset' ? Reset : FeedStatus) => boolean,
): Promise<E extends 'reset' ? Reset : FeedStatus> {
  type V = E extends 'reset' ? Reset : FeedStatus;
  return new Promise<V>((resolve) => {
    const listener = (value: V) => {
      if (!predicate(value)) return;
      socket.off(event, listener as never);
      resolve(value);
    };
    socket.on(event, listener as never);
  });
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function control(url: string, body: unknown, token = 'test-admin') {
  const res = await fetch(`${url}/api/feed/control`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { ok: boolean; status?: FeedStatus; error?: { code: string } } };
}

/** 1-minute OHLCV straight from the CSV, independent of the protocol's aggregation code. */
async function minuteBarsFromFile(file: string): Promise<{ bars: Candle[]; rows: number; volume: number }> {
  const bars: Candle[] = [];
  let rows = 0;
  let volume = 0;
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let header = true;
  for await (const line of lines) {
    if (header) {
      header = false;
      continue;
    }
    if (line.trim() === '') continue;
    const [ts, price, size] = line.split(',');
    const t = Date.parse(ts!);
    const p = Number(price);
    const s = Number(size);
    const time = Math.floor(t / 60_000) * 60_000;
    const bar = bars.at(-1);
    if (bar === undefined || bar.time !== time) bars.push({ time, open: p, high: p, low: p, close: p, volume: s });
    else {
      bar.high = Math.max(bar.high, p);
      bar.low = Math.min(bar.low, p);
      bar.close = p;
      bar.volume += s;
    }
    rows++;
    volume += s;
  }
  return { bars, rows, volume };
}

describe('replay into the real feed server', () => {
  it('[S23] replaying the AMZN tape at --speed max over /ingest gives REST 1-minute candles equal to the file, every minute, and the snapshot volume equals the file total', async () => {
    const tape = requireTape(AMZN);
    const expected = await minuteBarsFromFile(tape);
    expect(expected.rows).toBe(11_419);
    const { url } = await startServer();
    const { sim } = await startProducer(url, ['--replay', tape, '--speed', 'max']);
    await sim.ended;
    expect(sim.stats().publisher).toMatchObject({ accepted: 11_419, rejected: 0, dropped: 0 });

    const candles = await getJson<CandlesResponse>(`${url}/api/symbols/AMZN/candles?interval=1m&limit=2000`);
    expect(candles.seq).toBe(11_419);
    expect(candles.candles).toHaveLength(expected.bars.length);
    expect(candles.candles).toEqual(expected.bars);
    const { snapshot } = await getJson<SymbolInfo>(`${url}/api/symbols/AMZN`);
    expect(snapshot.volume).toBe(expected.volume);
    expect(snapshot.seq).toBe(11_419);
    const feed = await getJson<FeedStatus>(`${url}/api/feed`);
    expect(feed).toMatchObject({ mode: 'replay', state: 'ended', completions: 1, clock: Date.parse('2012-06-21T19:59:59.545Z'), source: 'replay of AMZN-2012-06-21-trades.csv' });
  });

  it('[S24] pause and resume through POST /api/feed/control reach the simulator; every client sees the feed status', async () => {
    const tape = requireTape(AMZN);
    const { url } = await startServer();
    await startProducer(url, ['--replay', tape, '--speed', '60']);
    const client = await consumer(url);
    const log = tickLog(client);
    await subscribe(client, ['AMZN']);
    await log.until((t) => t.length >= 3);

    expect(await control(url, { action: 'pause' }, 'wrong')).toMatchObject({ status: 401, body: { ok: false, error: { code: 'UNAUTHORIZED' } } });

    const pausedEvent = nextEvent(client, 'feed:status', (s) => s.state === 'paused');
    const paused = await control(url, { action: 'pause' });
    expect(paused).toMatchObject({ status: 200, body: { ok: true, status: { mode: 'replay', state: 'paused', speed: 60, controllable: true } } });
    expect((await pausedEvent).clock).toBe(paused.body.status!.clock);
    expect(await getJson<FeedStatus>(`${url}/api/feed`)).toMatchObject({ state: 'paused', clock: paused.body.status!.clock });

    const resumedEvent = nextEvent(client, 'feed:status', (s) => s.state === 'playing');
    const resumed = await control(url, { action: 'resume' });
    expect(resumed).toMatchObject({ status: 200, body: { ok: true, status: { state: 'playing' } } });
    await resumedEvent;
    const count = log.ticks.length;
    await log.until((t) => t.length > count + 2);
    const seqs = log.ticks.map((t) => t.seq);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
  });

  it('[S24] seek and speed through POST /api/feed/control: a seek resets subscribers into a new epoch whose seq starts at 1', async () => {
    const tape = requireTape(AMZN);
    const { url } = await startServer();
    await startProducer(url, ['--replay', tape, '--speed', '60']);
    const client = await consumer(url);
    const log = tickLog(client);
    const { subscribed } = (await subscribe(client, ['AMZN'])) as { subscribed: Array<{ epoch: string }> };
    await log.until((t) => t.length >= 3);

    const to = Date.parse('2012-06-21T15:00:00Z');
    const reset = nextEvent(client, 'reset', (r) => r.symbol === 'AMZN');
    const seeked = await control(url, { action: 'seek', to });
    expect(seeked).toMatchObject({ status: 200, body: { ok: true, status: { marker: 'seeked', state: 'playing' } } });
    await expectSeeked(seeked.body.status?.clock, to, reset, subscribed[0]!.epoch, log);

    const faster = await control(url, { action: 'speed', speed: 'max' });
    expect(faster).toMatchObject({ status: 200, body: { ok: true, status: { speed: 'max' } } });
  });

  it("[S20] [S24] a seek sent as the server's control event over the real /ingest socket resets subscribers into a new epoch", async () => {
    const tape = requireTape(AMZN);
    const { server, url } = await startServer();
    await startProducer(url, ['--replay', tape, '--speed', '60']);
    const client = await consumer(url);
    const log = tickLog(client);
    const { subscribed } = (await subscribe(client, ['AMZN'])) as { subscribed: Array<{ epoch: string }> };
    await log.until((t) => t.length >= 3);

    // The server's own path to the producer: its control event on the /ingest socket.
    type ProducerSocket = { timeout(ms: number): { emitWithAck(event: 'control', command: FeedControl): Promise<ControlReply> } };
    const producer = [...server.io.of(INGEST_NAMESPACE).sockets.values()][0]! as unknown as ProducerSocket;
    const to = Date.parse('2012-06-21T15:00:00Z');
    const reset = nextEvent(client, 'reset', (r) => r.symbol === 'AMZN');
    const reply = await producer.timeout(5_000).emitWithAck('control', { action: 'seek', to });
    expect(reply).toMatchObject({ ok: true, status: { marker: 'seeked' } });
    await expectSeeked(reply.ok ? reply.status.clock : null, to, reset, subscribed[0]!.epoch, log);
    expect(await getJson<FeedStatus>(`${url}/api/feed`)).toMatchObject({ mode: 'replay', speed: 60 });
  });
});

describe('live publishing over /ingest', () => {
  it('[S25] seq continues with no gap and no duplicate after the connection drops and comes back (network loss and server-side disconnect)', async () => {
    const { server, url } = await startServer();
    const { sim } = await startProducer(url, ['--symbols', 'AAPL,BTC-USD', '--rate', '400', '--batch-ms', '20', '--always-open']);
    const client = await consumer(url);
    const log = tickLog(client);
    await subscribe(client, ['AAPL', 'BTC-USD']);
    const aapl = () => log.ticks.filter((t) => t.symbol === 'AAPL');
    await log.until(() => aapl().length >= 20);

    const producers = server.io.of(INGEST_NAMESPACE);
    // 1. The transport dies (as with a network failure): socket.io reconnects by itself.
    let reconnected = once(producers, 'connection');
    for (const [, socket] of producers.sockets) socket.conn.close();
    await reconnected;
    let mark = aapl().length;
    await log.until(() => aapl().length >= mark + 20);

    // 2. The server disconnects the producer: socket.io would stay away; the port reconnects anyway.
    reconnected = once(producers, 'connection');
    for (const [, socket] of producers.sockets) socket.disconnect(true);
    await reconnected;
    mark = aapl().length;
    await log.until(() => aapl().length >= mark + 20);

    for (const symbol of ['AAPL', 'BTC-USD']) {
      const seqs = log.ticks.filter((t) => t.symbol === symbol).map((t) => t.seq);
      expect(seqs.length).toBeGreaterThan(0);
      expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
    }
    const stats = sim.stats().publisher;
    expect(stats.rejected).toBe(0);
    expect(stats.resyncs).toBeGreaterThanOrEqual(2);
    const ts = aapl().map((t) => t.ts);
    expect(ts).toEqual([...ts].sort((a, b) => a - b));
  });
});

/** Runs the standalone simulator CLI (built: simulator/dist/main.js); resolves with its exit code and stderr. */
function runCli(args: string[]): { child: ChildProcess; exited: Promise<{ code: number | null; stderr: string }> } {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build the simulator first (npx tsc -b simulator, or npm test from the root)`);
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
  cleanups.push(async () => {
    if (child.exitCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return { child, exited };
}

describe('the simulate command line against the real server', () => {
  it('[S15] [S23] `simulate --replay AAPL tape --speed max` publishes every trade with bid = ask = price (no quote in the file) and exits 0 at the end', async () => {
    const tape = requireTape(AAPL);
    const { url } = await startServer();
    const { exited } = runCli(['--url', url, '--token', 'test-token', '--replay', tape, '--speed', 'max']);
    const { code, stderr } = await exited;
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/replay: completed/);
    const { snapshot } = await getJson<SymbolInfo>(`${url}/api/symbols/AAPL`);
    expect(snapshot.seq).toBe(6_268);
    expect(snapshot.bid).toBe(snapshot.last);
    expect(snapshot.ask).toBe(snapshot.last);
  });

  it('[S10] [S25] `simulate --url --token --symbols` publishes live until SIGINT, then exits 0; a wrong token is a clear error', async () => {
    const { url } = await startServer();
    const bad = await runCli(['--url', url, '--token', 'nope', '--symbols', 'AAPL']).exited;
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/refused the ingest connection: UNAUTHORIZED/);

    const client = await consumer(url);
    const log = tickLog(client);
    const { child, exited } = runCli(['--url', url, '--token', 'test-token', '--symbols', 'AAPL,ETH-USD', '--rate', '100', '--seed', '3']);
    await nextEvent(client, 'feed:status', (s) => s.mode === 'live' && s.source === 'simulation: seed 3, 2 symbols');
    await subscribe(client, ['AAPL', 'ETH-USD']);
    await log.until((t) => t.length >= 10);
    child.kill('SIGINT');
    const { code, stderr } = await exited;
    expect(code, stderr).toBe(0);
  });
});
