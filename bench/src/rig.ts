import { startChild, type Child } from './child-process.js';
import { Histogram, summarizeMicros, type LatencySummary } from './histogram.js';
import type { LoadGenApi, LoadGenReport } from './load-gen.js';
import { coreBusyPercent, cpuPercent, sampleCores, sampleProcess, taskPercent, type CoreTimes, type ProcSample } from './proc-stats.js';
import type { FloodParams, FloodReport, PublisherApi, PublishRunReport } from './publisher.js';
import { createRandom, pickDistinct } from '@tickfeed/protocol';
import { scriptPath } from './scripts.js';
import type { ServerChildApi } from './server-child.js';
import type { SeqCounts } from './delivery-audit.js';
import { combineReports, expectedDeliveries } from './load-gen-sum.js';
import { benchSymbols } from './tick-factory.js';
import { judgeStep, type PassCriteria, type Verdict } from './verdict.js';

/**
 * A bench rig: servers under test, one publisher, load generators (B3).
 * Servers run on core 0; publisher, load generators and this coordinator on
 * core 1, so the server's CPU is its own.
 */
export type ServerKind = 'feed' | 'baseline';

export const INGEST_TOKEN = 'bench-token';
export const SERVER_CPU = 0;
export const CLIENT_CPU = 1;

export interface ServerHandle {
  kind: ServerKind;
  label: string;
  url: string;
  pid: number;
  pinned: boolean;
  child: Child<ServerChildApi>;
}

export interface ServerOptions {
  label?: string;
  /** Extra environment of the feed server (e.g. REDIS_URL). */
  env?: Record<string, string>;
  /** Start node with --expose-gc so memory can be read after a full GC. */
  exposeGc?: boolean;
  cpu?: number;
  /** Niceness of the server process (see --nice). */
  nice?: number;
  /** Append the server's stdout (its logs; e.g. --trace-gc output) to this file. */
  logFile?: string;
  /** Extra node flags (e.g. --cpu-prof, --trace-gc). */
  nodeFlags?: string[];
}

export async function startServer(kind: ServerKind, options: ServerOptions = {}): Promise<ServerHandle> {
  const label = options.label ?? kind;
  const child = await startChild<ServerChildApi>({
    name: `${label} server`,
    script: scriptPath(kind === 'feed' ? 'server-entry' : 'baseline-entry'),
    cpu: options.cpu ?? SERVER_CPU,
    nice: options.nice ?? 0,
    ...(options.logFile ? { stdoutFile: options.logFile } : {}),
    nodeFlags: [...(options.exposeGc ? ['--expose-gc'] : []), ...(options.nodeFlags ?? [])],
    env: {
      PORT: '0',
      HOST: '127.0.0.1',
      INGEST_TOKEN,
      BENCH_INGEST_TOKEN: INGEST_TOKEN,
      LOG_LEVEL: 'warn',
      REST_RATE_LIMIT: '0',
      SERVER_ID: `bench-${label}`,
      ...options.env,
    },
  });
  const url = child.info.url;
  if (typeof url !== 'string') throw new Error(`${label} server did not report its url`);
  return { kind, label, url, pid: child.pid, pinned: child.pinned, child };
}

export interface Scenario {
  clients: number;
  symbols: number;
  perClient: number;
  seed: number;
}

/** Which symbols each client follows: `perClient` distinct ones out of the universe, seeded. */
export function assignSymbols(scenario: Scenario, offset = 0): string[][] {
  const universe = benchSymbols(scenario.symbols);
  const random = createRandom(scenario.seed + offset, 'bench:subscriptions');
  return Array.from({ length: scenario.clients }, () => pickDistinct(universe, scenario.perClient, random));
}

export interface StepTiming {
  warmupMs: number;
  measureMs: number;
  /** How long to wait after the window for late ticks, ms. */
  drainMs: number;
}

export interface GroupFigures {
  label: string;
  server: string;
  clients: number;
  connected: number;
  expected: number;
  delivered: number;
  deliveriesPerSec: number;
  framesPerSec: number;
  latency: LatencySummary;
  seq: SeqCounts;
  disconnects: number;
  notices: Record<string, number>;
}

export interface ProcessFigures {
  label: string;
  cpuPct: number;
  rssMb: number;
  rssMaxMb: number;
}

