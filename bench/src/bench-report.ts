import { cpus, totalmem } from 'node:os';
import type { Scenario, StepMeasurement } from './rig.js';
import type { ScaleoutResult } from './scaleout.js';
import { fmtInt, type FanoutResult, type IdleResult, type IngestResult, type PersistenceResult } from './suites.js';
import { efficiencyOf, formatEfficiency } from './efficiency.js';
import { formatDashboardFrames, type DashboardFrameRun } from './dashboard-frames.js';
import type { QuotesResult } from './quotes-suite.js';
import type { BookResult } from './book-suite.js';
import { goalTableRows, measurementsOf, stepAt, type GoalRow } from './goals.js';
import type { CpuPairsResult } from './cpu-pairs.js';

/** The run's results: JSON for tooling (B10), a table for people. */
export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  platform: string;
  /** Whether the server and the client side ran on separate cores. */
  pinned: boolean;
}

export interface BenchResults {
  startedAt: string;
  finishedAt: string;
  durationSec: number;
  quick: boolean;
  machine: MachineInfo;
  scenario: Scenario;
  fanout: { feed?: FanoutResult; baseline?: FanoutResult; speedup: number | null };
  /** Feed and naive windows interleaved at the goal rate, which judge the CPU goal (SPEC B46). */
  cpuPairs?: CpuPairsResult;
  idle: { feed?: IdleResult; baseline?: IdleResult };
  ingest?: IngestResult;
  persistence?: PersistenceResult;
  capacity?: FanoutResult;
  scaleout?: ScaleoutResult;
  /** Frame times of the dashboard in headless Chromium at the default rate and 10× it. */
  dashboard?: DashboardFrameRun[];
  /** The quotes channel with dashboard-like clients (SPEC Q14). */
  quotes?: QuotesResult;
  /** Order-book fan-out at rising update rates (SPEC B40–B45). */
  book?: BookResult;
  /** Issue 13's delivery goals beside the naive server of the same run, each met, missed or not judged (SPEC B31). */
  goals?: GoalRow[];
  /** Suites skipped, with why. */
  skipped: { suite: string; reason: string }[];
  /** Suites that could not run to the end. */
  errors: { suite: string; message: string }[];
}

export function machineInfo(pinned: boolean): MachineInfo {
  const c = cpus();
  return {
    cpus: c.length,
    cpuModel: c[0]?.model.trim() ?? 'unknown',
    memoryGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    pinned,
  };
}

export function speedupOf(feed: FanoutResult | undefined, baseline: FanoutResult | undefined): number | null {
  if (!feed?.sustained || !baseline?.sustained) return null;
  return feed.sustained / baseline.sustained;
}

