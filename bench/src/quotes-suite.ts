import { Events, createRandom, type Snapshot, type Tick } from '@tickfeed/protocol';
import type { BenchPlan } from './bench-options.js';
import { startChild } from './child-process.js';
import { Histogram, summarizeMicros, type LatencySummary } from './histogram.js';
import { cpuPercent, sampleProcess } from './proc-stats.js';
import type { PublisherApi } from './publisher.js';
import { RawSocketIoClient } from './raw-client.js';
import { CLIENT_CPU, INGEST_TOKEN, delay, startServer } from './rig.js';
import { scriptPath } from './scripts.js';
import { serverOptions, type Log } from './suites.js';
import { benchSymbols } from './tick-factory.js';

/** The dashboard-like scenario of the quotes suite (SPEC Q14). */
export const QUOTES_SCENARIO = { clients: 1_000, quoteSymbols: 50, throttleMs: 250, rate: 5_000 } as const;

export interface QuotesResult {
  clients: number;
  quoteSymbols: number;
  throttleMs: number;
  rate: number;
  /** Server CPU over the window, % of one core. */
  serverCpuPct: number;
  /** Server CPU per tick in, µs. */
  cpuPerTickInUs: number;
  /** Arrival − ts of the newest tick each quote covers: how old the state a watchlist row shows is when it arrives. */
  staleness: LatencySummary;
  /** The one symbol each client gets tick by tick: arrival − ts. */
  tickLatency: LatencySummary;
  quotesFramesPerSec: number;
  quotesPerSec: number;
  ticksPerSec: number;
  publisherMaxLagMs: number;
  accepted: number;
  lostClients: number;
}

/**
 * 1,000 dashboard-like clients (--clients overrides): each follows 50 symbols
 * as quotes at 250 ms and 1 symbol tick by tick, at 5,000 ticks/s over the
 * bench's symbols. The clients are the bench's raw Socket.IO clients in this
 * process (core 1, with the publisher); the server runs alone on core 0.
 */
export async function runQuotes(plan: BenchPlan, log: Log, clients = plan.options.clients): Promise<QuotesResult> {
  const { quoteSymbols, throttleMs, rate } = QUOTES_SCENARIO;
  const symbols = benchSymbols(plan.options.symbols);
  const server = await startServer('feed', serverOptions(plan));
  const publisher = await startChild<PublisherApi>({ name: 'publisher', script: scriptPath('publisher-main'), cpu: CLIENT_CPU, nice: plan.options.nice });
  const sockets: RawSocketIoClient[] = [];
  try {
    await publisher.rpc.call('connect', { url: server.url, token: INGEST_TOKEN, symbols, seed: plan.options.seed });
    const staleness = new Histogram();
    const ticks = new Histogram();
    let measuring = false;
    let quoteFrames = 0;
    let quotes = 0;
    let tickCount = 0;
    let lost = 0;
    const random = createRandom(plan.options.seed, 'bench:quotes');
    log(`quotes: ${server.pinned ? 'pinned to core 0' : 'not pinned'}; connecting ${clients} clients × (${quoteSymbols} symbols on quotes at ${throttleMs} ms + 1 tick by tick) of ${symbols.length}`);
    for (let i = 0; i < clients; i++) {
      const socket = new RawSocketIoClient({
        url: server.url,
        onEvent: (name, args, at) => {
          if (!measuring) return;
          if (name === Events.quotes) {
            quoteFrames++;
            for (const quote of args[0] as Snapshot[]) {
              quotes++;
              if (quote.ts > 0) staleness.record((at - quote.ts) * 1_000);
            }
          } else if (name === Events.ticks) {
            for (const tick of args[0] as Tick[]) {
              tickCount++;
              ticks.record((at - tick.ts) * 1_000);
            }
          }
        },
        onClose: () => {
          if (measuring) lost++;
        },
      });
      await socket.connect();
      sockets.push(socket);
      const picked = new Set<string>();
      while (picked.size < quoteSymbols + 1) picked.add(symbols[Math.floor(random.next() * symbols.length)]!);
      const [full, ...watchlist] = [...picked];
      await socket.emitWithAck(Events.subscribe, [{ symbols: watchlist, throttleMs }]);
      await socket.emitWithAck(Events.subscribe, [{ symbols: [full] }]);
    }
    const { warmupMs, measureMs } = plan.timing;
    const t0 = Date.now() + 200;
    const windowStart = t0 + warmupMs;
    const windowEnd = windowStart + measureMs;
    const run = publisher.rpc.call('run', {
      rate,
      startAt: t0,
      durationMs: warmupMs + measureMs,
      windowStart,
      windowEnd,
      wakeMs: 5,
      maxInFlight: 32,
      maxBatch: 2_000,
      abortLagMs: 3_000,
    });
    await delay(windowStart - Date.now());
    measuring = true;
    const before = sampleProcess(server.pid, Date.now());
    await delay(windowEnd - Date.now());
    const after = sampleProcess(server.pid, Date.now());
    measuring = false;
    const report = await run;
    const seconds = measureMs / 1_000;
    const serverCpuPct = cpuPercent(before, after);
    const result: QuotesResult = {
      clients,
      quoteSymbols,
      throttleMs,
      rate,
      serverCpuPct,
      cpuPerTickInUs: (serverCpuPct / 100) * 1e6 / rate,
      staleness: summarizeMicros(staleness),
      tickLatency: summarizeMicros(ticks),
      quotesFramesPerSec: quoteFrames / seconds,
      quotesPerSec: quotes / seconds,
      ticksPerSec: tickCount / seconds,
      publisherMaxLagMs: report.maxLagMs,
      accepted: report.accepted,
      lostClients: lost,
    };
    log(formatQuotes(result));
    return result;
  } finally {
    await Promise.all(sockets.map((s) => s.close()));
    await publisher.stop();
    await server.child.stop();
  }
}

export function formatQuotes(r: QuotesResult): string {
  return (
    `quotes: ${r.clients} clients × ${r.quoteSymbols} symbols at ${r.throttleMs} ms + 1 full, ${r.rate} ticks/s: ` +
    `server CPU ${r.serverCpuPct.toFixed(1)}% (${r.cpuPerTickInUs.toFixed(1)} µs per tick in); ` +
    `quote staleness p50/p99/max ${r.staleness.p50Ms.toFixed(1)}/${r.staleness.p99Ms.toFixed(1)}/${r.staleness.maxMs.toFixed(1)} ms; ` +
    `full-symbol tick latency p50/p99 ${r.tickLatency.p50Ms.toFixed(1)}/${r.tickLatency.p99Ms.toFixed(1)} ms; ` +
    `${Math.round(r.quotesFramesPerSec)} quotes frames/s (${Math.round(r.quotesPerSec)} quotes/s), ${Math.round(r.ticksPerSec)} ticks/s delivered; ` +
    `publisher max lag ${r.publisherMaxLagMs.toFixed(0)} ms; lost clients ${r.lostClients}`
  );
}