export interface StepMeasurement {
  kind: ServerKind;
  /** Target rate of the step, ticks/s. */
  rate: number;
  windowSec: number;
  /** Ticks published inside the window per second. */
  ticksInPerSec: number;
  deliveriesPerSec: number;
  framesPerSec: number;
  ticksPerFrame: number;
  latency: LatencySummary;
  expected: number;
  delivered: number;
  seq: SeqCounts;
  disconnects: number;
  notices: Record<string, number>;
  publisher: Omit<PublishRunReport, 'inWindow'>;
  /** CPU and memory of each server during the window. */
  servers: ProcessFigures[];
  /** CPU of the publisher and load generators (they share core 1). */
  clientSide: ProcessFigures[];
  clientSideCpuPct: number;
  /** The client side used ≥ 90% of its core: the figures may be the load generator's limit. */
  clientSideSaturated: boolean;
  /** Busy % of each core during the window (all processes on the machine). */
  coreBusyPct: number[];
  /** CPU used by processes outside the bench during the window, % of one core (≥ 0). */
  othersCpuPct: number;
  groups: GroupFigures[];
  verdict: Verdict;
  /** Set when this is a second measurement of the rate (the first was disturbed by other processes). */
  retried?: boolean;
  /** The disturbed measurements of this rate that this one replaced. */
  earlierAttempts?: { p99Ms: number; othersCpuPct: number; reasons: string[] }[];
}

interface Group {
  label: string;
  server: ServerHandle;
  loadGen: Child<LoadGenApi>;
}

export interface RigOptions {
  /** Servers under test; the publisher uses the first. */
  servers: ServerHandle[];
  /** Load generator processes, each bound to one server, by label. */
  groups: { label: string; server: ServerHandle }[];
  symbols: number;
  seed: number;
  criteria: PassCriteria;
  /** Other server-side processes to sample (e.g. redis-server). */
  extraProcesses?: { label: string; pid: number }[];
  /** Niceness of the publisher and load generators (see --nice). */
  nice?: number;
}

export class Rig {
  private constructor(
    private readonly options: RigOptions,
    private readonly publisher: Child<PublisherApi>,
    private readonly groups: Group[],
  ) {}

  static async start(options: RigOptions): Promise<Rig> {
    const publisher = await startChild<PublisherApi>({
      name: 'publisher',
      script: scriptPath('publisher-main'),
      cpu: CLIENT_CPU,
      nice: options.nice ?? 0,
    });
    const groups: Group[] = [];
    try {
      const ingestServer = options.servers[0];
      if (!ingestServer) throw new Error('a rig needs a server');
      const declared = await publisher.rpc.call('connect', {
        url: ingestServer.url,
        token: INGEST_TOKEN,
        symbols: benchSymbols(options.symbols),
        seed: options.seed,
      });
      if (declared.declared !== options.symbols) {
        throw new Error(`declared ${declared.declared} of ${options.symbols} symbols (${declared.rejected} rejected)`);
      }
      for (const g of options.groups) {
        const loadGen = await startChild<LoadGenApi>({
          name: `load generator ${g.label}`,
          script: scriptPath('load-gen-main'),
          cpu: CLIENT_CPU,
          nice: options.nice ?? 0,
        });
        groups.push({ label: g.label, server: g.server, loadGen });
      }
    } catch (e) {
      await Promise.all([publisher.stop(), ...groups.map((g) => g.loadGen.stop())]);
      throw e;
    }
    return new Rig(options, publisher, groups);
  }

  /** Connects clients, spread round-robin over the groups; fails on any refused connection or symbol. */
  async connectClients(clientSymbols: string[][], concurrency = 64): Promise<void> {
    const perGroup = this.groups.map(() => [] as string[][]);
    clientSymbols.forEach((symbols, i) => perGroup[i % this.groups.length]?.push(symbols));
    const results = await Promise.all(
      this.groups.map((g, i) => g.loadGen.rpc.call('connect', { url: g.server.url, clients: perGroup[i] ?? [], concurrency })),
    );
    for (const [i, r] of results.entries()) {
      if (r.failed > 0 || r.rejected > 0) {
        throw new Error(`group ${this.groups[i]?.label}: ${r.failed} client(s) failed, ${r.rejected} symbol(s) refused: ${r.errors.join('; ')}`);
      }
    }
  }

