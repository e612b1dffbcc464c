import type { BenchPlan } from './bench-options.js';
import { GOALS, cpuPairOf, medianRatio, type CpuPair } from './goals.js';
import { Rig, assignSymbols, startServer, type ServerHandle, type ServerKind, type StepMeasurement } from './rig.js';
import { fmtInt, measureStep, scenarioOf, serverOptions, type Log } from './suites.js';

/** The CPU ratio goal measured in interleaved windows (SPEC B46). */
export interface CpuPairsResult {
  rate: number;
  /** In the order measured; the servers take turns going first. */
  pairs: CpuPair[];
  /** Median of the clean pairs' ratios (feed µs per delivery over naive's); null when no pair was clean. */
  medianRatio: number | null;
}

/**
 * The feed server and the naive one, both up at once on core 0 with the same
 * clients each, measured at the goal rate in alternating windows: feed then
 * naive, naive then feed, and so on. A server's CPU per delivery moves by
 * ±15% from one window to the next on a shared machine, mostly with how busy
 * the receiving side happens to be (on loopback the sender's write also runs
 * the receiver's TCP processing and wake-up); windows seconds apart, in both
 * orders, see the same machine, and the median of several pairs is not moved
 * by one odd window. One long unmeasured window per server first: the JIT is
 * still compiling well into a server's first seconds of load.
 */
export async function runCpuPairs(plan: BenchPlan, log: Log): Promise<CpuPairsResult> {
  const rate = GOALS.midRate;
  const scenario = scenarioOf(plan);
  const handles: ServerHandle[] = [];
  const rigs: Rig[] = [];
  try {
    for (const kind of ['feed', 'baseline'] as const) handles.push(await startServer(kind, serverOptions(plan)));
    for (const server of handles) {
      const rig = await Rig.start({
        servers: [server],
        groups: Array.from({ length: plan.options.loadGens }, (_, i) => ({ label: `${server.kind} ${i + 1}`, server })),
        symbols: plan.options.symbols,
        seed: plan.options.seed,
        criteria: plan.criteria,
        nice: plan.options.nice,
      });
      rigs.push(rig);
      await rig.connectClients(assignSymbols(scenario));
    }
    const [feedRig, naiveRig] = rigs as [Rig, Rig];
    log(`cpu pairs: feed and naive servers both up (core 0), ${fmtInt(scenario.clients)} clients each; ${plan.cpuPairs} pairs at ${fmtInt(rate)}/s`);
    const run = (kind: ServerKind) => measureStep(kind === 'feed' ? feedRig : naiveRig, kind, rate, plan, log, undefined, plan.goalTiming);
    for (const kind of ['feed', 'baseline'] as const) {
      log(`cpu pairs: ${kind} warm-up window (not counted)`);
      await (kind === 'feed' ? feedRig : naiveRig).measure(kind, rate, plan.cpuPairsWarmup);
    }
    const pairs: CpuPair[] = [];
    for (let i = 0; i < plan.cpuPairs; i++) {
      const feedFirst = i % 2 === 0;
      let feed: StepMeasurement;
      let naive: StepMeasurement;
      if (feedFirst) {
        feed = await run('feed');
        naive = await run('baseline');
      } else {
        naive = await run('baseline');
        feed = await run('feed');
      }
      const pair = cpuPairOf(feed, naive, feedFirst, plan.criteria);
      pairs.push(pair);
      log(`cpu pair ${i + 1}: ${pair.ratio === null ? 'no ratio' : `${pair.ratio.toFixed(2)}×`}${pair.disturbed === null ? '' : ` (${pair.disturbed})`}`);
    }
    return { rate, pairs, medianRatio: medianRatio(pairs) };
  } finally {
    await Promise.all(rigs.map((r) => r.close()));
    await Promise.all(handles.map((s) => s.child.stop()));
  }
}
