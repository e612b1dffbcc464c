import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { INTERVALS, type SymbolDeclaration, type Tick } from '@tickfeed/protocol';
import { TickRecorder, consumer, publisher, range, startServer, stopAll } from './support/harness.js';

afterEach(stopAll);

const T0 = Date.UTC(2026, 0, 5, 14, 30);
const BTC: SymbolDeclaration = { symbol: 'BTC-USD', name: 'Bitcoin', kind: 'crypto', currency: 'USD', tickSize: 0.01, lotSize: 0.0001, refPrice: 50_000.01 };
// No lot size: sizes and volume carry 8 decimals. The reference price carries float noise that must not leak.
const AAPL: SymbolDeclaration = { symbol: 'AAPL', name: 'Apple', kind: 'equity', currency: 'USD', tickSize: 0.01, refPrice: 190.00000000000003 };
const DECIMALS: Record<string, { price: number; size: number }> = { 'BTC-USD': { price: 2, size: 4 }, AAPL: { price: 2, size: 8 } };
const PRICE_KEYS = new Set(['price', 'bid', 'ask', 'last', 'open', 'high', 'low', 'close', 'prevClose', 'change', 'refPrice']);
const SIZE_KEYS = new Set(['size', 'volume']);

/** Ticks computed the way a careless publisher computes them: k·step in floating point (0.0003 → 0.00030000000000000003). */
function noisyTicks(symbol: string, from: number, count: number): Tick[] {
  const out: Tick[] = [];
  for (let seq = from; seq < from + count; seq++) {
    const k = (seq * 7919) % 97;
    const base = symbol === 'AAPL' ? 190 : 50_000;
    const price = base + ((seq % 13) - 6) * 0.01 + 0.01;
    const size = symbol === 'AAPL' ? k * 0.1 + 0.01 * (seq % 3) : (1 + k) * 0.0001;
    out.push({ symbol, seq, ts: T0 + seq * 1_300, price, size, bid: price - 0.01, ask: price + 0.01 });
  }
  return out;
}

/** The exact decimal sum of the sizes, from integers. */
function exactVolume(ticks: readonly Tick[], decimals: number): number {
  const scale = 10 ** decimals;
  return ticks.reduce((sum, t) => sum + Math.round(t.size * scale), 0) / scale;
}

/** Decimal places of a number's text (1e-7 has 7). */
function decimalsOfText(text: string): number {
  const match = /^-?\d+(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (match === null) throw new Error(`not a number: ${text}`);
  return Math.max(0, (match[1]?.length ?? 0) - Number(match[2] ?? 0));
}

/**
 * Every number under a price or size key in a JSON text, checked against the
 * symbol's decimals as it is written on the wire (the numbers' own text).
 */
function expectExactText(json: string, symbol: string, where: string): void {
  const { price, size } = DECIMALS[symbol]!;
  let checked = 0;
  for (const m of json.matchAll(/"(\w+)":(-?[\d.eE+-]+)/g)) {
    const [, key, text] = m as unknown as [string, string, string];
    if (PRICE_KEYS.has(key)) expect(decimalsOfText(text), `${where}: ${key} ${text}`).toBeLessThanOrEqual(price);
    else if (SIZE_KEYS.has(key)) expect(decimalsOfText(text), `${where}: ${key} ${text}`).toBeLessThanOrEqual(size);
    else if (key === 'changePct') expect(decimalsOfText(text), `${where}: ${key} ${text}`).toBeLessThanOrEqual(4);
    else continue;
    checked++;
  }
  expect(checked, `${where}: numbers checked`).toBeGreaterThan(0);
}

async function getText(url: string): Promise<string> {
  const res = await fetch(url);
  expect(res.status, url).toBe(200);
  return res.text();
}

/** Reads an SSE stream's raw data lines until `until` holds. */
function readSseData(url: string, until: (data: string[]) => boolean, onOpen: () => void): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, (res) => {
      let buffer = '';
      const data: string[] = [];
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, end);
          buffer = buffer.slice(end + 1);
          if (line.startsWith('event: subscribed')) onOpen();
          if (line.startsWith('data: ')) data.push(line.slice(6));
        }
        if (until(data)) {
          req.destroy();
          resolve(data);
        }
      });
      res.on('error', reject);
    });
    req.on('error', (error) => {
      if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(error);
    });
    req.end();
  });
}

