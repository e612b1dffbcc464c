import { describe, expect, it } from 'vitest';
import { dashboardBudgetVerdicts, type DashboardFrameRun } from '../src/dashboard-frames.js';

function run(label: string, p95: number, firstTickMs: number): DashboardFrameRun {
  return {
    label,
    ticksPerSec: 81,
    symbols: 50,
    result: {
      url: 'http://x',
      durationMs: 1_000,
      frames: 60,
      fps: 60,
      frameMs: { p50: 16.7, p95, p99: p95, max: p95 },
      longTasks: { count: 0, totalMs: 0, maxMs: 0 },
      mainThreadBusyPct: 10,
      ticksApplied: 100,
      tickFrames: 50,
      firstTickMs,
    },
  };
}

describe('dashboard budgets', () => {
  it('[B15] p95 frame is judged on the 10× run, the first live tick on the slowest run; a limit is met when equalled', () => {
    expect(dashboardBudgetVerdicts([run('default rate', 40, 900), run('10× default', 16.7, 1_500)])).toEqual([
      'p95 frame ≤ 16.7 ms at 10× the default rate: 16.7 ms, met',
      'first live tick ≤ 1,500 ms after navigation: 1,500 ms (slowest run), met',
    ]);
    expect(dashboardBudgetVerdicts([run('default rate', 10, 1_600), run('10× default', 16.8, 700)])).toEqual([
      'p95 frame ≤ 16.7 ms at 10× the default rate: 16.8 ms, missed',
      'first live tick ≤ 1,500 ms after navigation: 1,600 ms (slowest run), missed',
    ]);
  });
});