  /** One rate step: warm-up, measured window, drain, then settle until the server is quiet. */
  async measure(kind: ServerKind, rate: number, timing: StepTiming): Promise<StepMeasurement> {
    for (const g of this.groups) {
      const r = await g.loadGen.rpc.call('ensure', {});
      if (r.failed > 0) throw new Error(`group ${g.label}: ${r.failed} client(s) could not reconnect`);
    }
    const t0 = Date.now() + 500;
    const windowStart = t0 + timing.warmupMs;
    const windowEnd = windowStart + timing.measureMs;
    await Promise.all(this.groups.map((g) => g.loadGen.rpc.call('beginStep', { windowStart, windowEnd })));

    const watched = [
      ...this.options.servers.map((s) => ({ label: s.label, pid: s.pid, server: true })),
      ...(this.options.extraProcesses ?? []).map((p) => ({ label: p.label, pid: p.pid, server: true })),
      { label: 'publisher', pid: this.publisher.pid, server: false },
      ...this.groups.map((g) => ({ label: `load-gen ${g.label}`, pid: g.loadGen.pid, server: false })),
    ];
    const sampler = new WindowSampler(watched.map((w) => w.pid), windowStart, windowEnd);

    const pub = await this.publisher.rpc.call('run', {
      rate,
      startAt: t0,
      durationMs: timing.warmupMs + timing.measureMs,
      windowStart,
      windowEnd,
      wakeMs: 5,
      maxInFlight: 32,
      maxBatch: 2_000,
      abortLagMs: 3_000,
    });
    const samples = await sampler.finish(pub.aborted);

    // Expected deliveries: every tick stamped in the window, once per subscriber of its symbol.
    const expectedOf = (r: LoadGenReport) => expectedDeliveries(r.subscriberCounts, pub.inWindow);
    const drainUntil = Math.max(Date.now(), windowEnd) + timing.drainMs;
    let reports = await this.reports();
    while (Date.now() < drainUntil && reports.some((r) => r.delivered < expectedOf(r))) {
      await delay(100);
      reports = await this.reports();
    }
    await this.settle();
    // Late ticks of the window count too (and show in max latency).
    reports = await this.reports();

    const windowSec = (windowEnd - windowStart) / 1000;
    const sum = combineReports(
      reports.map((report, i) => {
        const g = this.groups[i] as Group;
        return { label: g.label, server: g.server.label, report };
      }),
      pub.inWindow,
      windowSec,
    );
    const { groups, expected, delivered, frames, seq, disconnects, notices } = sum;
    const latency = summarizeMicros(sum.latency);

    const figures = watched.map((w, i) => processFigures(w.label, samples[i] ?? []));
    const servers = figures.filter((_, i) => watched[i]?.server);
    const clientSide = figures.filter((_, i) => !watched[i]?.server);
    const clientSideCpuPct = clientSide.reduce((s, f) => s + f.cpuPct, 0);
    const coreBusyPct = sampler.cores.first && sampler.cores.last ? coreBusyPercent(sampler.cores.first, sampler.cores.last) : [];
    const ours = figures.reduce((s, f) => s + f.cpuPct, 0);
    const allTasks = sampler.cores.first && sampler.cores.last ? taskPercent(sampler.cores.first, sampler.cores.last) : ours;
    const othersCpuPct = Math.max(0, allTasks - ours);
    const { inWindow: _inWindow, ...publisher } = pub;

    const verdict = judgeStep(
      {
        p99Ms: latency.p99Ms,
        publisherMaxLagMs: pub.maxLagMs,
        published: pub.accepted,
        target: pub.target,
        delivered,
        expected,
        gaps: seq.gaps,
        duplicates: seq.duplicates,
        disconnects,
        rejected: pub.rejected + pub.failedRequests,
      },
      this.options.criteria,
    );
    return {
      kind,
      rate,
      windowSec,
      ticksInPerSec: pub.inWindowTotal / windowSec,
      deliveriesPerSec: delivered / windowSec,
      framesPerSec: frames / windowSec,
      ticksPerFrame: frames > 0 ? delivered / frames : 0,
      latency,
      expected,
      delivered,
      seq,
      disconnects,
      notices,
      publisher,
      servers,
      clientSide,
      clientSideCpuPct,
      clientSideSaturated: clientSideCpuPct >= 90,
      coreBusyPct,
      othersCpuPct,
      groups,
      verdict,
    };
  }

  /** Floods the first server's /ingest for the ingest suite, sampling its CPU meanwhile. */
  async flood(params: FloodParams): Promise<{ report: FloodReport; server: ProcessFigures }> {
    const server = this.options.servers[0] as ServerHandle;
    const start = Date.now();
    const sampler = new WindowSampler([server.pid], start, start + params.durationMs);
    const report = await this.publisher.rpc.call('flood', params);
    const samples = await sampler.finish(false);
    return { report, server: processFigures(server.label, samples[0] ?? []) };
  }

  /**
   * CPU that processes outside the bench use, % of one core, over `sampleMs`
   * (the bench's own processes are idle between steps, but counted out anyway).
   */
  async othersCpu(sampleMs = 1_000): Promise<number> {
    const pids = [...this.options.servers.map((s) => s.pid), ...(this.options.extraProcesses ?? []).map((p) => p.pid), this.publisher.pid, ...this.groups.map((g) => g.loadGen.pid), process.pid];
    const read = () => ({ cores: sampleCores(), procs: pids.map((pid) => safeSample(pid)) });
    const a = read();
    await delay(sampleMs);
    const b = read();
    const ours = a.procs.reduce((s, p, i) => {
      const q = b.procs[i];
      return p && q ? s + cpuPercent(p, q) : s;
    }, 0);
    return Math.max(0, taskPercent(a.cores, b.cores) - ours);
  }

