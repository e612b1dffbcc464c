import type { LadderPlan } from './ladder.js';
import type { StepTiming } from './rig.js';
import { DEFAULT_CRITERIA, type PassCriteria } from './verdict.js';
import { DEFAULT_UNIVERSE } from '@tickfeed/simulator';
import { readFlags, UsageError, type FlagKinds } from './command-line.js';

export { UsageError } from './command-line.js';

/**
 * Options of `npm run bench` (B8), read from its command line, and the plan
 * they turn into. Pure.
 */
export const SUITES = ['fanout', 'baseline', 'cpu-pairs', 'idle', 'ingest', 'persistence', 'capacity', 'scaleout', 'dashboard', 'quotes', 'book'] as const;
export type SuiteName = (typeof SUITES)[number];

export interface BenchOptions {
  /** --quick: short windows and a short ladder; the whole run in a few minutes. */
  quick: boolean;
  /** --clients N: consumer connections of the fan-out scenario (default 1,000). */
  clients: number;
  /** --symbols N: size of the universe (default 500). */
  symbols: number;
  /** --per-client N: symbols each client follows (default 10). */
  perClient: number;
  /** --only a,b: run only these suites (default: all that apply). */
  only: SuiteName[] | null;
  /** --json: print the results as JSON on stdout (progress goes to stderr). */
  json: boolean;
  /** --seed N: seed of symbol assignment and prices (default 1). */
  seed: number;
  /** --load-gens N: load generator processes (default 1). */
  loadGens: number;
  /** --rates a,b,...: measure these rates instead of running the ladder. */
  rates: number[] | null;
  /** --idle-clients a,b: connection counts of the idle memory suite (default 1000,5000). */
  idleClients: number[];
  /** --nice N: run every bench process at this niceness (-20..19; negative needs root); 0 = unchanged. */
  nice: number;
  /** --server-log FILE: append the servers' stdout (their logs, --trace-gc output) to FILE. */
  serverLog: string | null;
  /** --server-node-flags a,b: extra node flags for every server process (e.g. --cpu-prof, --trace-gc). */
  serverNodeFlags: string[];
  help: boolean;
}

export const DEFAULT_OPTIONS: BenchOptions = {
  quick: false,
  clients: 1_000,
  symbols: 500,
  perClient: 10,
  only: null,
  json: false,
  seed: 1,
  loadGens: 1,
  rates: null,
  idleClients: [1_000, 5_000],
  nice: 0,
  serverLog: null,
  serverNodeFlags: [],
  help: false,
};

export const USAGE = `Usage: npm run bench -- [options]

  --quick              short windows and ladder (a few minutes)
  --clients N          consumer connections (default 1000)
  --symbols N          symbols in the universe (default 500)
  --per-client N       symbols each client follows (default 10)
  --only LIST          suites to run, comma-separated: ${SUITES.join(', ')}
  --rates LIST         measure these rates (ticks/s) instead of the ladder
  --idle-clients LIST  connection counts for idle memory (default 1000,5000)
  --load-gens N        load generator processes (default 1)
  --seed N             seed of symbol assignment and prices (default 1)
  --nice N             niceness of every bench process, e.g. -10 on a shared machine (needs root)
  --server-log FILE    append the servers' stdout (logs, --trace-gc output) to FILE
  --server-node-flags=LIST  extra node flags of the servers, comma-separated,
                       e.g. --server-node-flags=--cpu-prof,--cpu-prof-dir=/tmp/prof
  --json               print results as JSON on stdout
  --help               this text
`;

const FLAGS = {
  quick: 'boolean',
  json: 'boolean',
  help: 'boolean',
  clients: 'string',
  symbols: 'string',
  'per-client': 'string',
  seed: 'string',
  'load-gens': 'string',
  rates: 'string',
  nice: 'string',
  'server-log': 'string',
  'server-node-flags': 'string',
  'idle-clients': 'string',
  only: 'string',
} as const satisfies FlagKinds;

export function parseOptions(argv: readonly string[]): BenchOptions {
  // Node flags start with '--', so this one takes its value only as --server-node-flags=a,b.
  if (argv.includes('--server-node-flags')) throw new UsageError('--server-node-flags takes its value after =, e.g. --server-node-flags=--trace-gc');
  const flags = readFlags(argv, FLAGS);
  const o: BenchOptions = { ...DEFAULT_OPTIONS };
  const text = (name: keyof typeof FLAGS): string | undefined => {
    const value = flags.get(name);
    return typeof value === 'string' ? value : undefined;
  };
  const int = (name: keyof typeof FLAGS): number | undefined => {
    const value = text(name);
    return value === undefined ? undefined : positiveInt(name, value);
  };
  const ints = (name: keyof typeof FLAGS): number[] | undefined => text(name)?.split(',').filter((v) => v.trim() !== '').map((v) => positiveInt(name, v.trim()));
  o.quick = flags.has('quick');
  o.json = flags.has('json');
  o.help = flags.has('help');
  o.clients = int('clients') ?? o.clients;
  o.symbols = int('symbols') ?? o.symbols;
  o.perClient = int('per-client') ?? o.perClient;
  o.seed = int('seed') ?? o.seed;
  o.loadGens = int('load-gens') ?? o.loadGens;
  o.rates = ints('rates') ?? o.rates;
  o.idleClients = ints('idle-clients') ?? o.idleClients;
  const nice = text('nice');
  if (nice !== undefined) {
    const n = Number(nice);
    if (!Number.isInteger(n) || n < -20 || n > 19) throw new UsageError(`--nice must be an integer from -20 to 19, got '${nice}'`);
    o.nice = n;
  }
  o.serverLog = text('server-log') ?? o.serverLog;
  const nodeFlags = text('server-node-flags');
  if (nodeFlags !== undefined) o.serverNodeFlags = list(nodeFlags);
  const only = text('only');
  if (only !== undefined) {
    const names = list(only);
    for (const n of names) {
      if (!(SUITES as readonly string[]).includes(n)) throw new UsageError(`unknown suite '${n}' (one of ${SUITES.join(', ')})`);
    }
    o.only = names as SuiteName[];
  }
  if (o.perClient > o.symbols) throw new UsageError('--per-client cannot exceed --symbols');
  return o;
}

