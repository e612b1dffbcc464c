import type { BenchPlan } from './bench-options.js';
import { startRedis } from './redis-process.js';
import { Rig, SERVER_CPU, assignSymbols, startServer, type ServerHandle, type StepMeasurement } from './rig.js';
import { measureStep, runFanout, scenarioOf, serverOptions, type Log } from './suites.js';

/**
 * Scale-out (B11, issue 5): two feed servers sharing a redis-server, the
 * publisher on A, clients split over A and B, one rate; latency per side and
 * what Redis costs per tick. A single-instance run at the same load gives
 * the reference.
 */
export interface ScaleoutResult {
  rate: number;
  clients: number;
  measurement: StepMeasurement;
  redis: {
    cpuPct: number;
    /** redis-server CPU per tick in, µs. */
    cpuUsPerTick: number;
    /** Redis commands processed per tick in. */
    commandsPerTick: number;
    /** Redis network bytes (in + out) per tick in. */
    netBytesPerTick: number;
  };
  /** Server CPU per tick in, µs: instance A, instance B, and A + B + Redis. */
  cpuUsPerTickA: number;
  cpuUsPerTickB: number;
  totalCpuUsPerTick: number;
  /** The same load on one instance without Redis. */
  single: StepMeasurement | null;
  singleCpuUsPerTick: number | null;
  /** totalCpuUsPerTick − singleCpuUsPerTick: what going through Redis adds per tick. */
  addedCpuUsPerTick: number | null;
}

export class ScaleoutUnsupported extends Error {}

export async function runScaleout(plan: BenchPlan, log: Log): Promise<ScaleoutResult> {
  const rate = plan.options.rates?.[0] ?? plan.scaleout.rate;
  const scenario = scenarioOf(plan);
  const redis = await startRedis(SERVER_CPU, plan.options.nice);
  let measurement: StepMeasurement;
  let before: Record<string, string>;
  let after: Record<string, string>;
  try {
    const servers: ServerHandle[] = [];
    let rig: Rig | null = null;
    try {
      const env = { REDIS_URL: redis.url };
      const nice = plan.options.nice;
      try {
        servers.push(await startServer('feed', { ...serverOptions(plan), label: 'A', env }));
        servers.push(await startServer('feed', { ...serverOptions(plan), label: 'B', env }));
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        if (/scale-out is not available|REDIS_URL/.test(message)) {
          throw new ScaleoutUnsupported(`the feed server does not support REDIS_URL yet: ${message.split('\n').find((l) => /REDIS_URL|scale-out/.test(l))?.trim() ?? message}`);
        }
        throw e;
      }
      const [a, b] = servers as [ServerHandle, ServerHandle];
      rig = await Rig.start({
        servers,
        groups: [
          { label: 'A', server: a },
          { label: 'B', server: b },
        ],
        symbols: plan.options.symbols,
        seed: plan.options.seed,
        criteria: plan.criteria,
        extraProcesses: [{ label: 'redis', pid: redis.pid }],
        nice,
      });
      log(`scale-out: redis on port ${redis.port}; connecting ${scenario.clients} clients split over A and B`);
      try {
        await rig.connectClients(assignSymbols(scenario));
      } catch (e) {
        throw new ScaleoutUnsupported(`instance B does not share A's universe over REDIS_URL (${e instanceof Error ? e.message : String(e)})`);
      }
      const stats: { before: Record<string, string>; after: Record<string, string> } = { before: {}, after: {} };
      measurement = await measureStep(rig, 'feed', rate, plan, log, {
        before: async () => {
          stats.before = await redis.info('stats');
        },
        after: async () => {
          stats.after = await redis.info('stats');
        },
      });
      before = stats.before;
      after = stats.after;
    } finally {
      await rig?.close();
      await Promise.all(servers.map((s) => s.child.stop()));
    }
  } finally {
    await redis.stop();
  }

  log(`scale-out reference: one instance, no Redis, same load`);
  const single = (await runFanout('feed', plan, log, scenario.clients, [rate])).steps[0] ?? null;

  const ticks = measurement.publisher.accepted;
  const perTickUs = (cpuPct: number) => (measurement.ticksInPerSec > 0 ? (cpuPct / 100 / measurement.ticksInPerSec) * 1e6 : 0);
  const cpu = (label: string) => measurement.servers.find((s) => s.label === label)?.cpuPct ?? 0;
  const delta = (key: string) => Number(after[key] ?? 0) - Number(before[key] ?? 0);
  const totalCpuUsPerTick = perTickUs(cpu('A') + cpu('B') + cpu('redis'));
  const singleCpuUsPerTick =
    single && single.ticksInPerSec > 0 ? ((single.servers[0]?.cpuPct ?? 0) / 100 / single.ticksInPerSec) * 1e6 : null;
  return {
    rate,
    clients: scenario.clients,
    measurement,
    redis: {
      cpuPct: cpu('redis'),
      cpuUsPerTick: perTickUs(cpu('redis')),
      commandsPerTick: ticks > 0 ? delta('total_commands_processed') / ticks : 0,
      netBytesPerTick: ticks > 0 ? (delta('total_net_input_bytes') + delta('total_net_output_bytes')) / ticks : 0,
    },
    cpuUsPerTickA: perTickUs(cpu('A')),
    cpuUsPerTickB: perTickUs(cpu('B')),
    totalCpuUsPerTick,
    single,
    singleCpuUsPerTick,
    addedCpuUsPerTick: singleCpuUsPerTick === null ? null : totalCpuUsPerTick - singleCpuUsPerTick,
  };
}
