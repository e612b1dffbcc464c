import { describe, expect, it } from 'vitest';
import { RestClient, type FetchLike } from '../src/rest-client.js';

/** A fetch whose answers the test releases, recording each request and its signal. */
function pendingFetch() {
  const calls: { url: string; signal: AbortSignal | undefined; answer: (body: unknown, status?: number) => void }[] = [];
  const fetch: FetchLike = (input, init) =>
    new Promise((resolve, reject) => {
      init?.signal?.addEventListener('abort', () => reject(init.signal?.reason as Error), { once: true });
      calls.push({
        url: input,
        signal: init?.signal,
        answer: (body, status = 200) => resolve({ ok: status < 300, status, json: async () => body }),
      });
    });
  return { calls, fetch };
}

const ticks = (after: number) => ({ symbol: 'AAPL', epoch: 'e1', seq: after + 1, complete: true, ticks: [] });
const settle = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('REST client', () => {
  it('[D86] identical GETs in flight share one request; a later one asks again', async () => {
    const { calls, fetch } = pendingFetch();
    const rest = new RestClient({ baseUrl: 'http://feed.test', fetch });
    const a = rest.ticks('AAPL', { after: 5, limit: 1000 });
    const b = rest.ticks('AAPL', { after: 5, limit: 1000 });
    const other = rest.ticks('AAPL', { after: 6, limit: 1000 });
    await settle();
    expect(calls.map((c) => c.url)).toEqual([
      'http://feed.test/api/symbols/AAPL/ticks?after=5&limit=1000',
      'http://feed.test/api/symbols/AAPL/ticks?after=6&limit=1000',
    ]);
    calls[0]!.answer(ticks(5));
    calls[1]!.answer(ticks(6));
    expect(await a).toEqual(ticks(5));
    expect(await b).toEqual(ticks(5));
    expect(await other).toEqual(ticks(6));
    void rest.ticks('AAPL', { after: 5, limit: 1000 });
    await settle();
    expect(calls).toHaveLength(3);
  });

  it('[D86] one caller giving up does not cancel the others; the last one aborts the request', async () => {
    const { calls, fetch } = pendingFetch();
    const rest = new RestClient({ baseUrl: 'http://feed.test', fetch });
    const first = new AbortController();
    const second = new AbortController();
    const a = rest.candles('AAPL', '1m', { limit: 10 }, first.signal);
    const b = rest.candles('AAPL', '1m', { limit: 10 }, second.signal);
    const c = rest.candles('AAPL', '1m', { limit: 10 });
    await settle();
    expect(calls).toHaveLength(1);
    first.abort(new Error('first gave up'));
    await expect(a).rejects.toThrow('first gave up');
    expect(calls[0]!.signal!.aborted).toBe(false);
    calls[0]!.answer({ symbol: 'AAPL', interval: '1m', epoch: 'e1', seq: 3, candles: [] });
    await expect(b).resolves.toMatchObject({ seq: 3 });
    await expect(c).resolves.toMatchObject({ seq: 3 });

    const d = rest.candles('AAPL', '1m', { limit: 10 }, first.signal);
    await expect(d).rejects.toThrow('first gave up');
    const lone = new AbortController();
    const e = rest.candles('AAPL', '1m', { limit: 10 }, lone.signal);
    await settle();
    expect(calls).toHaveLength(2);
    lone.abort(new Error('lone gave up'));
    await expect(e).rejects.toThrow('lone gave up');
    expect(calls[1]!.signal!.aborted).toBe(true);
    // A request that was given up is not joined: the next caller asks afresh.
    void rest.candles('AAPL', '1m', { limit: 10 });
    await settle();
    expect(calls).toHaveLength(3);
  });

  it('[D86] an error reaches every caller that shared the request', async () => {
    const { calls, fetch } = pendingFetch();
    const rest = new RestClient({ baseUrl: 'http://feed.test', fetch });
    const a = rest.symbol('ZZZZ');
    const b = rest.symbol('ZZZZ');
    await settle();
    calls[0]!.answer({ error: { code: 'UNKNOWN_SYMBOL', message: 'Unknown symbol: ZZZZ' } }, 404);
    await expect(a).rejects.toMatchObject({ status: 404, code: 'UNKNOWN_SYMBOL' });
    await expect(b).rejects.toMatchObject({ status: 404, code: 'UNKNOWN_SYMBOL' });
    void rest.symbol('ZZZZ');
    await settle();
    expect(calls).toHaveLength(2);
  });
});
