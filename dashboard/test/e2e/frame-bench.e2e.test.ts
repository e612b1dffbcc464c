import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureFrames } from '../../bench/frame-bench.js';
import type { InstrumentSpec } from '../support/market-publisher.js';
import { Stack, artifactPath, ensureDashboardBuilt } from '../support/stack.js';

/** 50 synthetic instruments: the watchlist size the performance goal is stated for. */
const FIFTY: InstrumentSpec[] = Array.from({ length: 50 }, (_, i) => ({
  symbol: `SYM${String(i + 1).padStart(2, '0')}`,
  name: `Synthetic ${i + 1}`,
  kind: i % 3 === 0 ? 'crypto' : i % 3 === 1 ? 'equity' : 'fx',
  currency: 'USD',
  tickSize: 0.01,
  price: 50 + i * 7,
  vol: 0.0005,
  size: 100,
}));

let stack: Stack;

beforeAll(async () => {
  ensureDashboardBuilt();
  stack = await Stack.start({ universe: FIFTY, historyMinutes: 5, ticksPerSecond: 500 });
}, 60_000);

afterAll(async () => {
  await stack?.close();
});

describe('frame benchmark (smoke)', () => {
  it('[D12] measures frame times, long tasks and main-thread busy % with 50 symbols at 500 ticks/s and two indicators on', async () => {
    const symbols = FIFTY.map((s) => s.symbol).join(',');
    const result = await measureFrames({ url: `${stack.url}/?symbols=${symbols}&symbol=SYM01&interval=1s&tz=utc&ind=sma,ema`, seconds: 3 });
    writeFileSync(artifactPath('frame-bench-smoke.json'), `${JSON.stringify(result, null, 2)}\n`);
    expect(result.frames).toBeGreaterThan(0);
    expect(result.ticksApplied).toBeGreaterThan(0);
    // Conflation: the page flushes ticks at most once per animation frame.
    expect(result.tickFrames).toBeLessThanOrEqual(result.frames + 2);
    expect(result.mainThreadBusyPct).toBeGreaterThan(0);
  });
});
