import type { SymbolDeclaration } from '@tickfeed/protocol';
import { Publisher } from '../../src/publisher.js';
import { ReplayRunner, type ReplayItem, type ReplaySettings } from '../../src/replay-runner.js';
import { silentLogger } from '../../src/logger.js';
import type { SourcedRecord } from '../../src/tape-reader.js';
import { FakeIngestPort } from './fake-ingest-port.js';
import { ManualClock } from './manual-clock.js';

export const T0 = Date.UTC(2012, 5, 21, 13, 30);

/** Trades of one symbol at the given offsets from T0 (ms), priced 100, 101, ... */
export function tape(symbol: string, offsets: number[]): SourcedRecord[] {
  return offsets.map((dt, i) => ({ symbol, ts: T0 + dt, price: 100 + i, size: 10, bid: 99 + i, ask: 101 + i, source: 0, line: i + 2 }));
}

async function* fromArray(records: SourcedRecord[]): AsyncGenerator<ReplayItem> {
  for (const r of records) yield { ts: r.ts, events: [{ kind: 'trade', trade: { symbol: r.symbol, ts: r.ts, price: r.price, size: r.size, bid: r.bid, ask: r.ask } }] };
}

/** A ReplayRunner over in-memory records, a fake server and a manual clock. */
export async function startHarness(
  records: SourcedRecord[],
  settings: Partial<ReplaySettings> = {},
  beforeStart: (port: FakeIngestPort) => void = () => {},
) {
  const clock = new ManualClock();
  const port = new FakeIngestPort(() => clock.now());
  beforeStart(port);
  const publisher = new Publisher(port, { maxBatch: settings.maxBatch ?? 100, clock });
  const symbols = [...new Set(records.map((r) => r.symbol))];
  const declarations: SymbolDeclaration[] = symbols.map((symbol) => ({ symbol, name: symbol, kind: 'equity', currency: 'USD', tickSize: 0.01, refPrice: 100 }));
  const runner = new ReplayRunner(
    { speed: 1, loop: false, fromMs: null, batchMs: 1, maxBatch: 100, ...settings },
    {
      firstTs: records[0]!.ts,
      lastTs: records[records.length - 1]!.ts,
      description: 'replay of test tape',
      open: (fromTs) => fromArray(records.filter((r) => r.ts >= fromTs)),
    },
    declarations,
    publisher,
    port,
    clock,
    silentLogger,
  );
  port.onControl((command) => runner.control(command));
  const startedAt = clock.now();
  await runner.start();
  await clock.advance(0);
  const publishedTs = () => port.publishes.map((p) => p.ticks.map((t) => t.ts - T0));
  const publishedAt = () => port.publishes.map((p) => p.at - startedAt);
  const stop = async () => {
    await runner.stop();
    await publisher.close();
  };
  return { clock, port, publisher, runner, startedAt, publishedTs, publishedAt, stop };
}
