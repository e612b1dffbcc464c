import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFeedServer, testServerConfig, type FeedServer } from '@tickfeed/feed-server';
import type { SymbolDeclaration, Tick } from '@tickfeed/protocol';
import type { BenchPlan } from './bench-options.js';
import { Rig, startServer, type ProcessFigures } from './rig.js';
import { fmtInt, serverOptions, type Log } from './suites.js';

/** The persistence suite (D38): what the durable store (DATA_DIR) costs and how fast it starts and reads. */
export interface PersistenceResult {
  /** Ingest over /ingest into a server with DATA_DIR (GROUP_COMMIT=fsync), its own core: ticks/s acked. */
  ingestPerSec: number;
  ingestAckP99Ms: number;
  ingestNoLoss: boolean;
  server: ProcessFigures;
  /** In-process ingest (the embedded simulator's path) with persistence while building the day below, ticks/s. */
  buildPerSec: number;
  /** The stored day: ticks, symbols, bytes on disk. */
  dayTicks: number;
  daySymbols: number;
  diskMb: number;
  /** createFeedServer on that directory until ready: checkpoint, history rings, log tail. */
  startupMs: number;
  /** GET …/ticks?after= older than the in-memory history (read from the log), 1,000 ticks: median and p99 ms. */
  tickRangeMs: { p50: number; p99: number };
  /** GET …/candles?before= older than the in-memory window (read from the candle archive), 500 candles: median and p99 ms. */
  candleRangeMs: { p50: number; p99: number };
}

/** The embedded default universe's size and rate: 36 symbols, about 81 ticks/s in all, so a day is about 7 million ticks. */
const DAY_SYMBOLS = 36;
const DAY_RATE = 81;
const BATCH = 2_000;

