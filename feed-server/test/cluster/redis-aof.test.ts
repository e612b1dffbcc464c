import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SubscribeReply, SymbolInfo } from '@tickfeed/protocol';
import { startRedisServer } from '@tickfeed/dev-tools';
import { TickRecorder, consumer, makeTicks, onCleanup, publisher, range, stopAll } from '../support/harness.js';
import { declareOn, getJson, ok, publishOn, startInstance } from './cluster-support.js';

afterEach(stopAll);

describe('Redis with its append-only file', () => {
  it('[D39] [C8] a Redis restart keeps the shared history: an instance that starts after it, with nothing of its own, serves it and resumes a client exactly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tickfeed-aof-'));
    onCleanup(() => rmSync(dir, { recursive: true, force: true }));
    const redis = await startRedisServer({ appendOnlyDir: dir });
    onCleanup(() => redis.stop());

    const first = await startInstance(redis.url, 'aof-1');
    const pub = await publisher(first.url);
    await declareOn(pub, [{ symbol: 'AAPL' }]);
    const watcher = await consumer(first.url);
    const seen = new TickRecorder(watcher);
    const subscribed = ok(await watcher.emitWithAck('subscribe', { symbols: ['AAPL'] }));
    const epoch = subscribed.subscribed[0]!.epoch;
    await publishOn(pub, makeTicks('AAPL', 1, 50));
    await seen.untilSeq('AAPL', 50);
    watcher.disconnect();
    pub.disconnect();
    // Nobody is left to rebuild Redis from memory: what comes back is what the append-only file kept.
    await first.server.close();

    await redis.restart();

    const second = await startInstance(redis.url, 'aof-2');
    const info = await getJson<SymbolInfo>(`${second.url}/api/symbols/AAPL`);
    expect(info.status).toBe(200);
    expect(info.body).toMatchObject({ epoch, snapshot: { seq: 50 } });

    const resumed = await consumer(second.url);
    const recorder = new TickRecorder(resumed);
    const reply: SubscribeReply = await resumed.emitWithAck('subscribe', { symbols: ['AAPL'], resume: { AAPL: { epoch, seq: 20 } } });
    expect(ok(reply).subscribed[0]).toMatchObject({ symbol: 'AAPL', epoch, recovered: true });
    await recorder.untilSeq('AAPL', 50);
    expect(recorder.seqs('AAPL')).toEqual(range(21, 50));
  });
});
