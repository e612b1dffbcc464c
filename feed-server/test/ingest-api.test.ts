import { afterEach, describe, expect, it } from 'vitest';
import { io as connect } from 'socket.io-client';
import { ErrorCode, INGEST_NAMESPACE, type PublishReply } from '@tickfeed/protocol';
import { TickRecorder, consumer, declaration, makeTicks, publisher, range, startServer, stopAll } from './support/harness.js';

afterEach(stopAll);

function connectError(url: string, auth: Record<string, unknown>): Promise<string> {
  const socket = connect(`${url}${INGEST_NAMESPACE}`, { transports: ['websocket'], forceNew: true, reconnection: false, auth });
  return new Promise((resolve) => {
    socket.once('connect', () => {
      socket.disconnect();
      resolve('connected');
    });
    socket.once('connect_error', (error) => {
      socket.disconnect();
      resolve(error.message);
    });
  });
}

describe('ingest', () => {
  it('[R14] /ingest refuses every publisher when INGEST_TOKEN is unset, and a wrong token always', async () => {
    const open = await startServer({ ingestToken: undefined });
    expect(await connectError(open.url, { token: 'anything' })).toMatch(/UNAUTHORIZED: ingest is disabled/);
    const guarded = await startServer({ ingestToken: 'secret' });
    expect(await connectError(guarded.url, { token: 'wrong' })).toMatch(/UNAUTHORIZED: bad ingest token/);
    expect(await connectError(guarded.url, {})).toMatch(/UNAUTHORIZED/);
    expect(await connectError(guarded.url, { token: 'secret' })).toBe('connected');
  });

  it('[R15] a publisher declares symbols and publishes batches acked with accepted/rejected counts', async () => {
    const { url } = await startServer();
    const pub = await publisher(url);
    const declared = await pub.emitWithAck('declare', { symbols: [declaration('AAPL', 190)] });
    expect(declared).toMatchObject({ ok: true, declared: [{ symbol: 'AAPL', lastSeq: 0, lastTs: 0, last: 190 }], rejected: [] });
    const client = await consumer(url);
    const recorder = new TickRecorder(client);
    await client.emitWithAck('subscribe', { symbols: ['AAPL'] });
    const reply = await pub.emitWithAck('publish', { ticks: makeTicks('AAPL', 1, 100) });
    expect(reply).toEqual({ ok: true, accepted: 100, rejected: [] });
    await recorder.untilSeq('AAPL', 100);
    expect(recorder.seqs('AAPL')).toEqual(range(1, 100));
    // Re-declaring (e.g. after a reconnect) keeps the epoch and reports where the sequence stands.
    const again = await pub.emitWithAck('declare', { symbols: [declaration('AAPL', 190)] });
    expect(again).toMatchObject({ ok: true, declared: [{ symbol: 'AAPL', lastSeq: 100 }] });
  });

  it('[R16] invalid ticks are rejected with a code and counted, never applied; valid ones in the batch are', async () => {
    const { url, server } = await startServer();
    const pub = await publisher(url);
    await pub.emitWithAck('declare', { symbols: [declaration('AAPL'), declaration('MSFT')] });
    const good = makeTicks('AAPL', 1, 2);
    const base = makeTicks('AAPL', 3, 1)[0]!;
    const batch: unknown[] = [
      good[0],
      { ...base, seq: 2, price: Number.NaN },
      { ...base, seq: 2, price: -1 },
      { ...base, seq: 2, price: 0 },
      { ...base, seq: 2, size: -5 },
      { ...base, seq: 2, bid: 101, ask: 100 },
      { ...base, seq: 5 },
      { ...base, symbol: 'TSLA', seq: 1 },
      { ...base, seq: 2, extra: 1 },
      'junk',
      null,
      good[1],
    ];
    const reply = (await pub.emitWithAck('publish', { ticks: batch as never })) as PublishReply;
    if (!reply.ok) throw new Error('publish failed');
    expect(reply.accepted).toBe(2);
    expect(reply.rejected.map((r) => [r.index, r.code])).toEqual([
      [1, ErrorCode.INVALID_TICK],
      [2, ErrorCode.INVALID_TICK],
      [3, ErrorCode.INVALID_TICK],
      [4, ErrorCode.INVALID_TICK],
      [5, ErrorCode.INVALID_TICK],
      [6, ErrorCode.SEQ_MISMATCH],
      [7, ErrorCode.NOT_DECLARED],
      [8, ErrorCode.INVALID_TICK],
      [9, ErrorCode.INVALID_TICK],
      [10, ErrorCode.INVALID_TICK],
    ]);
    // NaN does not survive JSON: it arrives as null and is rejected like any non-number.
    const snapshot = server.core.market.snapshot('AAPL')!;
    expect(snapshot).toMatchObject({ seq: 2, last: good[1]!.price });
    const counted = await server.metrics.registry.getSingleMetricAsString('feed_ticks_rejected_total');
    expect(counted).toContain('code="INVALID_TICK"} 8');
    expect(counted).toContain('code="SEQ_MISMATCH"} 1');
    expect(counted).toContain('code="NOT_DECLARED"} 1');
  });

  it('[R17] a publisher may publish only symbols it declared on its own connection', async () => {
    const { url } = await startServer();
    const a = await publisher(url);
    const b = await publisher(url);
    await a.emitWithAck('declare', { symbols: [declaration('AAPL')] });
    const reply = await b.emitWithAck('publish', { ticks: makeTicks('AAPL', 1, 1) });
    expect(reply).toMatchObject({ ok: true, accepted: 0, rejected: [{ code: ErrorCode.NOT_DECLARED }] });
  });

  it('[R18] malformed ingest requests get BAD_REQUEST acks and the namespace keeps working', async () => {
    const { url } = await startServer();
    const pub = await publisher(url);
    for (const request of [null, {}, { symbols: [] }, { symbols: [{ symbol: 'lower' }] }, { symbols: 'x' }]) {
      const reply = await pub.emitWithAck('declare', request as never);
      expect(reply).toMatchObject({ ok: false, error: { code: ErrorCode.BAD_REQUEST } });
    }
    for (const request of [null, {}, { ticks: [] }, { ticks: 'x' }, { ticks: Array.from({ length: 5_001 }, () => 1) }]) {
      const reply = await pub.emitWithAck('publish', request as never);
      expect(reply).toMatchObject({ ok: false, error: { code: ErrorCode.BAD_REQUEST } });
    }
    const declared = await pub.emitWithAck('declare', { symbols: [declaration('AAPL')] });
    expect(declared.ok).toBe(true);
  });

  it('[R19] a declare with reset starts a new epoch: subscribers get every older tick, then `reset`, then seq 1 onwards', async () => {
    const { url, server } = await startServer();
    const port = server.localIngest();
    await port.declare({ symbols: [declaration('AAPL')] });
    const client = await consumer(url);
    const recorder = new TickRecorder(client);
    const resets: unknown[] = [];
    const order: string[] = [];
    client.on('reset', (reset) => {
      resets.push(reset);
      order.push(`reset@${recorder.seqs('AAPL').length}`);
    });
    const sub = await client.emitWithAck('subscribe', { symbols: ['AAPL'] });
    if (!sub.ok) throw new Error('subscribe failed');
    const oldEpoch = sub.subscribed[0]!.epoch;
    await port.publish({ ticks: makeTicks('AAPL', 1, 10) });
    const declared = await port.declare({ symbols: [declaration('AAPL', 150)], reset: true, reason: 'seek' });
    if (!declared.ok) throw new Error('declare failed');
    expect(declared.declared[0]).toMatchObject({ lastSeq: 0 });
    expect(declared.declared[0]!.epoch).not.toBe(oldEpoch);
    await port.publish({ ticks: makeTicks('AAPL', 1, 5) });
    await recorder.until(() => recorder.seqs('AAPL').length === 15);
    expect(recorder.seqs('AAPL')).toEqual([...range(1, 10), ...range(1, 5)]);
    expect(order).toEqual(['reset@10']);
    expect(resets[0]).toMatchObject({ symbol: 'AAPL', epoch: declared.declared[0]!.epoch, reason: 'seek', snapshot: { seq: 0, last: 150 } });
  });
});
