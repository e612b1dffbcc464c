import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseSimulatorArgs } from '../src/options.js';
import { runOffline, startSimulator } from '../src/simulator.js';
import { FakeIngestPort } from './support/fake-ingest-port.js';
import { ManualClock } from './support/manual-clock.js';

/** Counts NDJSON lines without keeping them. */
class LineCounter extends Writable {
  lines = 0;
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const text = typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.lines++;
    callback();
  }
}

async function offlineTicks(args: string[]): Promise<number> {
  const sink = new LineCounter();
  const count = await runOffline(parseSimulatorArgs(['--out', '-', '--start', '2024-01-02T00:00:00Z', ...args]), sink);
  expect(sink.lines).toBe(count);
  return count;
}

const SEEDS = ['1', '2', '3', '7'];

describe('aggregate rate', () => {
  // Before the fix these came out between 0.36× and 1.75× the rate (e.g. --seed 7 --symbols 500: 723/s; --seed 1: 3,237/s).
  it('[S30] offline, --rate is the mean over 60 s of simulated time within ±5%, for several seeds, generated and default universes', async () => {
    for (const universe of [['--symbols', '500'], []]) {
      for (const seed of SEEDS) {
        const ticks = await offlineTicks([...universe, '--seed', seed, '--rate', '2000', '--duration', '60s']);
        expect(ticks / 60, `${universe.join(' ') || 'default universe'} seed ${seed}`).toBeGreaterThan(2000 * 0.95);
        expect(ticks / 60, `${universe.join(' ') || 'default universe'} seed ${seed}`).toBeLessThan(2000 * 1.05);
      }
    }
  });

  it("[S30] offline, without --rate the default universe runs at its activities' sum (81/s) in the long run", async () => {
    for (const seed of SEEDS) {
      const ticks = await offlineTicks(['--seed', seed, '--duration', '10m']);
      expect(ticks / 600, `seed ${seed}`).toBeGreaterThan(81 * 0.95);
      expect(ticks / 600, `seed ${seed}`).toBeLessThan(81 * 1.05);
    }
  });

  // Live, in wall time: the trades that came due over 60 s are published (the fake port acks at once).
  it('[S30] live, --rate is the published mean over 60 s within ±5%', async () => {
    for (const [args, rate] of [
      [['--symbols', '500', '--rate', '2000', '--seed', '7'], 2000],
      [['--rate', '5000', '--seed', '1'], 5000],
    ] as const) {
      // Tuesday 10:00 New York: every market is open (S70), so every symbol trades.
      const clock = new ManualClock(Date.UTC(2024, 0, 2, 15));
      const port = new FakeIngestPort(() => clock.now());
      const sim = await startSimulator(parseSimulatorArgs([...args]), port, { clock, terminal: null });
      const start = clock.now();
      await clock.advance(60_000);
      await sim.stop();
      const published = port.publishes.flatMap((p) => p.ticks).filter((t) => t.ts < start + 60_000).length;
      expect(published / 60, args.join(' ')).toBeGreaterThan(rate * 0.95);
      expect(published / 60, args.join(' ')).toBeLessThan(rate * 1.05);
    }
  });
});
