import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { candlesFromTrades, type Candle, type PublishReply, type SubscribeReply, type Tick } from '@tickfeed/protocol';
import { TickRecorder, consumer, declaration, makeTicks, publisher, range, stopAll } from '../support/harness.js';
import { startStoreChild, storedTicks, tempDataDir } from './store-support.js';

afterEach(stopAll);

const SYMBOLS = ['AAA', 'BBB', 'CCC', 'DDD', 'EEE'];
const PER_SYMBOL = 40;
const IN_FLIGHT = 4;

describe('durable history across kill -9 (real processes)', () => {
  it('[D32] after each kill -9 during a fast stream the store holds exactly the sent ticks up to at least the last acked one, in order, no gap, no duplicate; clients resume exactly', async () => {
    const dir = tempDataDir();
    /** Every tick the server may hold, per symbol: index i is seq i + 1. */
    const sent = new Map<string, Tick[]>(SYMBOLS.map((s) => [s, []]));
    const acked = new Map<string, number>(SYMBOLS.map((s) => [s, 0]));
    let watcher: { epoch: string; seq: number } | null = null;
    for (let round = 1; round <= 4; round++) {
      const server = await startStoreChild({ DATA_DIR: dir });
      const pub = await publisher(server.url);
      const declared = await pub.emitWithAck('declare', { symbols: SYMBOLS.map((s) => declaration(s)) });
      if (!declared.ok) throw new Error(JSON.stringify(declared));
      const stored = storedTicks(dir);
      for (const d of declared.declared) {
        const mine = sent.get(d.symbol)!;
        // Every acked tick survived; anything beyond was sent (and written) but its ack was lost with the process.
        expect(d.lastSeq, d.symbol).toBeGreaterThanOrEqual(acked.get(d.symbol)!);
        expect(d.lastSeq, d.symbol).toBeLessThanOrEqual(mine.length);
        mine.length = d.lastSeq;
        const onDisk = stored.get(d.symbol) ?? [];
        expect(onDisk.map((t) => t.seq), d.symbol).toEqual(range(1, d.lastSeq));
        expect(onDisk.map((t) => JSON.parse(t.json) as Tick), d.symbol).toEqual(mine);
        acked.set(d.symbol, d.lastSeq);
      }
      // Stats and candles were rebuilt from the log exactly: they equal what the sent ticks make.
      const aaa = sent.get('AAA')!;
      if (aaa.length > 0) {
        const res = await fetch(new URL('/api/symbols/AAA/candles?interval=1m&limit=1000', server.url));
        const body = (await res.json()) as { candles: Candle[]; seq: number };
        expect(body.seq).toBe(aaa.length);
        expect(body.candles).toEqual(candlesFromTrades(aaa, 60_000));
      }
      // A client that followed AAA before the kill resumes exactly.
      const client = await consumer(server.url);
      const recorder = new TickRecorder(client);
      const sub = (await client.emitWithAck('subscribe', { symbols: ['AAA'], ...(watcher !== null ? { resume: { AAA: watcher } } : {}) })) as SubscribeReply;
      if (!sub.ok) throw new Error(JSON.stringify(sub));
      const from = watcher !== null ? watcher.seq : sub.subscribed[0]!.snapshot.seq;
      if (watcher !== null) expect(sub.subscribed[0]).toMatchObject({ epoch: watcher.epoch, recovered: true });
      const epoch = sub.subscribed[0]!.epoch;

      // A fast stream with several batches in flight, killed once a round-dependent number of acks came back.
      const killAfter = 5 + round * 3;
      let acks = 0;
      let killed = false;
      const killing = new Promise<void>((resolve) => {
        const sendNext = () => {
          if (killed) return;
          const batch: Tick[] = [];
          for (const symbol of SYMBOLS) {
            const mine = sent.get(symbol)!;
            for (const t of makeTicks(symbol, mine.length + 1, PER_SYMBOL)) {
              const tick = { ...t, size: t.size + round };
              mine.push(tick);
              batch.push(tick);
            }
          }
          pub.timeout(5_000).emit('publish', { ticks: batch }, (error: Error | null, reply: PublishReply) => {
            if (killed || error !== null) return;
            if (!reply.ok || reply.accepted !== batch.length) throw new Error(JSON.stringify(reply));
            for (const symbol of SYMBOLS) acked.set(symbol, Math.max(acked.get(symbol)!, batch.filter((t) => t.symbol === symbol).at(-1)!.seq));
            if (++acks >= killAfter) {
              killed = true;
              resolve();
            } else sendNext();
          });
        };
        for (let i = 0; i < IN_FLIGHT; i++) sendNext();
      });
      await killing;
      await server.kill('SIGKILL');
      // What the client received before the kill is a prefix of what was sent: it resumes from its last tick.
      const seen = recorder.seqs('AAA');
      expect(seen).toEqual(range(from + 1, from + seen.length));
      expect(recorder.bySymbol.get('AAA') ?? []).toEqual(sent.get('AAA')!.slice(from, from + seen.length));
      watcher = { epoch, seq: from + seen.length };
      client.disconnect();
      pub.disconnect();
    }
  }, 60_000);

  it('[D36] an unusable DATA_DIR stops the server at start with a clear message and exit code 1', async () => {
    const dir = tempDataDir();
    writeFileSync(join(dir, 'a-file'), 'x');
    const main = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
    const child = spawn(process.execPath, [main], {
      env: { PATH: process.env.PATH ?? '', PORT: '0', DATA_DIR: join(dir, 'a-file', 'data') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(1);
    expect(stderr.trim()).toBe(`feed-server: DATA_DIR ${join(dir, 'a-file', 'data')} is not usable: ENOTDIR: not a directory, mkdir '${join(dir, 'a-file', 'data', 'log')}'`);
  });
});
