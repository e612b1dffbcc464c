import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { encodeStreamPosition, type ResumePoint, type Tick } from '@tickfeed/protocol';
import { TickRecorder, consumer, declaration, onCleanup, publisher, range, stopAll } from './support/harness.js';
import { rawSocketIo, type RawSocketIo } from './support/raw-websocket.js';

afterEach(stopAll);

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const SYMBOLS = range(0, 35).map((i) => `R${i}`);
const HISTORY = 10_000;

/** The feed server from source in a child process of its own, so its memory is measured alone. */
async function serverProcess(): Promise<{ url: string; port: number; rss: () => number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', INGEST_TOKEN: 'test-token', LOG_LEVEL: 'info', REST_RATE_LIMIT: '0', DATA_DIR: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  onCleanup(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        try {
          const entry = JSON.parse(line) as { msg?: string; url?: string };
          if (entry.msg === 'feed server listening' && typeof entry.url === 'string') resolve(entry.url);
        } catch {
          // not a log line
        }
      }
    });
    child.once('exit', (code, signal) => reject(new Error(`feed server exited (${code ?? signal}): ${stderr.slice(-500)}`)));
  });
  const pid = child.pid!;
  return {
    url,
    port: Number(new URL(url).port),
    rss: () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024,
  };
}

