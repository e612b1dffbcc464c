import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { ErrorCode, type SubscribeReply, type Tick } from '@tickfeed/protocol';
import { TickRecorder, consumer, declaration, makeTicks, publisher, range, startServer, stopAll } from '../support/harness.js';
import type { ServerConfig } from '../../src/config.js';
import { storedTicks, tempDataDir } from './store-support.js';

afterEach(stopAll);

const MINUTE = 60_000;

/** Ticks a minute apart in time, so a few hundred make hours of 1-minute candles. */
function minuteTicks(symbol: string, fromSeq: number, count: number, startTs = Date.UTC(2026, 0, 5)): Tick[] {
  return makeTicks(symbol, fromSeq, count).map((t) => ({ ...t, ts: startTs + (t.seq - 1) * (MINUTE / 2) }));
}

async function storeServer(dataDir: string, overrides: Partial<ServerConfig> = {}, logger?: pino.Logger) {
  return startServer({ dataDir, ...overrides }, logger !== undefined ? { logger } : {});
}

function ok<T extends { ok: boolean }>(reply: T): Extract<T, { ok: true }> {
  if (!reply.ok) throw new Error(`unexpected error reply: ${JSON.stringify(reply)}`);
  return reply as Extract<T, { ok: true }>;
}

async function rest<T>(url: string, path: string): Promise<T> {
  const res = await fetch(new URL(path, url));
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
}