  /** Waits (up to `maxWaitMs`) until other processes use less than `thresholdPct` of a core; returns what it saw last. */
  async waitForQuiet(thresholdPct: number, maxWaitMs: number, sampleMs: number, log: (line: string) => void): Promise<number> {
    const until = Date.now() + maxWaitMs;
    if (maxWaitMs <= 0) return 0;
    let others = await this.othersCpu(sampleMs);
    if (others < thresholdPct) return others;
    log(`other processes use ${others.toFixed(0)}% CPU: waiting up to ${Math.round(maxWaitMs / 1000)} s for a quiet machine`);
    while (others >= thresholdPct && Date.now() < until) others = await this.othersCpu(sampleMs);
    log(others < thresholdPct ? `machine quiet (others ${others.toFixed(0)}%)` : `still busy (others ${others.toFixed(0)}%): measuring anyway`);
    return others;
  }

  /** Memory of the servers after a full GC (when they run with --expose-gc). */
  async serverMemory(): Promise<{ label: string; rssBytes: number; gcAvailable: boolean }[]> {
    return Promise.all(
      this.options.servers.map(async (s) => {
        const r = await s.child.rpc.call('gc', {});
        return { label: s.label, rssBytes: sampleProcess(s.pid, Date.now()).rssBytes, gcAvailable: r.gcAvailable };
      }),
    );
  }

  /** Waits until no tick has arrived for a while: the previous step's backlog must not leak into the next. */
  async settle(quietMs = 300, maxMs = 60_000): Promise<void> {
    const until = Date.now() + maxMs;
    let last = -1;
    while (Date.now() < until) {
      const total = (await this.reports()).reduce((s, r) => s + r.ticksReceived, 0);
      if (total === last) return;
      last = total;
      await delay(quietMs);
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.groups.map((g) => g.loadGen.rpc.call('close', {})));
    await Promise.allSettled([this.publisher.rpc.call('close', {})]);
    await Promise.all([this.publisher.stop(), ...this.groups.map((g) => g.loadGen.stop())]);
  }

  private reports(): Promise<LoadGenReport[]> {
    return Promise.all(this.groups.map((g) => g.loadGen.rpc.call('report', {})));
  }
}

/** Samples processes at the window's start, every 250 ms in it, and at its end. */
class WindowSampler {
  private readonly samples: ProcSample[][];
  /** /proc/stat at the first and the latest sample. */
  cores: { first: CoreTimes[] | null; last: CoreTimes[] | null } = { first: null, last: null };
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly ended: Promise<void>;
  private endNow: () => void = () => undefined;

  constructor(
    private readonly pids: number[],
    start: number,
    end: number,
  ) {
    this.samples = pids.map(() => []);
    const now = Date.now();
    for (let at = start; at < end; at += 250) this.timers.push(setTimeout(() => this.sample(), Math.max(0, at - now)));
    this.ended = new Promise<void>((resolve) => {
      this.endNow = () => {
        for (const t of this.timers) clearTimeout(t);
        this.sample();
        resolve();
      };
      this.timers.push(setTimeout(() => this.endNow(), Math.max(0, end - now)));
    });
  }

  /** Resolves with every process's samples once the window is over (or at once, when the run aborted). */
  async finish(abortedEarly: boolean): Promise<ProcSample[][]> {
    if (abortedEarly) this.endNow();
    await this.ended;
    return this.samples;
  }

  private sample(): void {
    const now = Date.now();
    try {
      const cores = sampleCores();
      if (!this.cores.first) this.cores.first = cores;
      this.cores.last = cores;
    } catch {
      // No /proc/stat: machine load is not reported.
    }
    this.pids.forEach((pid, i) => {
      try {
        this.samples[i]?.push(sampleProcess(pid, now));
      } catch {
        // The process is gone; the step fails on its own evidence.
      }
    });
  }
}

function processFigures(label: string, samples: ProcSample[]): ProcessFigures {
  const first = samples[0];
  const last = samples[samples.length - 1];
  const mb = (b: number) => b / (1024 * 1024);
  return {
    label,
    cpuPct: first && last ? cpuPercent(first, last) : 0,
    rssMb: last ? mb(last.rssBytes) : 0,
    rssMaxMb: mb(samples.reduce((m, s) => Math.max(m, s.rssBytes), 0)),
  };
}

function safeSample(pid: number): ProcSample | null {
  try {
    return sampleProcess(pid, Date.now());
  } catch {
    return null;
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
