import type { Tick } from '@tickfeed/protocol';
import { describe, expect, it } from 'vitest';
import { Publisher } from '../src/publisher.js';
import type { ModelTrade } from '../src/symbol-model.js';
import { FakeIngestPort } from './support/fake-ingest-port.js';
import { settle } from './support/manual-clock.js';

const DECL = (symbol: string) => ({ symbol, name: symbol, kind: 'equity' as const, currency: 'USD', tickSize: 0.01, refPrice: 100 });

let clockTs = 1_700_000_000_000;
function trades(symbol: string, n: number): ModelTrade[] {
  return Array.from({ length: n }, () => {
    clockTs += 10;
    return { symbol, ts: clockTs, price: 100 + (clockTs % 7) / 100, size: 10, bid: 99.99, ask: 100.07 };
  });
}

/** Every tick the fake accepted for the symbol carries seq 1, 2, 3, ... with no gap or repeat. */
function expectContiguous(ticks: Tick[], count: number): void {
  expect(ticks.map((t) => t.seq)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
}

describe('publisher', () => {
  it("[S3] numbers each symbol's ticks from the declared lastSeq + 1", async () => {
    const port = new FakeIngestPort();
    const first = new Publisher(port, { maxBatch: 50 });
    await first.declare([DECL('AAA'), DECL('BBB')]);
    await first.send([...trades('AAA', 3), ...trades('BBB', 2), ...trades('AAA', 2)]);
    await first.drain();
    expectContiguous(port.ticksOf('AAA'), 5);
    expectContiguous(port.ticksOf('BBB'), 2);
    await first.close();

    // A new producer (a restarted simulator) continues where the server stands.
    const second = new Publisher(port, { maxBatch: 50 });
    const declared = await second.declare([DECL('AAA')]);
    expect(declared[0]).toMatchObject({ symbol: 'AAA', lastSeq: 5 });
    await second.send(trades('AAA', 3));
    await second.drain();
    expectContiguous(port.ticksOf('AAA'), 8);
    await second.close();
  });

  it('[S11] one batch in flight at a time, and send() waits while the queue is full (backpressure, no unbounded buffer)', async () => {
    const port = new FakeIngestPort();
    const publisher = new Publisher(port, { maxBatch: 100, maxQueued: 200 });
    await publisher.declare([DECL('AAA')]);
    port.hold();
    let sent = 0;
    const sends: Array<Promise<void>> = [];
    for (let i = 0; i < 5; i++) sends.push(publisher.send(trades('AAA', 100)).then(() => void sent++));
    await settle();
    // One batch is with the server, two fit the queue; the rest wait.
    expect(sent).toBeLessThan(5);
    expect(port.inFlight).toBe(1);
    port.release();
    await Promise.all(sends);
    await publisher.drain();
    expect(port.maxInFlight).toBe(1);
    expectContiguous(port.ticksOf('AAA'), 500);
    await publisher.close();
  });

  it('[S12] an ack lost after the server applied the batch: nothing is sent twice and seq continues with no gap', async () => {
    const port = new FakeIngestPort();
    const publisher = new Publisher(port, { maxBatch: 10 });
    await publisher.declare([DECL('AAA'), DECL('BBB')]);
    await publisher.send([...trades('AAA', 4), ...trades('BBB', 4)]);
    await publisher.drain();
    let calls = 0;
    port.fate = () => (++calls === 1 ? 'apply-then-lose-ack' : 'ok');
    const pending = publisher.send([...trades('AAA', 5), ...trades('BBB', 5)]);
    await port.until(() => !port.connected);
    port.reconnect();
    await pending;
    await publisher.send(trades('AAA', 3));
    await publisher.drain();
    expectContiguous(port.ticksOf('AAA'), 12);
    expectContiguous(port.ticksOf('BBB'), 9);
    expect(publisher.stats).toMatchObject({ rejected: 0, resyncs: 1 });
    await publisher.close();
  });

  it('[S12] a batch lost before the server got it is resent with the same seqs', async () => {
    const port = new FakeIngestPort();
    const publisher = new Publisher(port, { maxBatch: 10 });
    await publisher.declare([DECL('AAA')]);
    await publisher.send(trades('AAA', 3));
    await publisher.drain();
    let calls = 0;
    port.fate = () => (++calls === 1 ? 'lose' : 'ok');
    const pending = publisher.send(trades('AAA', 6));
    await port.until(() => !port.connected);
    port.reconnect();
    await pending;
    await publisher.drain();
    expectContiguous(port.ticksOf('AAA'), 9);
    expect(publisher.stats.resent).toBe(6);
    // The resent batch is the very batch that was lost.
    expect(port.publishes[2]!.ticks).toEqual(port.publishes[1]!.ticks);
    await publisher.close();
  });

  it('[S12] after a server restart (new epoch, lastSeq 0) the un-acked ticks are renumbered from 1', async () => {
    const port = new FakeIngestPort();
    const publisher = new Publisher(port, { maxBatch: 10 });
    await publisher.declare([DECL('AAA')]);
    await publisher.send(trades('AAA', 7));
    await publisher.drain();
    let calls = 0;
    port.fate = () => (++calls === 1 ? 'lose' : 'ok');
    const pending = publisher.send(trades('AAA', 4));
    await port.until(() => !port.connected);
    port.forgetEverything();
    port.reconnect();
    await pending;
    await publisher.drain();
    expectContiguous(port.ticksOf('AAA'), 4);
    await publisher.close();
  });

  it('[S12] a server that forgot the declaration (NOT_DECLARED) makes the publisher re-declare and carry on', async () => {
    const accepted: Tick[] = [];
    const port = new FakeIngestPort();
    const publisher = new Publisher(port, { maxBatch: 10, onAccepted: (t) => accepted.push(...t) });
    await publisher.declare([DECL('AAA')]);
    await publisher.send(trades('AAA', 2));
    await publisher.drain();
    port.dropConnection();
    port.connected = true; // back without the producer noticing: its declaration is gone
    await publisher.send(trades('AAA', 3));
    await publisher.drain();
    await publisher.send(trades('AAA', 3));
    await publisher.drain();
    expect(publisher.stats.rejected).toBe(3);
    expect(publisher.stats.resyncs).toBe(1);
    expectContiguous(port.ticksOf('AAA'), 5);
    expect(accepted.map((t) => t.seq)).toEqual([1, 2, 3, 4, 5]);
    await publisher.close();
  });

  it('[S20] a declare with reset starts a new epoch and the seq starts again at 1, after the ticks sent before it', async () => {
    const port = new FakeIngestPort();
    const publisher = new Publisher(port, { maxBatch: 10 });
    await publisher.declare([DECL('AAA')]);
    await publisher.send(trades('AAA', 5));
    const reset = publisher.declare([DECL('AAA')], { reset: true, reason: 'seek' });
    await publisher.send(trades('AAA', 2));
    const [declared] = await reset;
    await publisher.drain();
    expect(declared).toMatchObject({ lastSeq: 0 });
    expect(port.declares.at(-1)).toMatchObject({ reset: true, reason: 'seek' });
    expectContiguous(port.ticksOf('AAA'), 2);
    // The 5 ticks before the reset reached the old epoch first.
    expect(port.publishes.flatMap((p) => p.ticks.map((t) => t.seq))).toEqual([1, 2, 3, 4, 5, 1, 2]);
    await publisher.close();
  });

  it('[S3] invalid trades and undeclared symbols are dropped before sending and counted', async () => {
    const port = new FakeIngestPort();
    const publisher = new Publisher(port, { maxBatch: 10 });
    await publisher.declare([DECL('AAA')]);
    const [good] = trades('AAA', 1);
    await publisher.send([good!, { ...good!, price: Number.NaN }, { ...good!, bid: 101, ask: 100 }, { ...good!, symbol: 'ZZZ' }]);
    await publisher.drain();
    expect(publisher.stats).toMatchObject({ dropped: 3, sent: 1, accepted: 1 });
    await publisher.close();
  });
});
