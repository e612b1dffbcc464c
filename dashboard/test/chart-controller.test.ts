import { describe, expect, it } from 'vitest';
import { candlesFromTrades, type Candle, type Snapshot, type Tick } from '@tickfeed/protocol';
import { ChartController, type ChartSink } from '../src/feed/chart-controller.js';
import type { DisplayTimeline } from '../src/lib/time-zone.js';
import { FakeFeed } from './support/fake-feed.js';

const T0 = Date.UTC(2024, 4, 6, 14);
const all: Tick[] = Array.from({ length: 60 }, (_, i) => {
  const seq = i + 1;
  const price = 100 + (seq % 9) * 0.05;
  return { symbol: 'AAPL', seq, ts: T0 + seq * 300, price, size: seq, bid: price - 0.01, ask: price + 0.01 };
});
const upTo = (seq: number) => all.slice(0, seq);
const between = (from: number, to: number) => all.slice(from - 1, to);

class RecordingSink implements ChartSink {
  calls: ('setData' | 'update')[] = [];
  bars = new Map<number, Candle>();
  timelines: DisplayTimeline[] = [];
  setData(candles: readonly Candle[], timeline: DisplayTimeline): void {
    this.calls.push('setData');
    this.timelines.push(timeline);
    this.bars = new Map(candles.map((c) => [c.time, { ...c }]));
  }
  update(candle: Candle): void {
    this.calls.push('update');
    this.bars.set(candle.time, { ...candle });
  }
  drawn(): Candle[] {
    return [...this.bars.values()].sort((a, b) => a.time - b.time);
  }
}

function setup(historySeq: number) {
  let served = historySeq;
  let ticksEpoch = 'e1';
  const feed = new FakeFeed({
    '/candles': () => ({ symbol: 'AAPL', interval: '1s', epoch: 'e1', seq: served, candles: candlesFromTrades(upTo(served), 1000) }),
    '/ticks': (url) => {
      const after = Number(url.searchParams.get('after'));
      return { symbol: 'AAPL', epoch: ticksEpoch, seq: served, complete: true, ticks: upTo(served).filter((t) => t.seq > after) };
    },
  });
  feed.epochs.set('AAPL', 'e1');
  const sink = new RecordingSink();
  const controller = new ChartController(feed, sink, undefined, 'America/New_York');
  return { feed, sink, controller, serve: (seq: number) => (served = seq), ticksFrom: (epoch: string) => (ticksEpoch = epoch) };
}

const snapshot = (seq: number): Snapshot => ({ symbol: 'AAPL', seq, ts: 0, last: 1, bid: 1, ask: 1, open: 1, high: 1, low: 1, volume: 0, prevClose: 1, change: 0, changePct: 0 });

