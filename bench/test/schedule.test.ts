import { describe, expect, it } from 'vitest';
import { RateSchedule } from '../src/schedule.js';
import { TickFactory, benchSymbols } from '../src/tick-factory.js';
import { checkTick, createRandom, pickDistinct } from '@tickfeed/protocol';
import { buildPlan, parseOptions, UsageError, DEFAULT_OPTIONS } from '../src/bench-options.js';

describe('publisher schedule', () => {
  it('[B4] spreads the target evenly and measures lag from when a tick fell due', () => {
    const s = new RateSchedule(1_000, 10_000, 2_000);
    expect(s.target).toBe(2_000);
    expect(s.dueBy(10_000)).toBe(0);
    expect(s.dueBy(10_001)).toBe(1);
    expect(s.dueBy(10_500)).toBe(500);
    expect(s.dueBy(99_999)).toBe(2_000);
    expect(s.dueAt(0)).toBe(10_001);
    expect(s.lagOf(499, 10_530)).toBe(30);
    expect(s.lagOf(499, 10_000)).toBe(0);
  });
});

describe('tick factory', () => {
  it('[B4] produces valid ticks, seq +1 per symbol, continuing a declared seq', () => {
    const symbols = benchSymbols(3);
    expect(symbols).toEqual(['BENCH000', 'BENCH001', 'BENCH002']);
    const f = new TickFactory(symbols, createRandom(1, 'bench'), [{ lastSeq: 41, last: 50 }]);
    const seen = new Map<string, number>([['BENCH000', 41]]);
    for (let i = 0; i < 1_000; i++) {
      const t = f.next(1_700_000_000_000 + i);
      expect(checkTick(t)).toBeNull();
      expect(t.seq).toBe((seen.get(t.symbol) ?? 0) + 1);
      seen.set(t.symbol, t.seq);
    }
  });

  it('[B4] a seed reproduces the symbol assignment', () => {
    const a = pickDistinct(benchSymbols(500), 10, createRandom(9, 'bench'));
    const b = pickDistinct(benchSymbols(500), 10, createRandom(9, 'bench'));
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(10);
  });
});

describe('command line', () => {
  it('[B10] parses every flag', () => {
    const o = parseOptions(['--quick', '--clients', '200', '--symbols=50', '--per-client', '5', '--only', 'fanout,ingest', '--json', '--rates', '1000,2000', '--load-gens', '2']);
    expect(o).toMatchObject({ quick: true, clients: 200, symbols: 50, perClient: 5, only: ['fanout', 'ingest'], json: true, rates: [1000, 2000], loadGens: 2 });
    expect(parseOptions([])).toEqual(DEFAULT_OPTIONS);
  });

  it('[B10] rejects unknown flags, suites and bad numbers', () => {
    expect(() => parseOptions(['--fast'])).toThrow(UsageError);
    expect(() => parseOptions(['--only', 'everything'])).toThrow(/unknown suite/);
    expect(() => parseOptions(['--clients', '-3'])).toThrow(/positive integer/);
    expect(() => parseOptions(['--clients'])).toThrow(/needs a value/);
    expect(() => parseOptions(['--symbols', '5', '--per-client', '10'])).toThrow(/per-client/);
  });

  it('[B10] a flag followed by another flag has no value; node flags for the servers go after =', () => {
    expect(() => parseOptions(['--clients', '--json'])).toThrow(/--clients needs a value/);
    expect(() => parseOptions(['--quick=yes'])).toThrow(/--quick takes no value/);
    expect(() => parseOptions(['stray'])).toThrow(/unexpected argument 'stray'/);
    expect(() => parseOptions(['--server-node-flags', '--trace-gc'])).toThrow(/takes its value after =/);
    expect(parseOptions(['--server-node-flags=--cpu-prof,--cpu-prof-dir=/tmp/p', '--nice', '-5'])).toMatchObject({ serverNodeFlags: ['--cpu-prof', '--cpu-prof-dir=/tmp/p'], nice: -5 });
  });

  it('[B10] --quick shortens windows and the ladder; default scenario is 1,000 × 10 of 500', () => {
    const full = buildPlan(parseOptions([]));
    const quick = buildPlan(parseOptions(['--quick']));
    expect(full.options).toMatchObject({ clients: 1_000, perClient: 10, symbols: 500 });
    expect(quick.timing.measureMs).toBeLessThan(full.timing.measureMs);
    expect(quick.feedLadder.maxSteps).toBeLessThan(full.feedLadder.maxSteps);
    expect(quick.suites).not.toContain('capacity');
    expect(full.suites).toContain('capacity');
  });
});
