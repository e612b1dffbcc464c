import { describe, expect, it } from 'vitest';
import { ReplayCursors, type ReplayHistory } from '../src/delivery/replay-cursors.js';
import { ClientOutbox } from '../src/delivery/client-outbox.js';
import { TickRing } from '../src/market/tick-ring.js';
import { range } from './support/harness.js';

/** A history over tick rings, with texts that are just `SYM:seq`, so chunks are easy to read. */
class FakeHistory implements ReplayHistory {
  readonly rings = new Map<string, { epoch: string; ring: TickRing }>();

  constructor(private readonly capacity: number) {}

  push(symbol: string, count: number): void {
    let entry = this.rings.get(symbol);
    if (entry === undefined) this.rings.set(symbol, (entry = { epoch: 'e1', ring: new TickRing(this.capacity) }));
    for (let i = 0; i < count; i++) {
      const seq = entry.ring.lastSeq + 1;
      entry.ring.push(seq, `${symbol}:${seq}`);
    }
  }

  newEpoch(symbol: string, epoch: string): void {
    this.rings.set(symbol, { epoch, ring: new TickRing(this.capacity) });
  }

  window(symbol: string) {
    const entry = this.rings.get(symbol);
    return entry === undefined ? undefined : { epoch: entry.epoch, first: entry.ring.firstSeq, last: entry.ring.lastSeq };
  }

  read(symbol: string, after: number, limit: number): string[] {
    return this.rings.get(symbol)?.ring.after(after, limit) ?? [];
  }
}

const seqsOf = (texts: string[], symbol: string) => texts.filter((t) => t.startsWith(`${symbol}:`)).map((t) => Number(t.split(':')[1]));

describe('resume replay pacing (pure)', () => {
  it('[H11] a replay is read in chunks of at most the limit, symbol after symbol, and each cursor ends at the newest tick', () => {
    const history = new FakeHistory(100);
    history.push('A', 50);
    history.push('B', 30);
    const cursors = new ReplayCursors();
    const a = { epoch: 'e1', seq: 10 };
    cursors.start('A', a);
    cursors.start('B', { epoch: 'e1', seq: 25 });
    const first = cursors.next(history, 32);
    expect(first).toEqual({ ticks: range(11, 42).map((s) => `A:${s}`), overrun: [] });
    // The point handed in is the cursor: its owner (an SSE stream's position) sees it advance.
    expect(a.seq).toBe(42);
    const second = cursors.next(history, 32);
    expect(seqsOf(second.ticks, 'A')).toEqual(range(43, 50));
    expect(seqsOf(second.ticks, 'B')).toEqual(range(26, 30));
    expect(cursors.size).toBe(0);
    expect(cursors.next(history, 32)).toEqual({ ticks: [], overrun: [] });
  });

  it('[H11] ticks that arrive while a replay is paced are read by the cursor: every tick once, in order, up to the newest', () => {
    const history = new FakeHistory(1_000);
    history.push('A', 100);
    const cursors = new ReplayCursors();
    cursors.start('A', { epoch: 'e1', seq: 0 });
    const got: number[] = [];
    for (let round = 0; round < 20 && cursors.size > 0; round++) {
      got.push(...seqsOf(cursors.next(history, 15).ticks, 'A'));
      history.push('A', 7);
    }
    expect(cursors.has('A')).toBe(false);
    expect(got).toEqual(range(1, got.at(-1)!));
    expect(got.at(-1)).toBe(history.window('A')!.last - 7);
  });

  it('[H11] when the history moves past a cursor it skips to the newest tick and reports the symbol; overrun() sees it first without moving', () => {
    const history = new FakeHistory(20);
    history.push('A', 20);
    history.push('B', 20);
    const cursors = new ReplayCursors();
    cursors.start('A', { epoch: 'e1', seq: 2 });
    cursors.start('B', { epoch: 'e1', seq: 15 });
    expect(cursors.overrun(history)).toBe(false);
    history.push('A', 5);
    history.push('B', 5);
    expect(cursors.overrun(history)).toBe(true);
    expect(cursors.overrun(history)).toBe(true);
    const chunk = cursors.next(history, 100);
    expect(chunk.overrun).toEqual(['A']);
    expect(seqsOf(chunk.ticks, 'A')).toEqual([25]);
    expect(seqsOf(chunk.ticks, 'B')).toEqual(range(16, 25));
    expect(cursors.size).toBe(0);
  });

  it('[H11] a cursor of an epoch that ended continues at seq 1 of the new one; unknown symbols and cancelled cursors end', () => {
    const history = new FakeHistory(100);
    history.push('A', 50);
    const cursors = new ReplayCursors();
    cursors.start('A', { epoch: 'e1', seq: 10 });
    cursors.start('GONE', { epoch: 'e1', seq: 0 });
    cursors.start('C', { epoch: 'e1', seq: 0 });
    cursors.cancel('C');
    expect(seqsOf(cursors.next(history, 5).ticks, 'A')).toEqual(range(11, 15));
    history.newEpoch('A', 'e2');
    history.push('A', 3);
    const chunk = cursors.next(history, 100);
    expect(chunk).toEqual({ ticks: ['A:1', 'A:2', 'A:3'], overrun: [] });
    expect(cursors.size).toBe(0);
  });

  it('[H11] starting a cursor again for a symbol replaces the earlier one', () => {
    const history = new FakeHistory(100);
    history.push('A', 30);
    const cursors = new ReplayCursors();
    cursors.start('A', { epoch: 'e1', seq: 5 });
    cursors.start('A', { epoch: 'e1', seq: 27 });
    expect(cursors.size).toBe(1);
    expect(cursors.next(history, 100).ticks).toEqual(['A:28', 'A:29', 'A:30']);
  });

  it('[H11] the ring says whether it still holds every tick after a seq without reading them', () => {
    const ring = new TickRing(10);
    expect(ring.holdsAfter(0)).toBe(true);
    for (let seq = 1; seq <= 25; seq++) ring.push(seq, `t${seq}`);
    expect(ring.holdsAfter(25)).toBe(true);
    expect(ring.holdsAfter(15)).toBe(true);
    expect(ring.holdsAfter(14)).toBe(false);
    for (const after of [0, 14, 15, 20, 25, 30]) expect(ring.holdsAfter(after)).toBe(ring.after(after) !== null);
  });

  it('[H11] a conflating outbox forgets a symbol whose subscription was replaced, and no longer reports it as dropped', () => {
    const outbox = new ClientOutbox();
    outbox.add('A', '{"symbol":"A","seq":1}');
    outbox.startConflating((json) => json.slice(11, json.indexOf('"', 11)));
    outbox.add('A', '{"symbol":"A","seq":2}');
    outbox.add('B', '{"symbol":"B","seq":1}');
    outbox.add('B', '{"symbol":"B","seq":2}');
    outbox.forget('A');
    expect(outbox.stopConflating()).toEqual({ latest: ['{"symbol":"B","seq":2}'], dropped: ['B'] });
  });
});
