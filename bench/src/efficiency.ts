import type { StepMeasurement } from './rig.js';

/** What a step cost the server, independent of how busy the machine was (SPEC B20). */
export interface StepEfficiency {
  /** Server CPU time per delivered tick, µs (utime + stime over deliveries). */
  cpuUsPerDelivery: number | null;
  /** Frames the server sent per second of its own CPU time: frames/s ÷ the share of a core it used. */
  framesPerCoreSec: number | null;
}

/** Null where the step delivered nothing or the server used no measurable CPU. */
export function efficiencyOf(m: Pick<StepMeasurement, 'deliveriesPerSec' | 'framesPerSec' | 'servers'>): StepEfficiency {
  const cpuShare = m.servers.reduce((sum, s) => sum + s.cpuPct, 0) / 100;
  if (cpuShare <= 0) return { cpuUsPerDelivery: null, framesPerCoreSec: null };
  return {
    cpuUsPerDelivery: m.deliveriesPerSec > 0 ? (cpuShare * 1e6) / m.deliveriesPerSec : null,
    framesPerCoreSec: m.framesPerSec > 0 ? m.framesPerSec / cpuShare : null,
  };
}

/** "2.1 µs/delivery, 95,000 frames/s per core", with "-" for a figure that does not exist. */
export function formatEfficiency(e: StepEfficiency): string {
  const us = e.cpuUsPerDelivery === null ? '-' : e.cpuUsPerDelivery.toFixed(1);
  const frames = e.framesPerCoreSec === null ? '-' : Math.round(e.framesPerCoreSec).toLocaleString('en-US');
  return `${us} µs CPU/delivery, ${frames} frames/s per core`;
}
