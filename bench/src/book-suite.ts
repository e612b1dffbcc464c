import { loadavg } from 'node:os';
import { formatOf } from '@tickfeed/protocol';
import type { BenchPlan } from './bench-options.js';
import { BookChecksummer, BookFollowerClient, BookTally } from './book-follower.js';
import type { BookPublisherApi, BookPublishRunReport } from './book-publisher.js';
import { BOOK_CLIENT_SATURATED_PCT, BOOK_GOAL_RATE, bookGoal, bookStepVerdict, sustainedBookRate, type BookGoal, type BookStepFacts, type BookStepVerdict } from './book-verdict.js';
import { startChild, type Child } from './child-process.js';
import { summarizeMicros, type LatencySummary } from './histogram.js';
import { cpuPercent, sampleCores, sampleProcess, taskPercent } from './proc-stats.js';
import { CLIENT_CPU, INGEST_TOKEN, delay, startServer } from './rig.js';
import { scriptPath } from './scripts.js';
import { INTERFERENCE_PCT, fmtInt, serverOptions, type Log } from './suites.js';
import { benchSymbols } from './tick-factory.js';

/** The issue's scenario (B40): 1,000 clients × 2 books at depth 10, of 100 symbols. */
export const BOOK_SCENARIO = { clients: 1_000, booksPerClient: 2, symbols: 100, depth: 10 } as const;
/** --quick: a fifth of the clients, a shorter ladder. */
export const BOOK_QUICK_CLIENTS = 200;
export const BOOK_RATES = [2_500, 5_000, 10_000, 15_000, 20_000, 30_000, 40_000] as const;
export const BOOK_QUICK_RATES = [2_500, 5_000, 10_000, 20_000] as const;

export interface BookStep extends BookStepFacts {
  verdict: BookStepVerdict;
  /** Updates published inside the window, per second. */
  inPerSec: number;
  /** Updates with ts in the window that reached a client, per second. */
  deliveriesPerSec: number;
  latency: LatencySummary;
  checksumsVerified: number;
  framesPerSec: number;
  /** Payload bytes of `book` frames per update received (JSON text as the WebSocket carries it). */
  bytesPerUpdate: number;
  serverCpuPct: number;
  /** Server CPU per update delivered to a client, µs. */
  serverCpuPerDeliveryUs: number;
  /** Server CPU per update in, µs. */
  serverCpuPerUpdateInUs: number;
  clientSideSaturated: boolean;
  publisherMaxLagMs: number;
  /** CPU used by processes outside the suite during the window, % of one core. */
  othersCpuPct: number;
  /** 1-minute load average of the machine when the step started. */
  loadAvg1: number;
  examples: string[];
  /** The first window, when this step was measured again because other processes were busy during it. */
  earlierAttempt?: { p99Ms: number; othersCpuPct: number; reasons: string[] };
}

export interface BookResult {
  clients: number;
  booksPerClient: number;
  symbols: number;
  depth: number;
  pinned: boolean;
  steps: BookStep[];
  /** Highest rate with p99 < 100 ms, no gap, no checksum failure; null when none. */
  sustained: number | null;
  goal: BookGoal;
}

/** Client i follows symbols 2i and 2i + 1 (mod the universe): every book has the same number of followers. */
export function bookAssignment(clients: number, perClient: number, symbols: readonly string[]): string[][] {
  return Array.from({ length: clients }, (_, i) => Array.from({ length: perClient }, (_, k) => symbols[(i * perClient + k) % symbols.length]!));
}

/**
 * The book suite (B40–B45): a feed server on core 0; the book publisher
 * (own process) and the book-following clients (this process) on core 1. For
 * each rate, rising, until two in a row fail: warm-up, a measured window, then a
 * drain in which every client's books must reach the publisher's last seq.
 */