/** Valid ticks on a cent grid, stamped now (latency is measured from `ts`). */
function ticksAt(symbol: string, fromSeq: number, count: number, now: number): Tick[] {
  const ticks: Tick[] = [];
  for (let seq = fromSeq; seq < fromSeq + count; seq++) {
    const cents = 10_000 + Math.round(Math.sin(seq / 7) * 200);
    ticks.push({ symbol, seq, ts: now, price: cents / 100, size: 100, bid: (cents - 1) / 100, ask: (cents + 1) / 100 });
  }
  return ticks;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

const MB = 1024 * 1024;

describe('resume flood', () => {
  it('[H13] 20 SSE streams and 5 WebSocket clients that resume 36 symbols 9,999 ticks back and never read: the server grows < 150 MB and a healthy client keeps p99 < 250 ms', async () => {
    const server = await serverProcess();
    const feed = await publisher(server.url);
    await feed.emitWithAck('declare', { symbols: SYMBOLS.map((s) => declaration(s)) });
    const seqs = new Map(SYMBOLS.map((s) => [s, 0]));
    const publish = async (perSymbol: number) => {
      const now = Date.now();
      const ticks = SYMBOLS.flatMap((s) => ticksAt(s, seqs.get(s)! + 1, perSymbol, now));
      for (const s of SYMBOLS) seqs.set(s, seqs.get(s)! + perSymbol);
      const ack = await feed.emitWithAck('publish', { ticks });
      if (!ack.ok || ack.rejected.length > 0) throw new Error(`publish refused: ${JSON.stringify(ack).slice(0, 300)}`);
    };
    for (let loaded = 0; loaded < HISTORY; loaded += 125) await publish(125);

    const healthy = await consumer(server.url);
    const recorder = new TickRecorder(healthy);
    const latencies: number[] = [];
    let measuring = false;
    healthy.on('ticks', (ticks) => {
      if (!measuring) return;
      const now = Date.now();
      for (const t of ticks) latencies.push(now - t.ts);
    });
    const ack = await healthy.emitWithAck('subscribe', { symbols: SYMBOLS });
    if (!ack.ok) throw new Error('subscribe failed');
    const epochs = new Map(ack.subscribed.map((s) => [s.symbol, s.epoch]));
    const from = new Map(ack.subscribed.map((s) => [s.symbol, s.snapshot.seq]));

    // Ticks keep flowing: one per symbol every 20 ms (1,800 ticks/s).
    let flowing = true;
    let liveError: unknown;
    const live = (async () => {
      try {
        while (flowing) {
          await publish(1);
          await new Promise((r) => setTimeout(r, 20));
        }
      } catch (error) {
        // A server that stalls long enough drops the publisher: reported with the figures below.
        liveError = error;
      }
    })();
    const samples: number[] = [];
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 100));
      samples.push(server.rss());
    }
    const baseline = percentile(samples, 50);

    /** Resume points 9,999 ticks back from what the server holds now. */
    const resumePoints = () => new Map<string, ResumePoint>(SYMBOLS.map((s) => [s, { epoch: epochs.get(s)!, seq: seqs.get(s)! - (HISTORY - 1) }]));
    measuring = true;
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, server.rss())), 100);
    onCleanup(() => clearInterval(sampler));
    const streams = range(1, 20).map(() => {
      const socket = tcpConnect(server.port, '127.0.0.1');
      socket.on('error', () => undefined);
      onCleanup(() => {
        socket.destroy();
      });
      socket.write(
        `GET /api/stream?symbols=${SYMBOLS.join(',')} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nLast-Event-ID: ${encodeStreamPosition(resumePoints())}\r\n\r\n`,
      );
      socket.pause();
      return socket;
    });
    const raws: RawSocketIo[] = [];
    for (let i = 0; i < 5; i++) {
      const raw = await rawSocketIo(server.port);
      onCleanup(() => raw.destroy());
      raw.stopReading();
      raws.push(raw);
    }
    let ackId = 1;
    const pair = (raw: RawSocketIo) => {
      raw.send(`42${ackId++}${JSON.stringify(['subscribe', { symbols: SYMBOLS, resume: Object.fromEntries(resumePoints()) }])}`);
      raw.send(`42${ackId++}${JSON.stringify(['unsubscribe', { symbols: SYMBOLS }])}`);
    };
    // Ten pairs at once (the rate limiter's burst), then as many as its rate allows.
    for (const raw of raws) for (let i = 0; i < 10; i++) pair(raw);
    const attackStart = Date.now();
    for (let round = 1; Date.now() - attackStart < 8_000; round++) {
      await new Promise((r) => setTimeout(r, 100));
      if (round % 2 === 0) for (const raw of raws) pair(raw);
    }
    flowing = false;
    await live;
    measuring = false;
    clearInterval(sampler);
    peak = Math.max(peak, server.rss());
    const text = await fetch(`${server.url}/metrics`, { signal: AbortSignal.timeout(20_000) })
      .then((res) => res.text())
      .catch((error: unknown) => `(no /metrics: ${String(error)})`);
    const p99 = percentile(latencies, 99);
    const growth = peak - baseline;
    console.info(
      `resume flood: server RSS ${(baseline / MB).toFixed(0)} MB before, peak ${(peak / MB).toFixed(0)} MB (+${(growth / MB).toFixed(0)} MB); ` +
        `healthy client p50 ${percentile(latencies, 50)} ms, p99 ${p99} ms, max ${percentile(latencies, 100)} ms over ${latencies.length} ticks; ` +
        text
          .split('\n')
          .filter((l) => /^feed_(sse_clients|conflating_clients|outbound_frames_inflight|slow_consumers_total|limit_hits_total)/.test(l))
          .join('; ') +
        (liveError === undefined ? '' : `; the publisher failed: ${String(liveError)}`),
    );
    expect(streams.length + raws.length).toBe(25);
    expect(liveError).toBeUndefined();
    expect(latencies.length).toBeGreaterThan(5_000);
    expect(growth).toBeLessThan(150 * MB);
    expect(p99).toBeLessThan(250);
    // Every SSE attacker is accounted for: still a registered client, or cut off (most are, once
    // history passes their replay; one whose replay the kernel's socket buffers took whole is a
    // live client under the buffer cap). And the healthy client lost nothing.
    const count = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? 0);
    const cutOff = count(/^feed_limit_hits_total\{limit="sse_history"\} (\d+)$/m) + count(/^feed_limit_hits_total\{limit="sse_buffer"\} (\d+)$/m);
    expect(count(/^feed_sse_clients (\d+)$/m) + cutOff).toBe(20);
    expect(cutOff).toBeGreaterThan(0);
    for (const s of SYMBOLS) await recorder.untilSeq(s, seqs.get(s)!);
    for (const s of SYMBOLS) expect(recorder.seqs(s)).toEqual(range(from.get(s)! + 1, seqs.get(s)!));
  });
});
