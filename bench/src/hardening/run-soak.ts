import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Counter } from './counter.js';
import { churnSlot, newChurnStats, type ChurnStats } from './churner.js';
import { getText } from './http.js';
import { MetricsSnapshot } from './prometheus.js';
import { pollUntil } from './poll.js';
import { linearFit } from './regression.js';
import { Rng } from './rng.js';
import { startServerProcess, type ServerProcess } from './server-process.js';
import { SteadyConsumer, SteadyPublisher, TickSource } from './steady.js';

export interface SoakOptions {
  /** How long the churn runs, ms. */
  durationMs: number;
  /** Churning clients at once. */
  clients: number;
  /** Publisher's rate, ticks/s. */
  rate: number;
  /** Symbols published (default 50). */
  symbols?: number;
  /** Clients that stay connected and must lose nothing (default 3). */
  steadyClients?: number;
  seed?: number;
  /** Time between samples, ms (default 1,000). */
  sampleIntervalMs?: number;
  /**
   * Every this many ms a sample is taken right after a full GC forced in the
   * server (0, the default: never). Exact, but a forced full GC of a large
   * heap stops the server for seconds, which the clients feel.
   */
  gcIntervalMs?: number;
  /** Samples before this are left out of the slopes, ms (default max(10 s, 25% of the run)). */
  warmupMs?: number;
  /** Server history per symbol (HISTORY_TICKS, default 1,000: full within the warm-up, so its growth is not read as a leak). */
  historyTicks?: number;
  /** Server candles per symbol and interval (CANDLES_PER_INTERVAL, default 60: the 1 s series is full within a minute). */
  candlesPerInterval?: number;
  /** How long churning clients stay between steps, ms (default 200..3,000). */
  dwellMs?: { min: number; max: number };
  /** Extra environment for the server. */
  serverEnv?: Record<string, string>;
  /** Active handles/resources the server may hold above its start after the churn (default 10). */
  handleTolerance?: number;
  log?: (line: string) => void;
}

/** What the server reported at one moment. */
export interface SoakSample {
  /** Seconds since the churn started. */
  t: number;
  /** Taken right after a full GC in the server: the heap is what is retained. */
  afterGc: boolean;
  rssBytes: number;
  heapUsedBytes: number;
  /** V8 heap reserved (used + free), bytes. */
  heapTotalBytes: number;
  /** Memory outside the V8 heap that JS objects hold (Buffers, ArrayBuffers), bytes. */
  externalBytes: number;
  handles: number;
  resources: number;
  timers: number;
  rooms: number;
  connections: number;
  subscriptions: number;
  framesInflight: number;
  /** Longest event-loop delay of the server since the previous sample, ms (prom-client resets it per scrape). */
  serverLoopLagMaxMs: number;
  /** Longest event-loop delay of this (client) process since the previous sample, ms. */
  clientLoopLagMaxMs: number;
}

export interface SoakCounts {
  rooms: number;
  connections: number;
  subscriptions: number;
  handles: number;
  resources: number;
  timers: number;
  rssBytes: number;
  heapUsedBytes: number;
}

export interface SoakReport {
  durationMs: number;
  clients: number;
  rate: number;
  seed: number;
  serverPid: number;
  serverEnv: Record<string, string>;
  /** The churning clients' figures (ChurnStats, counters as JSON) and their connect rate. */
  churn: { [K in keyof ChurnStats]: ChurnStats[K] extends Counter ? Record<string, number> : ChurnStats[K] } & { connectsPerSec: number };
  published: number;
  steady: { clients: number; subscriptions: number; rooms: number; delivered: number; problems: string[] };
  /** Before the churn (steady clients only) and after it, once the server settled. */
  start: SoakCounts;
  end: SoakCounts;
  peak: { connections: number; rooms: number; rssBytes: number; heapUsedBytes: number; handles: number; serverLoopLagMs: number; clientLoopLagMs: number };
  /**
   * Least-squares slopes after the warm-up, bytes per minute: RSS over every
   * sample; heap over its floor, the lowest heap of each window of
   * max(15 s, run / 12) (what survives the collections: the retained heap and
   * whatever leaks).
   */
  slopes: { windowS: number; rssBytesPerMin: number; rssR2: number; heapBytesPerMin: number; heapR2: number; floorWindowS: number; floorPoints: number };
  /** The heap floor (lowest heap of each window), for the report. */
  heapFloor: { t: number; bytes: number }[];
  /** Resource types in use by the server at the start and the end (nodejs_active_resources by type). */
  resourceTypes: { start: Record<string, number>; end: Record<string, number> };
  samples: SoakSample[];
  checks: { steadyLostNothing: boolean; countsReturned: boolean; handlesBounded: boolean; serverAlive: boolean };
  serverProblems: string[];
  passed: boolean;
}

