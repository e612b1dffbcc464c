import { describe, expect, it } from 'vitest';
import { parseSimulatorArgs } from '../src/options.js';
import { startSimulator } from '../src/simulator.js';
import { FakeIngestPort } from './support/fake-ingest-port.js';
import { ManualClock } from './support/manual-clock.js';

/** Tuesday 2024-01-02 10:00 New York: every market of the default universe is open (S70). */
const ALL_OPEN = Date.UTC(2024, 0, 2, 15);

async function startLive(argv: string[], prepare: (port: FakeIngestPort) => Promise<void> | void = () => {}, start = ALL_OPEN) {
  const clock = new ManualClock(start);
  const port = new FakeIngestPort(() => clock.now());
  await prepare(port);
  const sim = await startSimulator(parseSimulatorArgs(argv), port, { clock, terminal: null });
  return { clock, port, sim };
}

describe('live simulation', () => {
  it('[S70] equities trade 09:30–16:00 New York only; crypto goes on; the status names the closed markets (S71)', async () => {
    // Friday 2024-01-05 15:59:50 New York (20:59:50Z).
    const { clock, port, sim } = await startLive(['--symbols', 'AAPL,SPY,BTC-USD,EUR-USD', '--batch-ms', '50'], () => {}, Date.UTC(2024, 0, 5, 20, 59, 50));
    expect(port.statuses[0]!.closed).toBeUndefined();
    await clock.advance(30_000);
    const close = Date.UTC(2024, 0, 5, 21);
    const equity = [...port.ticksOf('AAPL'), ...port.ticksOf('SPY')];
    expect(equity.length).toBeGreaterThan(0);
    expect(equity.every((t) => t.ts < close)).toBe(true);
    expect(port.ticksOf('BTC-USD').some((t) => t.ts >= close)).toBe(true);
    expect(port.ticksOf('EUR-USD').some((t) => t.ts >= close)).toBe(true);
    expect(port.statuses.at(-1)!.closed).toEqual(['us-equity']);
    // Past 17:00 New York the FX week has ended too; each symbol's seq stays contiguous.
    await clock.advance(3_600_000);
    const fxClose = Date.UTC(2024, 0, 5, 22);
    expect(port.ticksOf('EUR-USD').every((t) => t.ts < fxClose)).toBe(true);
    expect(port.ticksOf('BTC-USD').some((t) => t.ts >= fxClose)).toBe(true);
    expect(port.statuses.at(-1)!.closed).toEqual(['fx', 'us-equity']);
    for (const symbol of ['AAPL', 'BTC-USD', 'EUR-USD']) {
      const seqs = port.ticksOf(symbol).map((t) => t.seq);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    }
    await sim.stop();
  });

  it('[S70] --always-open trades every symbol on a Saturday, and the status names no closed market', async () => {
    const saturday = Date.UTC(2024, 0, 6, 15);
    const { clock, port, sim } = await startLive(['--symbols', 'AAPL,BTC-USD', '--always-open'], () => {}, saturday);
    await clock.advance(10_000);
    expect(port.ticksOf('AAPL').length).toBeGreaterThan(0);
    expect(port.statuses.every((s) => s.closed === undefined)).toBe(true);
    await sim.stop();
    const closed = await startLive(['--symbols', 'AAPL,BTC-USD'], () => {}, saturday);
    await closed.clock.advance(10_000);
    expect(closed.port.ticksOf('AAPL')).toEqual([]);
    expect(closed.port.ticksOf('BTC-USD').length).toBeGreaterThan(0);
    expect(closed.port.statuses[0]!.closed).toEqual(['us-equity']);
    await closed.sim.stop();
  });

  it('[S21] announces a live feed that takes no transport controls', async () => {
    const { port, sim } = await startLive(['--symbols', 'AAPL,MSFT', '--seed', '3']);
    expect(port.statuses[0]).toEqual({
      mode: 'live', state: 'playing', speed: 1, clock: null, loop: false, completions: 0, marker: null,
      source: 'simulation: seed 3, 2 symbols', controllable: false,
    });
    expect(await port.control({ action: 'pause' })).toMatchObject({ ok: false, error: { code: 'NO_CONTROLLABLE_FEED' } });
    await sim.stop();
  });

  it('[S3] publishes the trades that come due in wall time, every batch interval, each symbol numbered from 1', async () => {
    const { clock, port, sim } = await startLive(['--symbols', 'AAPL,BTC-USD', '--batch-ms', '50']);
    const start = clock.now();
    await clock.advance(10_000);
    const all = port.publishes.flatMap((p) => p.ticks.map((t) => ({ ...t, at: p.at })));
    expect(all.length).toBeGreaterThan(40);
    expect(all.every((t) => t.ts <= t.at && t.ts >= start)).toBe(true);
    expect(all.every((t) => t.at - t.ts <= 50)).toBe(true);
    for (const symbol of ['AAPL', 'BTC-USD']) {
      const seqs = port.ticksOf(symbol).map((t) => t.seq);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    }
    await sim.stop();
  });

  it("[S12] continues each symbol from the server's last seq and last price", async () => {
    const { clock, port, sim } = await startLive(['--symbols', 'AAPL'], async (p) => {
      await p.declare({ symbols: [{ symbol: 'AAPL', name: 'Apple', kind: 'equity', currency: 'USD', tickSize: 0.01, refPrice: 190 }] });
      await p.publish({ ticks: Array.from({ length: 10 }, (_, i) => ({ symbol: 'AAPL', seq: i + 1, ts: 1_000 + i, price: 250, size: 10, bid: 249.99, ask: 250.01 })) });
    });
    await clock.advance(5_000);
    const ticks = port.ticksOf('AAPL');
    expect(ticks[10]!.seq).toBe(11);
    expect(Math.abs(ticks[10]!.price / 250 - 1)).toBeLessThan(0.01);
    await sim.stop();
  });

  it('[S11] while the server does not ack, the model waits instead of buffering without bound', async () => {
    const { clock, port, sim } = await startLive(['--rate', '2000'], (p) => p.hold('publish'));
    await clock.advance(60_000);
    // 120,000 trades came due; only one batch went out and the publisher's queue holds about two more.
    expect(sim.stats().records).toBeLessThanOrEqual(4 * 1_000);
    port.release();
    await clock.advance(100);
    expect(port.publishes.length).toBeGreaterThan(3);
    await sim.stop();
  });

  it('[S11] stop() returns even while the server never acks: queued ticks get a grace period, then are abandoned', async () => {
    const { clock, port, sim } = await startLive(['--symbols', 'AAPL,MSFT'], (p) => p.hold('publish'));
    await clock.advance(5_000);
    let stopped = false;
    const stopping = sim.stop().then(() => {
      stopped = true;
    });
    await clock.advance(2_999);
    expect(stopped).toBe(false);
    await clock.advance(1);
    await stopping;
    expect(stopped).toBe(true);
    expect(port.inFlight).toBe(1);
  });
});