/** Everything a run does, derived from the options; tests build a tiny one directly. */
export interface BenchPlan {
  options: BenchOptions;
  suites: SuiteName[];
  timing: StepTiming;
  /** The steps at the goal rates (B31) and the cpu-pairs windows: their CPU ratio moves too much in a 3 s window, so --quick measures them longer. */
  goalTiming: StepTiming;
  /** Interleaved feed/naive window pairs at the goal rate that judge the CPU goal (B46). */
  cpuPairs: number;
  /** Each server's unmeasured first window of the cpu-pairs suite (the JIT settling: with 8 s of load the first pair's ratio was 0.83× on average, the later pairs' 0.71×). */
  cpuPairsWarmup: StepTiming;
  criteria: PassCriteria;
  feedLadder: LadderPlan;
  baselineLadder: LadderPlan;
  ingest: { durationMs: number; batchSize: number; maxInFlight: number };
  capacity: { clients: number; rate: number };
  /** Seconds of each dashboard frame measurement (one at the default rate, one at 10×). */
  dashboardSeconds: number;
  /** The embedded default rate (`npm start`'s simulator: the default universe's mean aggregate rate), ticks/s. */
  defaultRate: number;
  scaleout: { rate: number };
  /** Before each step, wait at most this long for other processes to go quiet, ms. */
  quietWaitMs: number;
  /** How long each look at the machine's load lasts, ms. */
  quietSampleMs: number;
  /** How many times a failed step disturbed by other processes is measured again. */
  maxRetries: number;
  /** Whether every failed step is measured once more, disturbed or not (full runs; --quick keeps to its time budget). */
  retryEveryFailure: boolean;
}

export function buildPlan(o: BenchOptions): BenchPlan {
  const quick = o.quick;
  // Capacity (10,000 connections), scale-out and the dashboard take a while: full runs only, unless asked for.
  const defaults: SuiteName[] = quick
    ? ['fanout', 'baseline', 'cpu-pairs', 'idle', 'ingest', 'persistence', 'book']
    : ['fanout', 'baseline', 'cpu-pairs', 'idle', 'ingest', 'persistence', 'capacity', 'scaleout', 'dashboard', 'quotes', 'book'];
  return {
    options: o,
    suites: o.only ?? defaults,
    timing: quick ? { warmupMs: 1_000, measureMs: 3_000, drainMs: 1_500 } : { warmupMs: 3_000, measureMs: 10_000, drainMs: 2_000 },
    goalTiming: quick ? { warmupMs: 1_000, measureMs: 8_000, drainMs: 1_500 } : { warmupMs: 3_000, measureMs: 10_000, drainMs: 2_000 },
    cpuPairs: quick ? 3 : 5,
    cpuPairsWarmup: quick ? { warmupMs: 1_000, measureMs: 9_000, drainMs: 1_000 } : { warmupMs: 3_000, measureMs: 20_000, drainMs: 1_000 },
    criteria: DEFAULT_CRITERIA,
    feedLadder: quick
      ? { start: 5_000, factor: 2, maxRate: 160_000, minRate: 250, resolution: 0.3, granularity: 250, maxSteps: 5 }
      : { start: 2_500, factor: 2, maxRate: 160_000, minRate: 250, resolution: 0.08, granularity: 250, maxSteps: 10 },
    baselineLadder: quick
      ? { start: 1_000, factor: 2, maxRate: 40_000, minRate: 100, resolution: 0.3, granularity: 100, maxSteps: 5 }
      : { start: 500, factor: 2, maxRate: 40_000, minRate: 100, resolution: 0.08, granularity: 100, maxSteps: 9 },
    ingest: { durationMs: quick ? 4_000 : 10_000, batchSize: 1_000, maxInFlight: 4 },
    capacity: { clients: 10_000, rate: 1_000 },
    dashboardSeconds: quick ? 10 : 30,
    defaultRate: embeddedDefaultRate(),
    scaleout: { rate: 1_000 },
    // --quick does not wait: its 2-minute budget matters more; each step still reports the others' CPU.
    quietWaitMs: quick ? 0 : 60_000,
    quietSampleMs: quick ? 500 : 1_000,
    maxRetries: quick ? 1 : 2,
    retryEveryFailure: !quick,
  };
}

/** Mean ticks per second of the simulator's default universe, which `npm start` runs. */
export function embeddedDefaultRate(): number {
  return Math.round(DEFAULT_UNIVERSE.symbols.reduce((sum, s) => sum + s.activity, 0));
}

function positiveInt(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer, got '${v}'`);
  return n;
}

function list(v: string): string[] {
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
