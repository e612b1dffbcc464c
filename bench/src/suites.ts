import { runLadder, type LadderPlan } from './ladder.js';
import { GOAL_RATES } from './goals.js';
import { efficiencyOf, formatEfficiency } from './efficiency.js';
import type { FloodReport } from './publisher.js';
import type { BenchPlan } from './bench-options.js';
import {
  Rig,
  assignSymbols,
  delay,
  startServer,
  type ProcessFigures,
  type Scenario,
  type ServerHandle,
  type ServerKind,
  type StepMeasurement,
  type StepTiming,
} from './rig.js';

/** The bench's suites (B5–B9, D38). Each starts its own processes and stops them, pass or fail. */
export type Log = (line: string) => void;

/** CPU used by processes outside the bench (% of one core) above which a failed step is measured again. */
export const INTERFERENCE_PCT = 15;

export interface FanoutResult {
  kind: ServerKind;
  scenario: Scenario;
  mode: 'ladder' | 'fixed';
  /** Highest rate that passed, ticks/s; null when none did. */
  sustained: number | null;
  lowestFail: number | null;
  /** The measurement at the sustained rate. */
  best: StepMeasurement | null;
  steps: StepMeasurement[];
  /** The same clients at the embedded default rate (`npm start`'s simulator), measured before the ladder (B14). */
  atDefaultRate?: StepMeasurement;
  /** The goal rates (B31) that the ladder did not reach, measured before it. */
  atGoalRates?: StepMeasurement[];
}

export function serverOptions(plan: BenchPlan): { nice: number; logFile?: string; nodeFlags: string[] } {
  const o = plan.options;
  return { nice: o.nice, ...(o.serverLog ? { logFile: o.serverLog } : {}), nodeFlags: o.serverNodeFlags };
}

export function scenarioOf(plan: BenchPlan, clients = plan.options.clients): Scenario {
  return { clients, symbols: plan.options.symbols, perClient: plan.options.perClient, seed: plan.options.seed };
}

async function withRig<T>(servers: ServerHandle[], plan: BenchPlan, groups: number, body: (rig: Rig) => Promise<T>): Promise<T> {
  let rig: Rig | null = null;
  try {
    const first = servers[0] as ServerHandle;
    rig = await Rig.start({
      servers,
      groups: Array.from({ length: groups }, (_, i) => ({ label: String(i + 1), server: first })),
      symbols: plan.options.symbols,
      seed: plan.options.seed,
      criteria: plan.criteria,
      nice: plan.options.nice,
    });
    return await body(rig);
  } finally {
    await rig?.close();
    await Promise.all(servers.map((s) => s.child.stop()));
  }
}

export async function runFanout(kind: ServerKind, plan: BenchPlan, log: Log, clients = plan.options.clients, rates = plan.options.rates): Promise<FanoutResult> {
  const scenario = scenarioOf(plan, clients);
  const server = await startServer(kind, serverOptions(plan));
  return withRig([server], plan, plan.options.loadGens, async (rig) => {
    log(`${kind}: ${server.pinned ? 'pinned to core 0' : 'not pinned'}; connecting ${scenario.clients} clients × ${scenario.perClient} of ${scenario.symbols} symbols`);
    await rig.connectClients(assignSymbols(scenario));
    // Rates measured before the ladder are not measured again when the ladder reaches them.
    const measured = new Map<number, StepMeasurement>();
    const measure = async (rate: number) => {
      const m = measured.get(rate) ?? (await measureStep(rig, kind, rate, plan, log));
      measured.delete(rate);
      return { pass: m.verdict.pass, measurement: m };
    };
    const atDefaultRate = !rates ? await measureStep(rig, kind, plan.defaultRate, plan, log) : undefined;
    if (!rates) for (const rate of GOAL_RATES) measured.set(rate, await measureStep(rig, kind, rate, plan, log, undefined, plan.goalTiming));
    const extra = () => ({ ...(atDefaultRate ? { atDefaultRate } : {}), ...(measured.size > 0 ? { atGoalRates: [...measured.values()] } : {}) });
    if (rates) {
      const steps: StepMeasurement[] = [];
      for (const rate of rates) steps.push((await measure(rate)).measurement);
      const passed = steps.filter((s) => s.verdict.pass).sort((a, b) => b.rate - a.rate);
      const failed = steps.filter((s) => !s.verdict.pass).sort((a, b) => a.rate - b.rate);
      return { kind, scenario, mode: 'fixed', sustained: passed[0]?.rate ?? null, lowestFail: failed[0]?.rate ?? null, best: passed[0] ?? null, steps, ...extra() };
    }
    const ladderPlan: LadderPlan = kind === 'feed' ? plan.feedLadder : plan.baselineLadder;
    const r = await runLadder(ladderPlan, measure);
    return { kind, scenario, mode: 'ladder', sustained: r.sustained, lowestFail: r.lowestFail, best: r.best, steps: r.steps.map((s) => s.measurement), ...extra() };
  });
}

