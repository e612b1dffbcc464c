import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canPin } from './child-process.js';
import type { BenchPlan, SuiteName } from './bench-options.js';
import { machineInfo, speedupOf, type BenchResults } from './bench-report.js';
import { RESULTS_DIR } from './scripts.js';
import { ScaleoutUnsupported, runScaleout } from './scaleout.js';
import { runFanout, runIdle, runIngest, runPersistence, scenarioOf, type Log } from './suites.js';
import { CHROMIUM_PATH, formatDashboardFrames, runDashboardFrames } from './dashboard-frames.js';
import { runQuotes } from './quotes-suite.js';
import { formatBookSummary, runBook } from './book-suite.js';
import { judgeGoals } from './goals.js';
import { runCpuPairs } from './cpu-pairs.js';

/** Runs the plan's suites in order; a failing suite is reported and the others still run. */
export async function runBench(plan: BenchPlan, log: Log): Promise<BenchResults> {
  const started = Date.now();
  const results: BenchResults = {
    startedAt: new Date(started).toISOString(),
    finishedAt: '',
    durationSec: 0,
    quick: plan.options.quick,
    machine: machineInfo(canPin()),
    scenario: scenarioOf(plan),
    fanout: { speedup: null },
    idle: {},
    skipped: [],
    errors: [],
  };
  const suite = async (name: SuiteName, body: () => Promise<void>) => {
    if (!plan.suites.includes(name)) return;
    log(`--- ${name}`);
    try {
      await body();
    } catch (e) {
      if (e instanceof ScaleoutUnsupported) {
        results.skipped.push({ suite: name, reason: e.message });
        log(`skipped ${name}: ${e.message}`);
        return;
      }
      const message = e instanceof Error ? e.message : String(e);
      results.errors.push({ suite: name, message });
      log(`ERROR in ${name}: ${message}`);
    }
  };

  await suite('fanout', async () => {
    results.fanout.feed = await runFanout('feed', plan, log);
  });
  await suite('baseline', async () => {
    results.fanout.baseline = await runFanout('baseline', plan, log);
  });
  results.fanout.speedup = speedupOf(results.fanout.feed, results.fanout.baseline);
  await suite('cpu-pairs', async () => {
    results.cpuPairs = await runCpuPairs(plan, log);
  });
  if (results.fanout.feed || results.fanout.baseline || results.cpuPairs) {
    results.goals = judgeGoals(results.fanout.feed, results.fanout.baseline, plan.criteria, results.cpuPairs?.pairs);
  }
  await suite('idle', async () => {
    results.idle.feed = await runIdle('feed', plan, log);
    results.idle.baseline = await runIdle('baseline', plan, log);
  });
  await suite('ingest', async () => {
    results.ingest = await runIngest(plan, log);
  });
  await suite('persistence', async () => {
    results.persistence = await runPersistence(plan, log);
  });
  await suite('capacity', async () => {
    results.capacity = await runFanout('feed', plan, log, plan.capacity.clients, [plan.capacity.rate]);
  });
  await suite('scaleout', async () => {
    results.scaleout = await runScaleout(plan, log);
  });
  await suite('dashboard', async () => {
    if (!existsSync(CHROMIUM_PATH)) {
      results.skipped.push({ suite: 'dashboard', reason: `no browser at ${CHROMIUM_PATH} (apt-get install -y chromium)` });
      log(`skipped dashboard: no browser at ${CHROMIUM_PATH}`);
      return;
    }
    results.dashboard = await runDashboardFrames(plan.dashboardSeconds);
    log(formatDashboardFrames(results.dashboard));
  });

  await suite('quotes', async () => {
    results.quotes = await runQuotes(plan, log);
  });
  await suite('book', async () => {
    results.book = await runBook(plan, log);
    log(formatBookSummary(results.book, results.fanout.feed?.sustained));
  });

  const finished = Date.now();
  results.finishedAt = new Date(finished).toISOString();
  results.durationSec = (finished - started) / 1000;
  return results;
}

/** Writes bench/results/bench-<time>.json and latest.json; returns the first path. */
export function saveResults(results: BenchResults, dir = RESULTS_DIR): string {
  mkdirSync(dir, { recursive: true });
  const name = `bench-${results.startedAt.replace(/[:.]/g, '-')}${results.quick ? '-quick' : ''}.json`;
  const body = `${JSON.stringify(results, null, 2)}\n`;
  writeFileSync(join(dir, name), body);
  writeFileSync(join(dir, 'latest.json'), body);
  return join(dir, name);
}