export function renderTable(r: BenchResults): string {
  const out: string[] = [];
  const s = r.scenario;
  out.push('');
  out.push(`tickfeed bench, ${r.startedAt} (${r.quick ? 'quick' : 'full'}, ${r.durationSec.toFixed(0)} s)`);
  out.push(`machine: ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGb} GB, node ${r.machine.node}; server ${r.machine.pinned ? 'pinned to core 0, clients on core 1' : 'not pinned'}`);

  const feed = r.fanout.feed;
  const base = r.fanout.baseline;
  if (feed || base) {
    out.push('');
    out.push(`Fan-out: ${fmtInt(s.clients)} clients × ${s.perClient} of ${s.symbols} symbols (highest rate passing: p99 < 100 ms, no gap/duplicate, publisher on schedule, ≥ 98% delivered)`);
    const cols = [feed, base].filter((x): x is FanoutResult => x !== undefined);
    const rows: string[][] = [['', ...cols.map((c) => (c.kind === 'feed' ? 'feed server' : 'naive Socket.IO'))]];
    const at = (f: (m: StepMeasurement) => string) => cols.map((c) => (c.best ? f(c.best) : '-'));
    rows.push(['sustained ticks/s in', ...cols.map((c) => (c.sustained === null ? 'none passed' : `${fmtInt(c.best?.ticksInPerSec ?? c.sustained)} (target ${fmtInt(c.sustained)})`))]);
    rows.push(['lowest failing rate', ...cols.map((c) => (c.lowestFail === null ? '-' : fmtInt(c.lowestFail)))]);
    rows.push(['deliveries/s', ...at((m) => fmtInt(m.deliveriesPerSec))]);
    rows.push(['frames/s', ...at((m) => `${fmtInt(m.framesPerSec)} (${m.ticksPerFrame.toFixed(1)} ticks/frame)`)]);
    rows.push(['latency p50/p99/max', ...at((m) => `${m.latency.p50Ms.toFixed(1)} / ${m.latency.p99Ms.toFixed(1)} / ${m.latency.maxMs.toFixed(1)} ms`)]);
    rows.push(['server CPU', ...at((m) => `${(m.servers[0]?.cpuPct ?? 0).toFixed(0)}%`)]);
    rows.push(['server CPU per delivered tick', ...at((m) => { const e = efficiencyOf(m).cpuUsPerDelivery; return e === null ? '-' : `${e.toFixed(1)} µs`; })]);
    rows.push(['frames/s per core', ...at((m) => { const e = efficiencyOf(m).framesPerCoreSec; return e === null ? '-' : fmtInt(Math.round(e)); })]);
    rows.push(['server RSS', ...at((m) => `${(m.servers[0]?.rssMb ?? 0).toFixed(0)} MB`)]);
    rows.push(['client side CPU (core 1)', ...at((m) => `${m.clientSideCpuPct.toFixed(0)}%${m.clientSideSaturated ? ' SATURATED' : ''}`)]);
    rows.push(['other processes CPU', ...at((m) => `${m.othersCpuPct.toFixed(0)}%`)]);
    rows.push(['steps measured', ...cols.map((c) => String(c.steps.length))]);
    out.push(table(rows));
    if (r.fanout.speedup !== null) out.push(`feed server / naive baseline: ${r.fanout.speedup.toFixed(1)}× the sustained rate`);
    const d = feed?.atDefaultRate;
    if (d) {
      out.push(
        `feed server at the embedded default rate (${fmtInt(d.rate)} ticks/s, the same clients): p50/p99/max ${d.latency.p50Ms.toFixed(1)} / ${d.latency.p99Ms.toFixed(1)} / ${d.latency.maxMs.toFixed(1)} ms, ` +
          `${d.verdict.pass ? 'no loss' : `FAIL (${d.verdict.reasons.join('; ')})`} (its goal: below)`,
      );
    }
    // Every measured rate of both servers (B20): steadier on a shared machine than the sustained rate.
    out.push('each measured rate (server CPU per delivered tick, frames/s per core of server CPU, p99):');
    const rates = [...new Set(cols.flatMap((c) => measurementsOf(c).map((m) => m.rate)))].sort((a, b) => a - b);
    for (const rate of rates) {
      const cells = cols.map((c) => {
        const m = stepAt(c, rate);
        const name = c.kind === 'feed' ? 'feed' : 'naive';
        return m === undefined ? `${name} -` : `${name} ${formatEfficiency(efficiencyOf(m))}, p99 ${m.latency.p99Ms.toFixed(0)} ms ${m.verdict.pass ? 'PASS' : 'FAIL'}`;
      });
      out.push(`  ${fmtInt(rate)}/s: ${cells.join(' | ')}`);
    }
    for (const c of cols) {
      const lastFail = c.steps.filter((m) => !m.verdict.pass).sort((a, b) => a.rate - b.rate)[0];
      if (lastFail) out.push(`${c.kind} first fails at ${fmtInt(lastFail.rate)}/s: ${lastFail.verdict.reasons.join('; ')}`);
    }
  }

  const cp = r.cpuPairs;
  if (cp) {
    out.push('');
    out.push(`CPU per delivered tick at ${fmtInt(cp.rate)} ticks/s, both servers up at once, measured in alternating windows (the median ratio of the clean pairs judges the CPU goal):`);
    for (const [i, p] of cp.pairs.entries()) {
      const fig = (m: StepMeasurement) => `${formatEfficiency(efficiencyOf(m))}, p99 ${m.latency.p99Ms.toFixed(0)} ms, others ${m.othersCpuPct.toFixed(0)}%`;
      const ratio = p.ratio === null ? 'no ratio' : `${p.ratio.toFixed(2)}×`;
      out.push(`  pair ${i + 1} (${p.feedFirst ? 'feed first' : 'naive first'}): feed ${fig(p.feed)} | naive ${fig(p.naive)}: ${ratio}${p.disturbed === null ? '' : ` (not counted: ${p.disturbed})`}`);
    }
    out.push(`  median ratio: ${cp.medianRatio === null ? 'none (no clean pair)' : `${cp.medianRatio.toFixed(2)}×`}`);
  }

  if (r.goals) {
    out.push('');
    out.push('Goals (issue 13), beside the naive Socket.IO server of this run: met, missed, or not judged when the step was disturbed (client side saturated, machine busy)');
    out.push(table(goalTableRows(r.goals)));
  }

  if (r.idle.feed || r.idle.baseline) {
    out.push('');
    out.push(`Idle RSS per subscribed connection (${s.perClient} symbols each, after a full GC)`);
    const kinds = [r.idle.feed, r.idle.baseline].filter((x): x is IdleResult => x !== undefined);
    const counts = [...new Set(kinds.flatMap((k) => k.rows.map((row) => row.clients)))].sort((a, b) => a - b);
    const rows: string[][] = [['clients', ...kinds.map((k) => (k.kind === 'feed' ? 'feed server' : 'naive Socket.IO'))]];
    for (const n of counts) {
      rows.push([
        fmtInt(n),
        ...kinds.map((k) => {
          const row = k.rows.find((x) => x.clients === n);
          if (!row) return '-';
          const marginal = row.marginalKb === null ? '' : `, +${row.marginalKb.toFixed(1)} KB per added one`;
          return `${row.perConnectionKb.toFixed(1)} KB (RSS ${row.rssMb.toFixed(0)} MB${marginal})`;
        }),
      ]);
    }
    out.push(table(rows));
  }

  if (r.ingest) {
    const i = r.ingest;
    out.push('');
    out.push(
      `Ingest over /ingest (one external publisher, batches of ${fmtInt(i.batchSize)}, ${i.maxInFlight} in flight, acks): ` +
        `${fmtInt(i.acceptedPerSec)} ticks/s accepted; ack p50/p99 ${i.ack.p50Ms.toFixed(1)}/${i.ack.p99Ms.toFixed(1)} ms; server CPU ${i.server.cpuPct.toFixed(0)}%; ` +
        `${i.noLoss ? 'no loss (every tick acked and stored)' : `LOSS: sent ${i.sent}, accepted ${i.accepted}, stored ${i.storedSeqTotal}`}`,
    );
  }

  if (r.persistence) {
    const p = r.persistence;
    out.push('');
    out.push(
      `Persistence (DATA_DIR, GROUP_COMMIT=fsync): ingest over /ingest ${fmtInt(p.ingestPerSec)} ticks/s acked (goal ≥ 100,000), ack p99 ${p.ingestAckP99Ms.toFixed(1)} ms, server CPU ${p.server.cpuPct.toFixed(0)}%${p.ingestNoLoss ? '' : ', LOSS'}; ` +
        `a day of ${fmtInt(p.dayTicks)} ticks over ${p.daySymbols} symbols (${p.diskMb.toFixed(0)} MB, built in-process at ${fmtInt(p.buildPerSec)} ticks/s): start-up ${fmtInt(p.startupMs)} ms (goal ≤ 5,000); ` +
        `range reads beyond memory: 1,000 ticks by (symbol, seq) p50/p99 ${p.tickRangeMs.p50.toFixed(1)}/${p.tickRangeMs.p99.toFixed(1)} ms, 500 candles by (symbol, interval, time) ${p.candleRangeMs.p50.toFixed(1)}/${p.candleRangeMs.p99.toFixed(1)} ms`,
    );
  }

  if (r.capacity) {
    const c = r.capacity;
    const m = c.steps[0];
    out.push('');
    if (m) {
      out.push(
        `Capacity: ${fmtInt(c.scenario.clients)} subscribed connections at ${fmtInt(m.rate)} ticks/s: p50/p99/max ${m.latency.p50Ms.toFixed(1)}/${m.latency.p99Ms.toFixed(1)}/${m.latency.maxMs.toFixed(1)} ms, ` +
          `${fmtInt(m.deliveriesPerSec)} deliveries/s, server CPU ${(m.servers[0]?.cpuPct ?? 0).toFixed(0)}%, RSS ${(m.servers[0]?.rssMb ?? 0).toFixed(0)} MB: ${m.verdict.pass ? 'PASS' : `FAIL (${m.verdict.reasons.join('; ')})`}`,
      );
    }
  }

  if (r.scaleout) {
    const so = r.scaleout;
    out.push('');
    out.push(`Scale-out: two feed servers sharing Redis, publisher on A, ${fmtInt(so.clients)} clients split over A and B, ${fmtInt(so.rate)} ticks/s in (A, B and redis-server on core 0)`);
    const rows: string[][] = [['', 'clients on A (ingests)', 'clients on B (other)']];
    const g = (label: string) => so.measurement.groups.find((x) => x.label === label);
    const a = g('A');
    const b = g('B');
    rows.push(['latency p50/p99/max', ...[a, b].map((x) => (x ? `${x.latency.p50Ms.toFixed(1)} / ${x.latency.p99Ms.toFixed(1)} / ${x.latency.maxMs.toFixed(1)} ms` : '-'))]);
    rows.push(['deliveries/s', ...[a, b].map((x) => (x ? fmtInt(x.deliveriesPerSec) : '-'))]);
    rows.push(['delivered / expected', ...[a, b].map((x) => (x ? `${fmtInt(x.delivered)} / ${fmtInt(x.expected)}` : '-'))]);
    rows.push(['gaps / duplicates', ...[a, b].map((x) => (x ? `${x.seq.gaps} / ${x.seq.duplicates}` : '-'))]);
    rows.push(['server CPU', ...['A', 'B'].map((l) => `${(so.measurement.servers.find((s) => s.label === l)?.cpuPct ?? 0).toFixed(0)}%`)]);
    rows.push(['CPU per tick in', `${so.cpuUsPerTickA.toFixed(0)} µs`, `${so.cpuUsPerTickB.toFixed(0)} µs`]);
    out.push(table(rows));
    const single = so.single;
    out.push(
      `Redis per tick in: ${so.redis.cpuUsPerTick.toFixed(0)} µs of redis-server CPU, ${so.redis.commandsPerTick.toFixed(1)} commands, ${fmtInt(so.redis.netBytesPerTick)} bytes of traffic. ` +
        `Server side (A + B + Redis): ${so.totalCpuUsPerTick.toFixed(0)} µs CPU per tick in` +
        (single && so.singleCpuUsPerTick !== null
          ? `; one instance without Redis at the same load: ${so.singleCpuUsPerTick.toFixed(0)} µs (p50/p99 ${single.latency.p50Ms.toFixed(1)}/${single.latency.p99Ms.toFixed(1)} ms), so going through Redis adds ${(so.addedCpuUsPerTick ?? 0).toFixed(0)} µs per tick.`
          : '.'),
    );
    out.push(`Scale-out step: ${so.measurement.verdict.pass ? 'PASS' : `FAIL (${so.measurement.verdict.reasons.join('; ')})`}`);
  }

  if (r.dashboard) {
    out.push('');
    out.push(formatDashboardFrames(r.dashboard));
  }

  for (const sk of r.skipped) out.push(`skipped ${sk.suite}: ${sk.reason}`);
  for (const e of r.errors) out.push(`ERROR in ${e.suite}: ${e.message}`);
  out.push('');
  return out.join('\n');
}

function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}