export async function runBook(plan: BenchPlan, log: Log, sizes: { clients?: number; rates?: readonly number[] } = {}): Promise<BookResult> {
  const quick = plan.options.quick;
  const clients = sizes.clients ?? (quick ? BOOK_QUICK_CLIENTS : plan.options.clients);
  const { booksPerClient, depth } = BOOK_SCENARIO;
  const symbols = benchSymbols(BOOK_SCENARIO.symbols);
  const rates = sizes.rates ?? (quick ? BOOK_QUICK_RATES : BOOK_RATES);
  const server = await startServer('feed', serverOptions(plan));
  const publisher = await startChild<BookPublisherApi>({ name: 'book publisher', script: scriptPath('book-publisher-main'), cpu: CLIENT_CPU, nice: plan.options.nice });
  const tally = new BookTally();
  const checksum = new BookChecksummer(formatOf({ tickSize: 0.01, lotSize: 1 }));
  const followers: BookFollowerClient[] = [];
  try {
    await publisher.rpc.call('connect', { url: server.url, token: INGEST_TOKEN, symbols, seed: plan.options.seed });
    log(`book: ${server.pinned ? 'pinned to core 0' : 'not pinned'}; connecting ${clients} clients × ${booksPerClient} books (depth ${depth}) of ${symbols.length} symbols`);
    const assignment = bookAssignment(clients, booksPerClient, symbols);
    for (let i = 0; i < assignment.length; i += 50) {
      const batch = assignment.slice(i, i + 50).map((books) => {
        const f = new BookFollowerClient(server.url, depth, checksum, tally);
        followers.push(f);
        return f.connect(books);
      });
      await Promise.all(batch);
    }
    const steps: BookStep[] = [];
    for (const rate of rates) {
      let step = await measureBookStep(rate, plan, tally, followers, publisher, server.pid);
      log(formatBookStep(step));
      if (!step.verdict.pass && step.othersCpuPct >= INTERFERENCE_PCT) {
        // As the fan-out suite does (B6): a failure while other processes were busy is measured once more.
        log(`book @ ${fmtInt(rate)}/s: other processes used ${step.othersCpuPct.toFixed(0)}% CPU meanwhile; measuring again`);
        const earlier = { p99Ms: step.p99Ms, othersCpuPct: step.othersCpuPct, reasons: step.verdict.reasons };
        step = { ...(await measureBookStep(rate, plan, tally, followers, publisher, server.pid)), earlierAttempt: earlier };
        log(formatBookStep(step));
      }
      steps.push(step);
      // One failed window on a shared machine can be a stall of it; two in a row end the ladder.
      if (!step.verdict.pass && steps.length >= 2 && !steps[steps.length - 2]!.verdict.pass) break;
    }
    const fullScenario = !quick && clients === BOOK_SCENARIO.clients;
    const result: BookResult = {
      clients,
      booksPerClient,
      symbols: symbols.length,
      depth,
      pinned: server.pinned,
      steps,
      sustained: sustainedBookRate(steps),
      goal: bookGoal({ fullScenario, pinned: server.pinned, steps }),
    };
    return result;
  } finally {
    await Promise.all(followers.map((f) => f.close()));
    await publisher.stop();
    await server.child.stop();
  }
}

async function measureBookStep(rate: number, plan: BenchPlan, tally: BookTally, followers: BookFollowerClient[], publisher: Child<BookPublisherApi>, serverPid: number): Promise<BookStep> {
  const { warmupMs, measureMs, drainMs } = plan.timing;
  const loadAvg1 = loadavg()[0] ?? 0;
  const before = { gaps: tally.gaps, resets: tally.resets, checksumFailures: tally.checksumFailures, checksumsVerified: tally.checksumsVerified, lost: tally.lostClients };
  tally.examples.length = 0;
  const t0 = Date.now() + 200;
  const windowStart = t0 + warmupMs;
  const windowEnd = windowStart + measureMs;
  const run = publisher.rpc.call('run', { rate, startAt: t0, durationMs: warmupMs + measureMs, windowStart, windowEnd, wakeMs: 5, maxInFlight: 32, maxBatch: 2_000, abortLagMs: 3_000 });
  await delay(windowStart - Date.now());
  tally.resetTraffic();
  tally.windowStart = windowStart;
  tally.windowEnd = windowEnd;
  tally.measuring = true;
  const t = Date.now();
  const server0 = sampleProcess(serverPid, t);
  const pub0 = sampleProcess(publisher.pid, t);
  const self0 = process.cpuUsage();
  const cores0 = sampleCores();
  await delay(windowEnd - Date.now());
  const t1 = Date.now();
  const server1 = sampleProcess(serverPid, t1);
  const pub1 = sampleProcess(publisher.pid, t1);
  const selfUs = process.cpuUsage(self0);
  const cores1 = sampleCores();
  const report: BookPublishRunReport = await run;
  const booksBehind = await drain(followers, report.finalSeqs, drainMs);
  tally.measuring = false;
  const seconds = measureMs / 1_000;
  const latency = summarizeMicros(tally.latency);
  const delivered = tally.latency.count;
  const serverCpuPct = cpuPercent(server0, server1);
  const clientSideCpuPct = cpuPercent(pub0, pub1) + ((selfUs.user + selfUs.system) / 1_000 / (t1 - t)) * 100;
  const facts: BookStepFacts = {
    rate,
    p99Ms: latency.p99Ms,
    updates: delivered,
    gaps: tally.gaps - before.gaps,
    resets: tally.resets - before.resets,
    checksumFailures: tally.checksumFailures - before.checksumFailures,
    booksBehind,
    lostClients: tally.lostClients - before.lost,
    publisherAborted: report.aborted,
    refused: report.rejected + report.failedRequests,
    clientSideCpuPct,
  };
  const serverCoreUs = (serverCpuPct / 100) * measureMs * 1_000;
  return {
    ...facts,
    verdict: bookStepVerdict(facts),
    inPerSec: report.inWindow / seconds,
    deliveriesPerSec: delivered / seconds,
    latency,
    checksumsVerified: tally.checksumsVerified - before.checksumsVerified,
    framesPerSec: tally.frames / seconds,
    bytesPerUpdate: tally.updates > 0 ? tally.frameBytes / tally.updates : 0,
    serverCpuPct,
    serverCpuPerDeliveryUs: delivered > 0 ? serverCoreUs / delivered : 0,
    serverCpuPerUpdateInUs: report.inWindow > 0 ? serverCoreUs / report.inWindow : 0,
    clientSideSaturated: clientSideCpuPct >= BOOK_CLIENT_SATURATED_PCT,
    publisherMaxLagMs: report.maxLagMs,
    othersCpuPct: Math.max(0, taskPercent(cores0, cores1) - serverCpuPct - clientSideCpuPct),
    loadAvg1,
    examples: [...tally.examples, ...report.rejections],
  };
}