/**
 * One rate step, after waiting for a quiet machine; a failed step during
 * which other processes used the CPU is measured again (B6).
 */
export async function measureStep(
  rig: Rig,
  kind: ServerKind,
  rate: number,
  plan: BenchPlan,
  log: Log,
  /** Called right before and after each measurement (e.g. to read Redis counters). */
  around: { before(): Promise<void>; after(): Promise<void> } = { before: async () => undefined, after: async () => undefined },
  timing: StepTiming = plan.timing,
): Promise<StepMeasurement> {
  const once = async () => {
    await rig.waitForQuiet(INTERFERENCE_PCT, plan.quietWaitMs, plan.quietSampleMs, log);
    await around.before();
    const m = await rig.measure(kind, rate, timing);
    await around.after();
    log(stepLine(m));
    return m;
  };
  let m = await once();
  const earlier: NonNullable<StepMeasurement['earlierAttempts']> = [];
  // The first failure is always measured again: a single stall of the machine (seen here with the server
  // 40% idle) must not end a ladder. Later ones only when other processes were busy.
  for (let retry = 1; retry <= plan.maxRetries && !m.verdict.pass && ((retry === 1 && plan.retryEveryFailure) || m.othersCpuPct >= INTERFERENCE_PCT); retry++) {
    const why = m.othersCpuPct >= INTERFERENCE_PCT ? `other processes used ${m.othersCpuPct.toFixed(0)}% CPU meanwhile` : 'a rate fails only when a second window fails too';
    log(`${kind} @ ${fmtInt(rate)}/s: ${why}; measuring again`);
    earlier.push({ p99Ms: m.latency.p99Ms, othersCpuPct: m.othersCpuPct, reasons: m.verdict.reasons });
    m = await once();
    m.retried = true;
    m.earlierAttempts = [...earlier];
  }
  return m;
}

export interface IdleRow {
  clients: number;
  /** Server RSS with the symbols declared and no consumer, MB. */
  rssBaseMb: number;
  /** Server RSS with `clients` subscribed, idle connections, MB. */
  rssMb: number;
  /** (rssMb − rssBaseMb) / clients, KB. */
  perConnectionKb: number;
  /** RSS added per connection since the previous row (its slope, without fixed costs), KB; null on the first row. */
  marginalKb: number | null;
  /** Whether memory was read after a forced full GC. */
  gcForced: boolean;
}

export interface IdleResult {
  kind: ServerKind;
  perClient: number;
  rows: IdleRow[];
}

/** Idle memory per subscribed connection (B7): connect in stages, read RSS after a full GC at each. */
export async function runIdle(kind: ServerKind, plan: BenchPlan, log: Log): Promise<IdleResult> {
  const counts = [...plan.options.idleClients].sort((a, b) => a - b);
  const server = await startServer(kind, { ...serverOptions(plan), exposeGc: true });
  return withRig([server], plan, plan.options.loadGens, async (rig) => {
    const settle = async () => {
      await delay(1_000);
      return (await rig.serverMemory())[0] as { rssBytes: number; gcAvailable: boolean };
    };
    const base = await settle();
    const rows: IdleRow[] = [];
    let connected = 0;
    let previous: { clients: number; rssBytes: number } | null = null;
    for (const target of counts) {
      const all = assignSymbols(scenarioOf(plan, target));
      await rig.connectClients(all.slice(connected));
      connected = target;
      const mem = await settle();
      const row: IdleRow = {
        clients: target,
        rssBaseMb: mb(base.rssBytes),
        rssMb: mb(mem.rssBytes),
        perConnectionKb: (mem.rssBytes - base.rssBytes) / 1024 / target,
        marginalKb: previous ? (mem.rssBytes - previous.rssBytes) / 1024 / (target - previous.clients) : null,
        gcForced: mem.gcAvailable,
      };
      previous = { clients: target, rssBytes: mem.rssBytes };
      rows.push(row);
      log(
        `${kind} idle: ${target} clients: RSS ${row.rssMb.toFixed(1)} MB (base ${row.rssBaseMb.toFixed(1)} MB) = ${row.perConnectionKb.toFixed(1)} KB per connection` +
          (row.marginalKb === null ? '' : `, ${row.marginalKb.toFixed(1)} KB per added connection`),
      );
    }
    return { kind, perClient: plan.options.perClient, rows };
  });
}