/**
 * The soak (F9–F12): the feed server in a child process, a publisher at a
 * high rate, a few steady clients and `clients` churning ones for
 * `durationMs`. Samples the server's RSS, heap, handles, rooms and
 * connections; then checks that steady clients lost nothing and that rooms,
 * connections and handles went back to where they started.
 */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? (() => undefined);
  const seed = options.seed ?? 1;
  const rng = new Rng(seed);
  const sampleIntervalMs = options.sampleIntervalMs ?? 1_000;
  const warmupMs = options.warmupMs ?? Math.max(10_000, options.durationMs * 0.25);
  const tolerance = options.handleTolerance ?? 10;
  const token = randomBytes(12).toString('hex');
  const serverEnv: Record<string, string> = {
    // Bounded structures are made small so they are full early: their growth is not a leak.
    HISTORY_TICKS: String(options.historyTicks ?? 1_000),
    CANDLES_PER_INTERVAL: String(options.candlesPerInterval ?? 60),
    // Shorter heartbeat than the default 10 s + 10 s, so clients that went silent are freed within the run.
    PING_INTERVAL_MS: '5000',
    PING_TIMEOUT_MS: '5000',
    REST_RATE_LIMIT: '0',
    ...options.serverEnv,
  };

  const gcIntervalMs = options.gcIntervalMs ?? 0;
  const server: ServerProcess = await startServerProcess({ ...serverEnv, INGEST_TOKEN: token }, { inspect: true });
  const closers: (() => void)[] = [];
  try {
    log(`soak: server pid ${server.pid} at ${server.url}; ${options.clients} churning clients, ${options.rate} ticks/s, ${(options.durationMs / 1000).toFixed(0)} s`);
    const symbols = Array.from({ length: options.symbols ?? 50 }, (_, i) => `SK${String(i).padStart(3, '0')}`);
    const source = new TickSource(symbols, rng.fork('ticks'), Date.now);
    const publisher = await SteadyPublisher.connect({ url: server.url, token, source, rate: options.rate, keepTicks: false, maxInFlight: 8 });
    closers.push(() => publisher.close());
    const steady: SteadyConsumer[] = [];
    const steadyRng = rng.fork('steady');
    for (let i = 0; i < (options.steadyClients ?? 3); i++) {
      const consumer = await SteadyConsumer.connect(server.url, `steady-${i}`, steadyRng.sample(symbols, 10));
      steady.push(consumer);
      closers.push(() => consumer.close());
    }
    const steadySubscriptions = steady.reduce((n, c) => n + c.symbols.length, 0);
    const steadyRooms = new Set(steady.flatMap((c) => c.symbols)).size;
    publisher.start();

    const scrape = async (gc = false): Promise<{ metrics: MetricsSnapshot; rssBytes: number }> => {
      if (gc) await server.collectGarbage();
      return { metrics: MetricsSnapshot.parse((await getText(`${server.url}/metrics`)).text), rssBytes: server.rssBytes() };
    };
    const settledAtSteady = (m: MetricsSnapshot) =>
      m.value('feed_connections') === steady.length && m.value('feed_rooms') === steadyRooms && m.value('feed_subscriptions') === steadySubscriptions;
    const startScrape = (await pollUntil(() => scrape(true), (s) => settledAtSteady(s.metrics), { timeoutMs: 10_000 })).value;
    const start = counts(startScrape.metrics, startScrape.rssBytes);
    const startTypes = startScrape.metrics.byLabel('nodejs_active_resources', 'type');

    // The churn.
    let running = true;
    let stop: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const stats = newChurnStats();
    const churnStarted = performance.now();
    const slots: Promise<void>[] = [];
    for (let i = 0; i < options.clients; i++) {
      const slotRng = rng.fork(`churn-${i}`);
      // Ramp up over the first second instead of one connection storm.
      const delay = (i * 1_000) / options.clients;
      slots.push(
        new Promise<void>((resolve) => setTimeout(resolve, delay)).then(() =>
          churnSlot(slotRng, {
            url: server.url,
            symbols,
            dwellMs: options.dwellMs ?? { min: 200, max: 3_000 },
            silentMs: 12_000,
            stats,
            stopped,
            isRunning: () => running,
          }),
        ),
      );
    }
    const samples: SoakSample[] = [];
    // Our own loop's delay: a stalled client process, not the server, would explain lost pings.
    const clientLag = monitorEventLoopDelay({ resolution: 10 });
    clientLag.enable();
    const sampling = (async () => {
      let lastGc = performance.now();
      while (running) {
        const gc = gcIntervalMs > 0 && performance.now() - lastGc >= gcIntervalMs;
        if (gc) lastGc = performance.now();
        try {
          const { metrics, rssBytes } = await scrape(gc);
          samples.push({
            t: (performance.now() - churnStarted) / 1000,
            afterGc: gc,
            ...counts(metrics, rssBytes),
            heapTotalBytes: metrics.value('nodejs_heap_size_total_bytes'),
            externalBytes: metrics.value('nodejs_external_memory_bytes'),
            framesInflight: metrics.value('feed_outbound_frames_inflight'),
            serverLoopLagMaxMs: metrics.value('nodejs_eventloop_lag_max_seconds') * 1000,
            clientLoopLagMaxMs: clientLag.max / 1e6,
          });
          clientLag.reset();
        } catch {
          // A missed sample (server busy) is only a gap in the series.
        }
        await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, sampleIntervalMs))]);
      }
    })();
    const progress = setInterval(() => {
      const last = samples.at(-1);
      if (last !== undefined) {
        log(`soak: t=${last.t.toFixed(0)} s, ${stats.connects} connects, server ${last.connections} connections, ${last.rooms} rooms, RSS ${mb(last.rssBytes)}, heap ${mb(last.heapUsedBytes)}, handles ${last.handles}`);
      }
    }, 15_000);
    // The run's length is its workload, not a wait for some state.
    await new Promise((resolve) => setTimeout(resolve, options.durationMs));
    clearInterval(progress);
    running = false;
    stop();
    log('soak: churn stopped');
    await Promise.all([...slots, sampling]);
    clientLag.disable();
    log('soak: churning clients gone');
    const churnSeconds = (performance.now() - churnStarted) / 1000;

    await publisher.stop();
    await Promise.all(steady.map((consumer) => consumer.reached(publisher.lastSeq, 20_000)));
    log('soak: steady clients caught up');
    // Silent clients were destroyed on stop; the heartbeat or the FIN frees them.
    await pollUntil(() => scrape(), (s) => settledAtSteady(s.metrics) && s.metrics.value('nodejs_active_handles_total') <= start.handles + tolerance, { timeoutMs: 20_000, intervalMs: 250 });
    log('soak: server settled');
    // One full GC before the final figures, as before the start ones: retained against retained.
    const endScrape = await scrape(true);
    const end = counts(endScrape.metrics, endScrape.rssBytes);

    const window = samples.filter((s) => s.t * 1000 >= warmupMs);
    const rssFit = linearFit(window.map((s) => ({ x: s.t / 60, y: s.rssBytes })));
    // Major collections come less often as the heap grows: on longer runs a window must be long enough to hold one.
    const heapFloor = floor(samples, floorWindowSeconds(options.durationMs));
    const floorWindow = heapFloor.filter((p) => p.t * 1000 >= warmupMs);
    const heapFit = linearFit(floorWindow.map((p) => ({ x: p.t / 60, y: p.bytes })));

    const problems = steady.flatMap((c) => [...c.audit.problems.map((p) => `${c.name}: ${p}`), ...c.disturbances.map((d) => `${c.name}: ${d}`)]);
    for (const consumer of steady) {
      const behind = consumer.symbols.filter((s) => (consumer.audit.lastSeq(s) ?? 0) < (publisher.lastSeq.get(s) ?? 0));
      if (behind.length > 0) problems.push(`${consumer.name}: did not receive every tick of ${behind.join(', ')}`);
    }
    problems.push(...publisher.problems.map((p) => `publisher: ${p}`));
    const checks = {
      steadyLostNothing: problems.length === 0,
      countsReturned: end.connections === steady.length && end.rooms === steadyRooms && end.subscriptions === steadySubscriptions,
      handlesBounded: end.handles <= start.handles + tolerance && end.resources <= start.resources + tolerance,
      serverAlive: server.alive,
    };
    return {
      durationMs: options.durationMs,
      clients: options.clients,
      rate: options.rate,
      seed,
      serverPid: server.pid,
      serverEnv,
      churn: {
        connects: stats.connects,
        connectFailures: stats.connectFailures,
        subscribes: stats.subscribes,
        unsubscribes: stats.unsubscribes,
        abandoned: stats.abandoned,
        ackTimeouts: stats.ackTimeouts,
        replies: stats.replies.toJSON(),
        leaves: stats.leaves.toJSON(),
        serverCloses: stats.serverCloses.toJSON(),
        tickFrames: stats.tickFrames,
        connectsPerSec: stats.connects / churnSeconds,
      },
      published: publisher.published,
      steady: { clients: steady.length, subscriptions: steadySubscriptions, rooms: steadyRooms, delivered: steady.reduce((n, c) => n + c.audit.received, 0), problems },
      start,
      end,
      peak: {
        connections: Math.max(0, ...samples.map((s) => s.connections)),
        rooms: Math.max(0, ...samples.map((s) => s.rooms)),
        rssBytes: Math.max(0, ...samples.map((s) => s.rssBytes)),
        heapUsedBytes: Math.max(0, ...samples.map((s) => s.heapUsedBytes)),
        handles: Math.max(0, ...samples.map((s) => s.handles)),
        serverLoopLagMs: Math.max(0, ...samples.map((s) => s.serverLoopLagMaxMs).filter(Number.isFinite)),
        clientLoopLagMs: Math.max(0, ...samples.map((s) => s.clientLoopLagMaxMs)),
      },
      slopes: {
        windowS: window.length > 1 ? window.at(-1)!.t - window[0]!.t : 0,
        rssBytesPerMin: rssFit.slope,
        rssR2: rssFit.r2,
        heapBytesPerMin: heapFit.slope,
        heapR2: heapFit.r2,
        floorWindowS: floorWindowSeconds(options.durationMs),
        floorPoints: floorWindow.length,
      },
      heapFloor,
      resourceTypes: { start: startTypes, end: endScrape.metrics.byLabel('nodejs_active_resources', 'type') },
      samples,
      checks,
      serverProblems: server.problems(),
      passed: Object.values(checks).every(Boolean),
    };
  } finally {
    for (const close of closers.reverse()) close();
    await server.stop();
  }
}