export async function runPersistence(plan: BenchPlan, log: Log): Promise<PersistenceResult> {
  const quick = plan.options.quick;
  const root = mkdtempSync(join(tmpdir(), 'tickfeed-bench-store-'));
  try {
    // 1. Ingest over /ingest with persistence: the server alone on its core, acks after fdatasync.
    const server = await startServer('feed', { ...serverOptions(plan), env: { DATA_DIR: join(root, 'ingest') } });
    let rig: Rig | null = null;
    let ingest;
    try {
      rig = await Rig.start({ servers: [server], groups: [], symbols: plan.options.symbols, seed: plan.options.seed, criteria: plan.criteria, nice: plan.options.nice });
      ingest = await rig.flood(plan.ingest);
    } finally {
      await rig?.close();
      await server.child.stop();
    }
    const report = ingest.report;
    log(`persistence: ingest with DATA_DIR ${fmtInt(report.acceptedPerSec)} ticks/s acked (ack p99 ${report.ack.p99Ms.toFixed(1)} ms), server CPU ${ingest.server.cpuPct.toFixed(0)}%`);

    // 2. A day at the default rate, built through the in-process ingest path (validation, market state, log).
    const dayTicks = quick ? Math.round((DAY_RATE * 86_400) / 10) : DAY_RATE * 86_400;
    const dir = join(root, 'day');
    // Fewer in-memory candles than the default so that the day's 1-minute candles reach the archive too.
    const config = testServerConfig({ dataDir: dir, candlesPerInterval: 500, logLevel: 'silent', groupCommit: 'fsync' });
    let feed: FeedServer = await createFeedServer(config);
    const port = feed.localIngest();
    const symbols: SymbolDeclaration[] = Array.from({ length: DAY_SYMBOLS }, (_, i) => ({
      symbol: `S${String(i).padStart(3, '0')}`,
      name: `Symbol ${i}`,
      kind: 'equity',
      currency: 'USD',
      tickSize: 0.01,
      refPrice: 100,
    }));
    await port.declare({ symbols });
    // The day ends now, so time-based limits on the server see ordinary live ticks.
    const dayStart = Date.now() - Math.ceil((dayTicks * 1_000) / DAY_RATE);
    const seqs = new Array<number>(DAY_SYMBOLS).fill(0);
    const buildStarted = performance.now();
    for (let done = 0; done < dayTicks; ) {
      const ticks: Tick[] = [];
      const n = Math.min(BATCH, dayTicks - done);
      for (let i = 0; i < n; i++) {
        const k = (done + i) % DAY_SYMBOLS;
        const seq = ++seqs[k]!;
        const ts = dayStart + Math.floor(((done + i) * 1_000) / DAY_RATE);
        const price = Math.round((100 + Math.sin(seq / 50) * 5) * 100) / 100;
        ticks.push({ symbol: symbols[k]!.symbol, seq, ts, price, size: 100 + (seq % 7), bid: price - 0.01, ask: price + 0.01 });
      }
      const reply = await port.publish({ ticks });
      if (!reply.ok || reply.accepted !== n) throw new Error(`building the day: ${JSON.stringify(reply).slice(0, 300)}`);
      done += n;
      if (done % 1_000_000 < BATCH) log(`persistence: building a day… ${fmtInt(done)} / ${fmtInt(dayTicks)} ticks`);
    }
    const buildPerSec = dayTicks / ((performance.now() - buildStarted) / 1000);
    const metrics = await (await feed.fastify.inject({ url: '/metrics' })).body;
    const diskMb = Number(/^feed_store_disk_bytes (\d+)/m.exec(metrics)?.[1] ?? 0) / 1_048_576;
    await port.close();
    await feed.close();
    const started = performance.now();
    feed = await createFeedServer(config);
    const startupMs = performance.now() - started;
    log(`persistence: a day of ${fmtInt(dayTicks)} ticks (${diskMb.toFixed(0)} MB) built at ${fmtInt(buildPerSec)} ticks/s in-process; start-up ${fmtInt(startupMs)} ms`);

    // 3. Range reads beyond memory, through REST.
    const tickTimes: number[] = [];
    const candleTimes: number[] = [];
    const perSymbol = Math.floor(dayTicks / DAY_SYMBOLS);
    for (let i = 0; i < 200; i++) {
      const symbol = symbols[i % DAY_SYMBOLS]!.symbol;
      const after = Math.floor(((i * 7_919) % 1_000) / 1_000 * Math.max(1, perSymbol - 20_000));
      let t = performance.now();
      const ticks = await feed.fastify.inject({ url: `/api/symbols/${symbol}/ticks?after=${after}&limit=1000` });
      tickTimes.push(performance.now() - t);
      const body = JSON.parse(ticks.body) as { complete: boolean; ticks: unknown[] };
      if (!body.complete || body.ticks.length !== 1_000) throw new Error(`range read by seq after ${after}: ${body.ticks.length} ticks, complete ${body.complete}`);
      const span = (dayTicks * 1_000) / DAY_RATE;
      const before = dayStart + 60_000 + Math.floor((((i * 7_919) % 1_000) / 1_000) * Math.max(60_000, span - 520 * 60_000));
      t = performance.now();
      const candles = await feed.fastify.inject({ url: `/api/symbols/${symbol}/candles?interval=1m&before=${before}&limit=500` });
      candleTimes.push(performance.now() - t);
      if ((JSON.parse(candles.body) as { candles: unknown[] }).candles.length === 0) throw new Error('range read by time: no candles');
    }
    await feed.close();
    const result: PersistenceResult = {
      ingestPerSec: report.acceptedPerSec,
      ingestAckP99Ms: report.ack.p99Ms,
      ingestNoLoss: report.accepted === report.sent && report.rejected === 0 && report.failedRequests === 0,
      server: ingest.server,
      buildPerSec,
      dayTicks,
      daySymbols: DAY_SYMBOLS,
      diskMb,
      startupMs,
      tickRangeMs: quantiles(tickTimes),
      candleRangeMs: quantiles(candleTimes),
    };
    log(
      `persistence: range reads beyond memory: 1,000 ticks by seq p50/p99 ${result.tickRangeMs.p50.toFixed(1)}/${result.tickRangeMs.p99.toFixed(1)} ms, 500 candles by time ${result.candleRangeMs.p50.toFixed(1)}/${result.candleRangeMs.p99.toFixed(1)} ms`,
    );
    return result;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function quantiles(values: number[]): { p50: number; p99: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { p50: at(0.5), p99: at(0.99) };
}