describe('durable history (DATA_DIR)', () => {
  it('[D30] an acked batch is in the log on disk before the ack, and a tick is in the log before any consumer receives it', async () => {
    const dir = tempDataDir();
    const { url } = await storeServer(dir);
    const pub = await publisher(url);
    ok(await pub.emitWithAck('declare', { symbols: [declaration('AAPL')] }));
    const client = await consumer(url);
    const onDiskWhenDelivered: boolean[] = [];
    client.on('ticks', (ticks) => {
      // Synchronously, as the frame arrives: the log must already hold every tick in it.
      const stored = new Set((storedTicks(dir).get('AAPL') ?? []).map((t) => t.seq));
      for (const tick of ticks) onDiskWhenDelivered.push(stored.has(tick.seq));
    });
    const recorder = new TickRecorder(client);
    ok(await client.emitWithAck('subscribe', { symbols: ['AAPL'] }));
    for (let i = 0; i < 5; i++) {
      const reply = ok(await pub.emitWithAck('publish', { ticks: makeTicks('AAPL', i * 40 + 1, 40) }));
      expect(reply.accepted).toBe(40);
      expect(storedTicks(dir).get('AAPL')?.map((t) => t.seq)).toEqual(range(1, (i + 1) * 40));
    }
    await recorder.untilSeq('AAPL', 200);
    expect(onDiskWhenDelivered).toHaveLength(200);
    expect(onDiskWhenDelivered.every(Boolean)).toBe(true);
  });

  it('[D31] a graceful restart restores epoch, seq, session stats, candles and history: a client resumes exactly (R7) and REST candles are identical', async () => {
    const dir = tempDataDir();
    const first = await storeServer(dir, { historyTicks: 500 });
    const pub = await publisher(first.url);
    ok(await pub.emitWithAck('declare', { symbols: [declaration('AAPL', 100), declaration('MSFT', 300)] }));
    ok(await pub.emitWithAck('publish', { ticks: [...minuteTicks('AAPL', 1, 300), ...minuteTicks('MSFT', 1, 120)] }));
    const client = await consumer(first.url);
    const sub = ok((await client.emitWithAck('subscribe', { symbols: ['AAPL'] })) as SubscribeReply);
    const epoch = sub.subscribed[0]!.epoch;
    const before = {
      aapl: await rest<Record<string, unknown>>(first.url, '/api/symbols/AAPL'),
      msft: await rest<Record<string, unknown>>(first.url, '/api/symbols/MSFT'),
      candles1m: await rest<Record<string, unknown>>(first.url, '/api/symbols/AAPL/candles?interval=1m&limit=1000'),
      candles1h: await rest<Record<string, unknown>>(first.url, '/api/symbols/AAPL/candles?interval=1h'),
      ticks: await rest<Record<string, unknown>>(first.url, '/api/symbols/AAPL/ticks?limit=500'),
    };
    client.disconnect();
    await first.server.close();

    const second = await storeServer(dir, { historyTicks: 500 });
    expect(await rest(second.url, '/api/symbols/AAPL')).toEqual(before.aapl);
    expect(await rest(second.url, '/api/symbols/MSFT')).toEqual(before.msft);
    expect(await rest(second.url, '/api/symbols/AAPL/candles?interval=1m&limit=1000')).toEqual(before.candles1m);
    expect(await rest(second.url, '/api/symbols/AAPL/candles?interval=1h')).toEqual(before.candles1h);
    expect(await rest(second.url, '/api/symbols/AAPL/ticks?limit=500')).toEqual(before.ticks);

    // The publisher reconnects, learns where the sequence stands, and goes on; a client resumes from seq 250.
    const pub2 = await publisher(second.url);
    const redeclared = ok(await pub2.emitWithAck('declare', { symbols: [declaration('AAPL', 100)] }));
    expect(redeclared.declared[0]).toMatchObject({ symbol: 'AAPL', epoch, lastSeq: 300 });
    const resumer = await consumer(second.url);
    const recorder = new TickRecorder(resumer);
    const resumed = ok((await resumer.emitWithAck('subscribe', { symbols: ['AAPL'], resume: { AAPL: { epoch, seq: 250 } } })) as SubscribeReply);
    expect(resumed.subscribed[0]).toMatchObject({ symbol: 'AAPL', epoch, recovered: true });
    ok(await pub2.emitWithAck('publish', { ticks: minuteTicks('AAPL', 301, 10) }));
    await recorder.untilSeq('AAPL', 310);
    expect(recorder.seqs('AAPL')).toEqual(range(251, 310));
  });

  it('[D33] a torn write at the end of the log is cut at start with a log line; damage before the end refuses to start', async () => {
    const dir = tempDataDir();
    const first = await storeServer(dir);
    const pub = await publisher(first.url);
    ok(await pub.emitWithAck('declare', { symbols: [declaration('AAPL')] }));
    ok(await pub.emitWithAck('publish', { ticks: makeTicks('AAPL', 1, 50) }));
    const logDir = join(dir, 'log');
    await first.server.close();
    const segment = join(logDir, readdirSync(logDir).filter((f) => f.endsWith('.log')).sort().at(-1)!);
    const intact = statSync(segment).size;
    // Half a frame: a header announcing 1,000 bytes, and 10 of them.
    const torn = Buffer.alloc(18);
    torn.writeUInt32LE(1_000, 0);
    appendFileSync(segment, torn);

    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const second = await storeServer(dir, {}, logger);
    expect(lines.some((l) => l.includes('cut a torn write'))).toBe(true);
    expect(statSync(segment).size).toBe(intact);
    expect(await rest(second.url, '/api/symbols/AAPL')).toMatchObject({ snapshot: { seq: 50 } });
    const pub2 = await publisher(second.url);
    ok(await pub2.emitWithAck('declare', { symbols: [declaration('AAPL')] }));
    ok(await pub2.emitWithAck('publish', { ticks: makeTicks('AAPL', 51, 10) }));
    await second.server.close();
    expect(storedTicks(dir).get('AAPL')?.map((t) => t.seq)).toEqual(range(1, 60));

    // A flipped byte inside an earlier frame is damage, not a torn write: the server refuses to start.
    const bytes = readFileSync(segment);
    bytes[40] = bytes[40]! ^ 0xff;
    writeFileSync(segment, bytes);
    writeFileSync(join(dir, 'checkpoint.bin'), Buffer.alloc(0));
    await expect(storeServer(dir)).rejects.toThrow(/damaged|refusing to start/);
  });

  it('[D34] candles older than the in-memory window are served from the store, page by page with before=, across a restart', async () => {
    const dir = tempDataDir();
    // 20 candles per interval in memory; 3 days of 1-minute candles go through.
    const first = await storeServer(dir, { candlesPerInterval: 20, checkpointTicks: 1_000 });
    const pub = await publisher(first.url);
    ok(await pub.emitWithAck('declare', { symbols: [declaration('AAPL')] }));
    const count = 3 * 1_440 * 2;
    for (let seq = 1; seq <= count; seq += 2_000) {
      ok(await pub.emitWithAck('publish', { ticks: minuteTicks('AAPL', seq, Math.min(2_000, count - seq + 1)) }));
    }
    const pageAll = async (url: string) => {
      const pages: { time: number }[][] = [];
      let before: number | undefined;
      for (;;) {
        const page = await rest<{ candles: { time: number }[] }>(url, `/api/symbols/AAPL/candles?interval=1m&limit=1000${before !== undefined ? `&before=${before}` : ''}`);
        if (page.candles.length === 0) break;
        pages.push(page.candles);
        before = page.candles[0]!.time;
      }
      return pages.reverse().flat();
    };
    const all = await pageAll(first.url);
    expect(all).toHaveLength(3 * 1_440);
    expect(all.map((c) => c.time)).toEqual(range(0, 3 * 1_440 - 1).map((i) => Date.UTC(2026, 0, 5) + i * MINUTE));
    // Each candle holds its two ticks: volumes add up to the ticks' sizes.
    const sizes = minuteTicks('AAPL', 1, count).reduce((s, t) => s + t.size, 0);
    expect((all as unknown as { volume: number }[]).reduce((s, c) => s + c.volume, 0)).toBe(sizes);
    await first.server.close();
    const second = await storeServer(dir, { candlesPerInterval: 20 });
    expect(await pageAll(second.url)).toEqual(all);
  });

  it('[D35] the candle archive keeps CANDLE_RETENTION_DAYS back from each series\' newest candle', async () => {
    const dir = tempDataDir();
    const first = await storeServer(dir, { candlesPerInterval: 20, candleRetentionDays: 1 });
    const pub = await publisher(first.url);
    ok(await pub.emitWithAck('declare', { symbols: [declaration('AAPL')] }));
    const count = 3 * 1_440 * 2;
    for (let seq = 1; seq <= count; seq += 2_000) {
      ok(await pub.emitWithAck('publish', { ticks: minuteTicks('AAPL', seq, Math.min(2_000, count - seq + 1)) }));
    }
    await first.server.close();
    // Retention runs at start (and hourly): a day back from the newest archived candle is kept.
    const second = await storeServer(dir, { candlesPerInterval: 20, candleRetentionDays: 1 });
    const oldest = await rest<{ candles: { time: number }[] }>(second.url, `/api/symbols/AAPL/candles?interval=1m&limit=2000&before=${Date.UTC(2026, 0, 8)}`);
    const newestArchived = Date.UTC(2026, 0, 5) + (3 * 1_440 - 21) * MINUTE;
    expect(oldest.candles[0]!.time).toBe(newestArchived - 1_440 * MINUTE);
  });

  it('[D36] with less free disk than MIN_FREE_DISK_MB the server is not ready and refuses ticks with STORE_UNAVAILABLE; disk use is in /metrics', async () => {
    const dir = tempDataDir();
    const { url } = await storeServer(dir, { minFreeDiskMb: 10_000_000 });
    const ready = await fetch(new URL('/readyz', url));
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { reasons: string[] }).reasons.join(' ')).toMatch(/MIN_FREE_DISK_MB/);
    const pub = await publisher(url);
    const declared = await pub.emitWithAck('declare', { symbols: [declaration('AAPL')] });
    expect(declared).toMatchObject({ ok: false, error: { code: ErrorCode.STORE_UNAVAILABLE } });

    const healthy = await storeServer(tempDataDir());
    const pub2 = await publisher(healthy.url);
    ok(await pub2.emitWithAck('declare', { symbols: [declaration('AAPL')] }));
    ok(await pub2.emitWithAck('publish', { ticks: makeTicks('AAPL', 1, 100) }));
    const metrics = await (await fetch(new URL('/metrics', healthy.url))).text();
    const disk = Number(/^feed_store_disk_bytes (\d+)/m.exec(metrics)?.[1]);
    expect(disk).toBeGreaterThan(100 * 50);
    expect(metrics).toMatch(/^feed_store_writable 1/m);
  });

  it('[D36] a DATA_DIR that cannot be created is a clear error at start', async () => {
    const dir = tempDataDir();
    writeFileSync(join(dir, 'a-file'), 'x');
    await expect(storeServer(join(dir, 'a-file', 'data'))).rejects.toThrow(/DATA_DIR .*a-file\/data is not usable: ENOTDIR/);
  });

  it('[D36] a second server on the same DATA_DIR is refused while the first runs', async () => {
    const dir = tempDataDir();
    await storeServer(dir);
    await expect(storeServer(dir)).rejects.toThrow(/in use by process/);
  });
});