function counts(m: MetricsSnapshot, rssBytes: number): SoakCounts {
  return {
    rooms: m.value('feed_rooms'),
    connections: m.value('feed_connections'),
    subscriptions: m.value('feed_subscriptions'),
    handles: m.value('nodejs_active_handles_total'),
    resources: m.value('nodejs_active_resources_total'),
    timers: m.value('nodejs_active_resources', { type: 'Timeout' }) || 0,
    rssBytes,
    heapUsedBytes: m.value('nodejs_heap_size_used_bytes'),
  };
}

function mb(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}

/** Length of the heap-floor windows: 15 s, or a twelfth of a long run. */
export function floorWindowSeconds(durationMs: number): number {
  return Math.max(15, Math.round(durationMs / 12_000));
}

/** The lowest heap of each `seconds`-long window, stamped at the window's end. */
export function floor(samples: readonly { t: number; heapUsedBytes: number }[], seconds: number): { t: number; bytes: number }[] {
  const windows = new Map<number, number>();
  for (const s of samples) {
    if (!Number.isFinite(s.heapUsedBytes)) continue;
    const k = Math.floor(s.t / seconds);
    windows.set(k, Math.min(windows.get(k) ?? Number.POSITIVE_INFINITY, s.heapUsedBytes));
  }
  return [...windows].sort((a, b) => a[0] - b[0]).map(([k, bytes]) => ({ t: (k + 1) * seconds, bytes }));
}
