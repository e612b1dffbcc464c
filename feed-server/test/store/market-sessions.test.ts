import { afterEach, describe, expect, it, vi } from 'vitest';
import { Events, type Candle, type CandlesResponse, type FeedStatus, type SymbolDeclaration, type SymbolInfo, type Tick } from '@tickfeed/protocol';
import { publisher, startServer, stopAll } from '../support/harness.js';
import { tempDataDir } from './store-support.js';

afterEach(stopAll);

const at = (iso: string): number => Date.parse(iso);

const DECLS: SymbolDeclaration[] = [
  { symbol: 'AAPL', name: 'Apple Inc.', kind: 'equity', currency: 'USD', tickSize: 0.01, refPrice: 99 },
  // An equity that declares the UTC day: the metadata wins over the kind.
  { symbol: 'XYZ', name: 'XYZ Corp.', kind: 'equity', currency: 'USD', tickSize: 0.01, refPrice: 99, session: 'utc-day' },
  { symbol: 'EURUSD', name: 'Euro / US Dollar', kind: 'fx', currency: 'USD', tickSize: 0.00001, refPrice: 1.1 },
];

function tick(symbol: string, seq: number, iso: string, price: number): Tick {
  return { symbol, seq, ts: at(iso), price, size: 1, bid: price, ask: price };
}

async function rest<T>(url: string, path: string): Promise<T> {
  const res = await fetch(new URL(path, url));
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
}

async function state(url: string, symbol: string): Promise<{ snapshot: SymbolInfo['snapshot']; daily: Candle[] }> {
  const info = await rest<SymbolInfo>(url, `/api/symbols/${symbol}`);
  const daily = await rest<CandlesResponse>(url, `/api/symbols/${symbol}/candles?interval=1d`);
  return { snapshot: info.snapshot, daily: daily.candles };
}

describe('market sessions on the server', () => {
  it('[P32] [P33] [P34] stats and 1d candles follow each symbol\'s session, the same after a restart from the durable store', async () => {
    const dir = tempDataDir();
    const first = await startServer({ dataDir: dir });
    const pub = await publisher(first.url);
    expect(await pub.emitWithAck('declare', { symbols: DECLS })).toMatchObject({ ok: true });
    // Friday 2026-01-09 15:59 New York, then 16:30 (after hours), then Monday 10:00.
    const equityDays = ['2026-01-09T20:59:00Z', '2026-01-09T21:30:00Z', '2026-01-12T15:00:00Z'];
    const ticks = [
      ...equityDays.map((iso, i) => tick('AAPL', i + 1, iso, 100 + i)),
      ...equityDays.map((iso, i) => tick('XYZ', i + 1, iso, 100 + i)),
      // Monday 16:59:59 and 17:00 New York: a new FX day, though the same UTC day.
      tick('EURUSD', 1, '2026-01-12T21:59:59Z', 1.1),
      tick('EURUSD', 2, '2026-01-12T22:00:00Z', 1.2),
    ];
    expect(await pub.emitWithAck('publish', { ticks })).toMatchObject({ accepted: ticks.length });

    const aapl = await state(first.url, 'AAPL');
    // The after-hours trade opened Monday's session; Friday's close (15:59) is its prevClose.
    expect(aapl.snapshot).toMatchObject({ open: 101, high: 102, low: 101, volume: 2, prevClose: 100, change: 2 });
    expect(aapl.daily).toEqual([
      { time: at('2026-01-09T14:30:00Z'), open: 100, high: 100, low: 100, close: 100, volume: 1 },
      { time: at('2026-01-12T14:30:00Z'), open: 101, high: 102, low: 101, close: 102, volume: 2 },
    ]);
    const xyz = await state(first.url, 'XYZ');
    expect(xyz.snapshot).toMatchObject({ open: 102, volume: 1, prevClose: 101, change: 1 });
    expect(xyz.daily.map((c) => c.time)).toEqual([at('2026-01-09T00:00:00Z'), at('2026-01-12T00:00:00Z')]);
    const eur = await state(first.url, 'EURUSD');
    expect(eur.snapshot).toMatchObject({ open: 1.2, prevClose: 1.1, change: 0.1 });
    expect(eur.daily.map((c) => c.time)).toEqual([at('2026-01-11T22:00:00Z'), at('2026-01-12T22:00:00Z')]);

    pub.disconnect();
    await first.server.close();
    const second = await startServer({ dataDir: dir });
    expect(await state(second.url, 'AAPL')).toEqual(aapl);
    expect(await state(second.url, 'XYZ')).toEqual(xyz);
    expect(await state(second.url, 'EURUSD')).toEqual(eur);

    // The restored books keep rolling by their sessions: Monday 16:00 New York starts Tuesday's.
    const pub2 = await publisher(second.url);
    expect(await pub2.emitWithAck('declare', { symbols: DECLS })).toMatchObject({ ok: true });
    expect(await pub2.emitWithAck('publish', { ticks: [tick('AAPL', 4, '2026-01-12T21:00:00Z', 103)] })).toMatchObject({ accepted: 1 });
    const after = await state(second.url, 'AAPL');
    expect(after.snapshot).toMatchObject({ open: 103, prevClose: 102, change: 1, volume: 1 });
    expect(after.daily.at(-1)).toEqual({ time: at('2026-01-13T14:30:00Z'), open: 103, high: 103, low: 103, close: 103, volume: 1 });
  });

  it('[S71] the server relays the live status\'s closed markets; an unknown session makes the status invalid', async () => {
    const { url } = await startServer();
    const pub = await publisher(url);
    const live: FeedStatus = { mode: 'live', state: 'playing', speed: 1, clock: null, loop: false, completions: 0, marker: null, source: 'simulation', controllable: false };
    pub.emit(Events.status, { ...live, closed: ['fx', 'us-equity'] });
    await vi.waitFor(async () => expect(await rest<FeedStatus>(url, '/api/feed')).toEqual({ ...live, closed: ['fx', 'us-equity'] }));
    pub.emit(Events.status, { ...live, closed: ['moon'], source: 'bad' });
    pub.emit(Events.status, { ...live, source: 'open again' });
    await vi.waitFor(async () => expect(await rest<FeedStatus>(url, '/api/feed')).toEqual({ ...live, source: 'open again' }));
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/feed_requests_rejected_total\{[^}]*event="status"[^}]*code="BAD_REQUEST"[^}]*\} 1|feed_requests_rejected_total\{[^}]*code="BAD_REQUEST"[^}]*event="status"[^}]*\} 1/);
  });
});