describe('chart controller', () => {
  it('[D13][D14] buffers live ticks during the load, stitches by seq, setData once, then update() per changed bar', async () => {
    const { feed, sink, controller } = setup(30);
    controller.show('AAPL', '1s', 'local');
    expect(sink.calls).toEqual(['setData']); // cleared while loading
    feed.ticks('AAPL', between(25, 35)); // overlaps the history (<= 30) and goes past it
    const url = await feed.release();
    expect(url.searchParams.get('interval')).toBe('1s');
    expect(sink.calls).toEqual(['setData', 'setData']);
    expect(sink.drawn()).toEqual(candlesFromTrades(upTo(35), 1000));
    feed.ticks('AAPL', between(36, 40));
    expect(sink.calls.slice(2).every((c) => c === 'update')).toBe(true);
    // One update per bar the frame changed, not one per tick.
    const buckets = new Set(between(36, 40).map((t) => Math.floor(t.ts / 1000)));
    expect(sink.calls.length - 2).toBe(buckets.size);
    expect(sink.drawn()).toEqual(candlesFromTrades(upTo(40), 1000));
    expect(controller.debug()).toMatchObject({ seq: 40, epoch: 'e1', live: true, loads: 1 });
    controller.dispose();
    expect(feed.listeners('AAPL')).toBe(0);
  });

  it('[D13] fills a hole between the history and the buffered ticks from GET …/ticks', async () => {
    const { feed, sink, controller, serve } = setup(20);
    controller.show('AAPL', '1s', 'utc');
    feed.ticks('AAPL', between(26, 28));
    serve(20);
    await feed.release(); // candles up to 20; the buffer starts at 26
    serve(28);
    const fill = await feed.release();
    expect(fill.pathname).toMatch(/\/ticks$/);
    expect(fill.searchParams.get('after')).toBe('20');
    expect(sink.drawn()).toEqual(candlesFromTrades(upTo(28), 1000));
    controller.dispose();
  });

  it('[D6][D7] reloads with setData on a reload or reset, not on a recovered resume', async () => {
    const { feed, sink, controller, serve } = setup(10);
    controller.show('AAPL', '1s', 'local');
    await feed.release();
    feed.event({ symbol: 'AAPL', epoch: 'e1', snapshot: snapshot(10), cause: 'recovered' });
    expect(feed.requests).toHaveLength(0);
    feed.event({ symbol: 'AAPL', epoch: 'e1', snapshot: snapshot(10), cause: 'reloaded' });
    serve(12);
    await feed.release();
    expect(sink.calls.filter((c) => c === 'setData')).toHaveLength(3);
    expect(sink.drawn()).toEqual(candlesFromTrades(upTo(12), 1000));
    feed.event({ symbol: 'AAPL', epoch: 'e2', snapshot: snapshot(0), cause: 'reset' });
    expect(feed.requests).toHaveLength(1);
    expect(feed.requests[0]!.url.pathname).toMatch(/\/candles$/);
    await feed.release();
    expect(sink.calls.filter((c) => c === 'setData')).toHaveLength(4);
    controller.dispose();
  });

  it('[D13][D58] a live stream that starts again further on (quotes switched to every tick after the load) is filled from GET …/ticks, not reloaded', async () => {
    const { feed, sink, controller, serve } = setup(12);
    controller.show('AAPL', '1s', 'utc');
    await feed.release();
    // The subscription's snapshot of the same epoch asks for nothing.
    feed.event({ symbol: 'AAPL', epoch: 'e1', snapshot: snapshot(14), cause: 'subscribed' });
    expect(feed.requests).toHaveLength(0);
    feed.ticks('AAPL', between(15, 16));
    expect(feed.requests).toHaveLength(1);
    feed.ticks('AAPL', between(17, 18)); // arrives while the hole is fetched
    serve(16);
    const fill = await feed.release();
    expect(fill.pathname).toMatch(/\/ticks$/);
    expect(fill.searchParams.get('after')).toBe('12');
    expect(sink.drawn()).toEqual(candlesFromTrades(upTo(18), 1000));
    expect(sink.calls.filter((c) => c === 'setData')).toHaveLength(2);
    expect(controller.debug()).toMatchObject({ seq: 18, live: true, loads: 1 });
    feed.ticks('AAPL', between(19, 20));
    expect(feed.requests).toHaveLength(0);
    expect(sink.drawn()).toEqual(candlesFromTrades(upTo(20), 1000));
    controller.dispose();
  });

  it('[D13] a live hole filled from another epoch (a reset in flight) is not applied: the history reloads', async () => {
    const { feed, sink, controller, serve, ticksFrom } = setup(10);
    controller.show('AAPL', '1s', 'utc');
    await feed.release();
    feed.ticks('AAPL', between(15, 16));
    serve(16);
    ticksFrom('e2');
    const fill = await feed.release();
    expect(fill.pathname).toMatch(/\/ticks$/);
    expect(feed.requests).toHaveLength(1);
    expect(feed.requests[0]!.url.pathname).toMatch(/\/candles$/);
    expect(sink.drawn()).toEqual(candlesFromTrades(upTo(10), 1000));
    ticksFrom('e1');
    await feed.release();
    expect(sink.drawn()).toEqual(candlesFromTrades(upTo(16), 1000));
    controller.dispose();
  });

  it('[D13] a live hole the fill cannot close reloads the history', async () => {
    const { feed, sink, controller, serve } = setup(10);
    controller.show('AAPL', '1s', 'utc');
    await feed.release();
    feed.ticks('AAPL', between(40, 41));
    serve(20); // the fill ends before the live ticks start: still a hole
    const fill = await feed.release();
    expect(fill.pathname).toMatch(/\/ticks$/);
    expect(feed.requests).toHaveLength(1);
    expect(feed.requests[0]!.url.pathname).toMatch(/\/candles$/);
    serve(41);
    await feed.release();
    expect(sink.drawn()).toEqual(candlesFromTrades(upTo(41), 1000));
    expect(controller.debug()).toMatchObject({ seq: 41, live: true, loads: 2 });
    controller.dispose();
  });

  it('[D15] switching the time zone re-maps the same candles without a refetch', async () => {
    const { feed, sink, controller } = setup(10);
    controller.show('AAPL', '1s', 'local');
    await feed.release();
    controller.show('AAPL', '1s', 'utc');
    expect(feed.requests).toHaveLength(0);
    expect(sink.calls.filter((c) => c === 'setData')).toHaveLength(3);
    expect(sink.timelines.at(-1)!.timeZone).toBe('UTC');
    controller.dispose();
  });
});