/** Waits up to `ms` for every follower to hold each of its books at the publisher's last seq; returns how many do not. */
async function drain(followers: readonly BookFollowerClient[], finalSeqs: Record<string, number>, ms: number): Promise<number> {
  const behind = () => {
    let n = 0;
    for (const f of followers) for (const [symbol, held] of f.books) if (held.seq < (finalSeqs[symbol] ?? 0)) n++;
    return n;
  };
  const until = Date.now() + ms;
  while (behind() > 0 && Date.now() < until) await delay(50);
  return behind();
}

export function formatBookStep(s: BookStep): string {
  const verdict = s.verdict.pass ? 'PASS' : `FAIL (${s.verdict.reasons.join('; ')})`;
  return (
    `book @ ${fmtInt(s.rate)}/s: in ${fmtInt(s.inPerSec)}/s, out ${fmtInt(s.deliveriesPerSec)}/s in ${fmtInt(s.framesPerSec)} frames/s, ` +
    `p50/p99/max ${s.latency.p50Ms.toFixed(0)}/${s.latency.p99Ms.toFixed(0)}/${s.latency.maxMs.toFixed(0)} ms, gaps ${s.gaps}, checksum failures ${s.checksumFailures} of ${fmtInt(s.checksumsVerified + s.checksumFailures)}, ` +
    `server CPU ${s.serverCpuPct.toFixed(0)}% (${s.serverCpuPerDeliveryUs.toFixed(2)} µs per delivered update, ${s.serverCpuPerUpdateInUs.toFixed(1)} µs per update in), ` +
    `${s.bytesPerUpdate.toFixed(0)} B per update, clients CPU ${s.clientSideCpuPct.toFixed(0)}%${s.clientSideSaturated ? ' [client side saturated]' : ''}, others ${s.othersCpuPct.toFixed(0)}%, load avg ${s.loadAvg1.toFixed(1)}: ${verdict}`
  );
}

/** The suite's summary, beside the tick fan-out's sustained rate when this run measured it. */
export function formatBookSummary(r: BookResult, ticksSustained: number | null | undefined): string {
  const ticks = ticksSustained === undefined ? 'not measured in this run' : ticksSustained === null ? 'no rate passed' : `${fmtInt(ticksSustained)} ticks/s`;
  const best = r.steps.find((s) => s.rate === r.sustained);
  return (
    `book: ${r.clients} clients × ${r.booksPerClient} books (depth ${r.depth}) of ${r.symbols}: sustained ${r.sustained === null ? 'none' : `${fmtInt(r.sustained)} updates/s`} ` +
    `(p99 < 100 ms, no gap, every checksum verified)${best ? `, ${best.bytesPerUpdate.toFixed(0)} B per update, ${best.serverCpuPerDeliveryUs.toFixed(2)} µs server CPU per delivered update` : ''}; ` +
    `tick fan-out: ${ticks}; goal ≥ ${fmtInt(BOOK_GOAL_RATE)} updates/s in on one core: ${r.goal.status} (${r.goal.why})`
  );
}