describe('exact numbers on every path', () => {
  it('[P13] declare ack, subscribe ack, ticks, SSE, REST snapshots, ticks and candles carry the symbol decimals exactly', async () => {
    const { url } = await startServer();
    const pub = await publisher(url);
    const declared = await pub.emitWithAck('declare', { symbols: [BTC, AAPL] });
    expect(declared.ok).toBe(true);
    expect(declared).toMatchObject({ declared: [{ last: 50_000.01 }, { last: 190 }] });

    const live = await consumer(url);
    const recorder = new TickRecorder(live);
    const firstAck = await live.emitWithAck('subscribe', { symbols: ['BTC-USD', 'AAPL'] });
    expect(firstAck).toMatchObject({ ok: true, subscribed: [{ snapshot: { prevClose: 50_000.01 } }, { snapshot: { prevClose: 190, last: 190 } }] });

    let opened!: () => void;
    const open = new Promise<void>((resolve) => (opened = resolve));
    const count = 400;
    const lastSeqIn = (data: string[], symbol: string) =>
      Math.max(0, ...data.flatMap((d) => (d.startsWith('[') ? (JSON.parse(d) as Tick[]) : [])).filter((t) => t.symbol === symbol).map((t) => t.seq));
    const sse = readSseData(`${url}/api/stream?symbols=BTC-USD,AAPL`, (data) => lastSeqIn(data, 'BTC-USD') >= count && lastSeqIn(data, 'AAPL') >= count, () => opened());
    await open;

    const published = { 'BTC-USD': noisyTicks('BTC-USD', 1, count), AAPL: noisyTicks('AAPL', 1, count) };
    // The noise is there to be removed: the sums in floating point drift off the decimals.
    expect(String(published['BTC-USD'].reduce((s, t) => s + t.size, 0))).toMatch(/\.\d{5,}$/);
    for (let i = 0; i < count; i += 50) {
      const reply = await pub.emitWithAck('publish', { ticks: [...published['BTC-USD'].slice(i, i + 50), ...published.AAPL.slice(i, i + 50)] });
      expect(reply).toEqual({ ok: true, accepted: 100, rejected: [] });
    }
    await recorder.untilSeq('BTC-USD', count);
    await recorder.untilSeq('AAPL', count);
    const sseData = await sse;

    // Socket.IO ticks and the SSE stream: each value has its symbol's decimals, and is the published value rounded.
    for (const symbol of ['BTC-USD', 'AAPL'] as const) {
      const got = recorder.bySymbol.get(symbol)!;
      expect(got.map((t) => t.seq)).toEqual(range(1, count));
      expectExactText(JSON.stringify(got), symbol, `socket ticks ${symbol}`);
      got.forEach((t, i) => {
        const p = published[symbol][i]!;
        expect(t.price).toBeCloseTo(p.price, 6);
        expect(t.size).toBeCloseTo(p.size, 9);
      });
    }
    const sseSubscribed = sseData
      .filter((d) => d.startsWith('{'))
      .map((d) => JSON.parse(d) as { symbol: string; snapshot?: unknown })
      .filter((e) => e.snapshot !== undefined);
    expect(sseSubscribed.map((s) => s.symbol)).toEqual(['BTC-USD', 'AAPL']);
    for (const s of sseSubscribed) expectExactText(JSON.stringify(s.snapshot), s.symbol, `SSE subscribed ${s.symbol}`);
    const sseTicks = sseData.filter((d) => d.startsWith('[')).flatMap((d) => JSON.parse(d) as Tick[]);
    for (const symbol of ['BTC-USD', 'AAPL']) expectExactText(JSON.stringify(sseTicks.filter((t) => t.symbol === symbol)), symbol, `SSE ticks ${symbol}`);

    // A second subscriber's ack, the REST snapshots, ticks and candles.
    const late = await consumer(url);
    const ack = await late.emitWithAck('subscribe', { symbols: ['BTC-USD', 'AAPL'] });
    if (!ack.ok) throw new Error('subscribe failed');
    for (const entry of ack.subscribed) {
      expectExactText(JSON.stringify(entry.snapshot), entry.symbol, `subscribe ack ${entry.symbol}`);
      const { size } = DECIMALS[entry.symbol]!;
      expect(entry.snapshot.volume).toBe(exactVolume(published[entry.symbol as 'AAPL'], size));
    }
    const btcSnap = ack.subscribed.find((s) => s.symbol === 'BTC-USD')!.snapshot;
    expect(btcSnap.change).toBe(Math.round((btcSnap.last - 50_000.01) * 100) / 100);

    for (const symbol of ['BTC-USD', 'AAPL'] as const) {
      expectExactText(await getText(`${url}/api/symbols/${symbol}`), symbol, `REST symbol ${symbol}`);
      expectExactText(await getText(`${url}/api/symbols/${symbol}/ticks?limit=1000`), symbol, `REST ticks ${symbol}`);
      for (const interval of INTERVALS) {
        const text = await getText(`${url}/api/symbols/${symbol}/candles?interval=${interval}&limit=2000`);
        expectExactText(text, symbol, `REST candles ${symbol} ${interval}`);
        const candles = (JSON.parse(text) as { candles: { volume: number }[] }).candles;
        const total = candles.reduce((s, c) => s + Math.round(c.volume * 10 ** DECIMALS[symbol]!.size), 0) / 10 ** DECIMALS[symbol]!.size;
        expect(total, `${symbol} ${interval}`).toBe(exactVolume(published[symbol], DECIMALS[symbol]!.size));
      }
    }
    const list = await getText(`${url}/api/symbols`);
    const parsed = JSON.parse(list) as { symbols: { meta: { symbol: string; lotSize?: number } }[] };
    expect(parsed.symbols.map((s) => s.meta.lotSize)).toEqual([0.0001, undefined]);
    for (const info of parsed.symbols) expectExactText(JSON.stringify(info), info.meta.symbol, `REST list ${info.meta.symbol}`);

    // Re-declaring continues the book; the ack's last price is exact too.
    const again = await pub.emitWithAck('declare', { symbols: [BTC, AAPL] });
    if (!again.ok) throw new Error('declare failed');
    for (const d of again.declared) {
      expect(d.lastSeq).toBe(count);
      expectExactText(JSON.stringify(d), d.symbol, `declare ack ${d.symbol}`);
    }
  });

  it('[P13] a price off the tick grid is INVALID_TICK, never moved; float noise of an on-grid price is removed; the rest of the batch is applied', async () => {
    const { url } = await startServer();
    const pub = await publisher(url);
    await pub.emitWithAck('declare', { symbols: [{ ...AAPL, refPrice: 1 }] });
    const watcher = await consumer(url);
    const recorder = new TickRecorder(watcher);
    await watcher.emitWithAck('subscribe', { symbols: ['AAPL'] });
    const reply = await pub.emitWithAck('publish', {
      ticks: [
        { symbol: 'AAPL', seq: 1, ts: T0, price: 0.004, size: 1, bid: 0.004, ask: 0.004 },
        { symbol: 'AAPL', seq: 1, ts: T0, price: 1.005, size: 1, bid: 1, ask: 1.01 },
        { symbol: 'AAPL', seq: 1, ts: T0, price: 1.1 + 0.2, size: 1, bid: 1.1 + 0.2, ask: 1.31 },
      ],
    });
    expect(reply).toMatchObject({
      ok: true,
      accepted: 1,
      rejected: [
        { index: 0, code: 'INVALID_TICK', message: expect.stringContaining('tick size') },
        { index: 1, code: 'INVALID_TICK', message: expect.stringContaining('price 1.005') },
      ],
    });
    await recorder.untilSeq('AAPL', 1);
    expect(recorder.bySymbol.get('AAPL')![0]).toMatchObject({ price: 1.3, bid: 1.3, ask: 1.31 });
  });
});
