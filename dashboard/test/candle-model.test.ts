import { describe, expect, it } from 'vitest';
import { candlesFromTrades, type Tick } from '@tickfeed/protocol';
import { CandleModel } from '../src/lib/candle-model.js';
import { mergeFill, planStitch } from '../src/lib/stitch.js';

function ticks(from: number, to: number, t0 = 1_700_000_000_000): Tick[] {
  const out: Tick[] = [];
  for (let seq = from; seq <= to; seq++) {
    const price = 100 + (seq % 7) * 0.1;
    out.push({ symbol: 'AAPL', seq, ts: t0 + seq * 400, price, size: seq, bid: price - 0.01, ask: price + 0.01 });
  }
  return out;
}

describe('chart candles stitched by seq', () => {
  it('[D13] history up to seq S plus live ticks with seq > S equals candles built from every tick once', () => {
    const all = ticks(1, 100);
    const model = new CandleModel(1000);
    model.load({ epoch: 'e', seq: 60, candles: candlesFromTrades(all.slice(0, 60), 1000) });
    // Live ticks overlap the history (41..100): the overlap must not be counted twice.
    const result = model.apply(all.slice(40));
    expect(result.gap).toBeNull();
    expect(model.candles).toEqual(candlesFromTrades(all, 1000));
    expect(model.seq).toBe(100);
  });

  it('[P33] live 1d candles of a US equity follow its New York session, equal to the server\'s from every tick', () => {
    const day = 86_400_000;
    // Every 2 h from Friday 2026-01-09 00:00Z to Tuesday 02:00Z: pre-market, regular, after-hours and weekend trades.
    const all = ticks(1, 50, Date.UTC(2026, 0, 9)).map((t) => ({ ...t, ts: Date.UTC(2026, 0, 9) + (t.seq - 1) * 7_200_000 }));
    const model = new CandleModel(day, undefined, 'us-equity');
    model.load({ epoch: 'e', seq: 10, candles: candlesFromTrades(all.slice(0, 10), day, undefined, 'us-equity') });
    expect(model.apply(all.slice(10)).gap).toBeNull();
    expect(model.candles).toEqual(candlesFromTrades(all, day, undefined, 'us-equity'));
    expect(model.candles.map((c) => new Date(c.time).toISOString())).toEqual([
      '2026-01-09T14:30:00.000Z', '2026-01-12T14:30:00.000Z', '2026-01-13T14:30:00.000Z',
    ]);
  });

  it('[D13] reports a gap instead of drawing over it', () => {
    const model = new CandleModel(1000);
    model.load({ epoch: 'e', seq: 10, candles: candlesFromTrades(ticks(1, 10), 1000) });
    const result = model.apply([...ticks(11, 12), ...ticks(15, 16)]);
    expect(result.gap).toEqual({ expected: 13, received: 15 });
    expect(model.seq).toBe(12);
  });

  it('[D14] returns each changed candle once, ascending: usually one bar per frame, two at a bucket rollover', () => {
    const model = new CandleModel(1000);
    model.load({ epoch: 'e', seq: 0, candles: [] });
    const first = model.apply(ticks(1, 2));
    expect(first.changed).toHaveLength(1);
    const rollover = model.apply(ticks(3, 6));
    expect(rollover.changed.map((c) => c.time)).toEqual([...new Set(rollover.changed.map((c) => c.time))].sort());
    expect(rollover.changed.length).toBeGreaterThanOrEqual(1);
  });

  it('[D13] plans the stitch: drop what history covers, fetch a hole between history and the buffer', () => {
    expect(planStitch(10, ticks(8, 14)).apply.map((t) => t.seq)).toEqual([11, 12, 13, 14]);
    expect(planStitch(10, ticks(8, 14)).missing).toBeNull();
    expect(planStitch(10, ticks(14, 15))).toMatchObject({ missing: { after: 10, upTo: 13 } });
    expect(planStitch(10, [])).toEqual({ apply: [], missing: null });
    expect(mergeFill(10, ticks(11, 14), ticks(14, 15))!.map((t) => t.seq)).toEqual([11, 12, 13, 14, 15]);
    expect(mergeFill(10, ticks(11, 12), ticks(14, 15))).toBeNull();
  });
});