/** The publisher's flood report, with the run's settings and what the server holds afterwards. */
export interface IngestResult extends FloodReport {
  symbols: number;
  batchSize: number;
  maxInFlight: number;
  server: ProcessFigures;
  /** Sum of every symbol's last seq on the server afterwards (GET /api/symbols). */
  storedSeqTotal: number;
  /** Everything sent was accepted, and the server holds exactly that many ticks. */
  noLoss: boolean;
}

/** Ingest throughput of an external publisher over /ingest with acks (B9). */
export async function runIngest(plan: BenchPlan, log: Log): Promise<IngestResult> {
  const server = await startServer('feed', serverOptions(plan));
  return withRig([server], plan, 0, async (rig) => {
    const { report, server: fig } = await rig.flood(plan.ingest);
    const storedSeqTotal = await storedSeqSum(server.url);
    const result: IngestResult = {
      symbols: plan.options.symbols,
      batchSize: plan.ingest.batchSize,
      maxInFlight: plan.ingest.maxInFlight,
      ...report,
      server: fig,
      storedSeqTotal,
      noLoss: report.accepted === report.sent && report.rejected === 0 && report.failedRequests === 0 && storedSeqTotal === report.sent,
    };
    log(
      `ingest: ${fmtInt(result.acceptedPerSec)} ticks/s accepted (${fmtInt(result.accepted)} in ${result.seconds.toFixed(1)} s, ack p99 ${result.ack.p99Ms.toFixed(1)} ms), server CPU ${fig.cpuPct.toFixed(0)}%, ${result.noLoss ? 'no loss' : 'LOSS'}`,
    );
    return result;
  });
}

async function storedSeqSum(url: string): Promise<number> {
  const res = await fetch(new URL('/api/symbols', url));
  if (!res.ok) throw new Error(`GET /api/symbols: HTTP ${res.status}`);
  const body = (await res.json()) as { symbols?: { snapshot?: { seq?: unknown } }[] };
  return (body.symbols ?? []).reduce((s, x) => s + (typeof x.snapshot?.seq === 'number' ? x.snapshot.seq : 0), 0);
}

export function stepLine(m: StepMeasurement): string {
  const srv = m.servers.map((s) => `${s.label} CPU ${s.cpuPct.toFixed(0)}% RSS ${s.rssMb.toFixed(0)} MB`).join(', ');
  const verdict = m.verdict.pass ? 'PASS' : `FAIL (${m.verdict.reasons.join('; ')})`;
  const limit = m.clientSideSaturated ? ' [client side saturated]' : '';
  return (
    `${m.kind} @ ${fmtInt(m.rate)}/s: in ${fmtInt(m.ticksInPerSec)}/s, out ${fmtInt(m.deliveriesPerSec)}/s in ${fmtInt(m.framesPerSec)} frames/s, ` +
    `p50/p99/max ${m.latency.p50Ms.toFixed(0)}/${m.latency.p99Ms.toFixed(0)}/${m.latency.maxMs.toFixed(0)} ms, lag max/p99 ${m.publisher.maxLagMs.toFixed(0)}/${m.publisher.lag.p99Ms.toFixed(0)} ms, ` +
    `${srv} (${formatEfficiency(efficiencyOf(m))}), clients CPU ${m.clientSideCpuPct.toFixed(0)}%${limit}, others ${m.othersCpuPct.toFixed(0)}%: ${verdict}`
  );
}

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function mb(bytes: number): number {
  return bytes / (1024 * 1024);
}

export { runPersistence, type PersistenceResult } from './persistence.js';
