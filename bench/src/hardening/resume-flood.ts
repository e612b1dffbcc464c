import { connect as tcpConnect, type Socket as NetSocket } from 'node:net';
import { io, type Socket } from 'socket.io-client';
import { Events, INGEST_NAMESPACE, encodeStreamPosition, type IngestClientToServerEvents, type IngestServerToClientEvents, type ResumePoint } from '@tickfeed/protocol';
import type { AttackContext } from './attackers.js';
import { forwardedFor } from './edge-attackers.js';
import { getText } from './http.js';
import { isCatalogCode, type Ledger } from './ledger.js';
import { MetricsSnapshot } from './prometheus.js';
import { RawSocket, type RawAck } from './raw-socket.js';
import type { Rng } from './rng.js';
import { TickSource } from './steady.js';

/*
 * Resume floods (F23): clients that resume far back in a long history and
 * then stop reading, over SSE and over Socket.IO. Before H11/H12 each one made
 * the server write its whole replay into memory at once. Here the server's
 * RSS is sampled all run long and must stay within a budget, and the healthy
 * clients must not notice (F3).
 */

type PublisherSocket = Socket<IngestServerToClientEvents, IngestClientToServerEvents>;

/** Symbols with a long history for the floods to replay, owned by a publisher that stays connected. */
export interface FloodHistory {
  symbols: string[];
  /** Epoch of each symbol. */
  epochs: Map<string, string>;
  /** Ticks held per symbol. */
  ticksPerSymbol: number;
  close(): void;
}

const BATCH = 4_000;

/** Declares `symbols` (fresh epochs) and publishes `ticksPerSymbol` ticks of each, acknowledged, before the attack starts. */
export async function preloadHistory(options: { url: string; token: string; symbols: string[]; ticksPerSymbol: number; rng: Rng }): Promise<FloodHistory> {
  const socket: PublisherSocket = io(`${options.url}${INGEST_NAMESPACE}`, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token: options.token } });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (error) => reject(new Error(`history publisher refused: ${error.message}`)));
  });
  const source = new TickSource(options.symbols, options.rng, Date.now);
  const reply = await socket.timeout(10_000).emitWithAck(Events.declare, { symbols: source.declarations(), reset: true, reason: 'fuzz resume flood' });
  if (!reply.ok) throw new Error(`history declare failed: ${reply.error.code}`);
  const epochs = new Map<string, string>();
  for (const d of reply.declared) {
    epochs.set(d.symbol, d.epoch);
    source.continueFrom(d.symbol, d.lastSeq);
  }
  for (let left = options.symbols.length * options.ticksPerSymbol; left > 0; left -= BATCH) {
    const published = await socket.timeout(30_000).emitWithAck(Events.publish, { ticks: source.next(Math.min(BATCH, left)) });
    if (!published.ok || published.rejected.length > 0) throw new Error(`history publish refused: ${JSON.stringify(published).slice(0, 200)}`);
  }
  return { symbols: options.symbols, epochs, ticksPerSymbol: options.ticksPerSymbol, close: () => void socket.disconnect() };
}

/** Resume points `back` ticks or more behind the newest (seq 0: from the start of the epoch). */
function farBack(rng: Rng, history: FloodHistory, symbols: readonly string[]): Map<string, ResumePoint> {
  return new Map(symbols.map((s) => [s, { epoch: history.epochs.get(s) ?? 'x', seq: rng.int(0, Math.floor(history.ticksPerSymbol / 10)) }]));
}

/**
 * F23: rounds of 2–5 SSE streams and 1–2 WebSocket clients from one address,
 * each resuming every history symbol from (nearly) its start, then not
 * reading for 2–5 s. Then each reads again: an SSE stream must have answered
 * 200 (or 429 `RATE_LIMITED` past the cap) and may have been closed (H12); a
 * WebSocket client's requests must all be answered (ok or coded) or the
 * connection closed (H1/H2, H11). Then they leave.
 */
export async function resumeFlooder(rng: Rng, ctx: AttackContext, address: string, history: FloodHistory): Promise<void> {
  const { ledger } = ctx;
  while (ctx.running()) {
    const hold = rng.int(2_000, 5_000);
    // At most 7 at once: under MAX_CONNECTIONS_PER_IP, so every one of them is let in and replays.
    const streams = Array.from({ length: rng.int(2, 5) }, () => stalledStream(rng, ctx, address, history));
    const clients: StalledClient[] = [];
    for (let i = rng.int(1, 2); i > 0; i--) {
      const client = await stalledClient(rng, ctx, address, history, hold);
      if (client !== null) clients.push(client);
    }
    ledger.requests.add('resume-flood sse', streams.length);
    ledger.requests.add('resume-flood websocket', clients.length);
    await new Promise((resolve) => setTimeout(resolve, hold));
    await Promise.all([...streams.map((s) => s.finish(ctx)), ...clients.map((c) => c.finish(ctx))]);
  }
}

interface StalledStream {
  finish(ctx: AttackContext): Promise<void>;
}

/** A raw HTTP request for the stream that reads nothing until `finish`. */
function stalledStream(rng: Rng, ctx: AttackContext, address: string, history: FloodHistory): StalledStream {
  const target = new URL(ctx.url);
  const socket: NetSocket = tcpConnect(Number(target.port), target.hostname);
  socket.on('error', () => undefined);
  let closedByServer = false;
  socket.once('end', () => (closedByServer = true));
  socket.write(
    `GET /api/stream?symbols=${history.symbols.join(',')} HTTP/1.1\r\nHost: ${target.host}\r\nX-Forwarded-For: ${forwardedFor(address)['x-forwarded-for']}\r\n` +
      `Last-Event-ID: ${encodeStreamPosition(farBack(rng, history, history.symbols))}\r\n\r\n`,
  );
  socket.pause();
  return {
    async finish(c: AttackContext) {
      const head = await readHead(socket, c.ackTimeoutMs);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      // Read on for a moment: a stream the server destroyed (H12) ends now.
      await new Promise((resolve) => setTimeout(resolve, 100));
      socket.destroy();
      const outcome = status === 200 ? (closedByServer || head.length === 0 ? 'closed by the server' : 'open when left') : `status ${status}`;
      c.ledger.rawOutcomes.add(`resume-flood sse: ${outcome}`);
      if (status === 200) return;
      if (status === 0) {
        if (!closedByServer) c.ledger.violation('no-reply', `resume-flood sse: no HTTP answer within ${c.ackTimeoutMs} ms`, 'sse');
        return;
      }
      const code = /"code":"([A-Z_]+)"/.exec(head)?.[1];
      if (status >= 500) c.ledger.violation('rest-5xx', `resume-flood sse → ${status} ${head.slice(0, 200)}`, `sse ${status}`);
      else if (!isCatalogCode(code)) c.ledger.violation('rest-uncoded', `resume-flood sse → ${status} ${head.slice(0, 200)}`, `sse ${status}`);
    },
  };
}

/** Resumes reading and collects what arrives until the header block (and a little of the body) is in, the end, or the timeout. */
function readHead(socket: NetSocket, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const done = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.pause();
      resolve(text);
    };
    const onData = (chunk: Buffer) => {
      if (text.length < 4_096) text += chunk.toString('latin1', 0, Math.min(chunk.length, 4_096));
      if (text.includes('\r\n\r\n') && (!/^HTTP\/1\.1 200/.test(text) || text.length >= 512)) done();
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on('data', onData);
    socket.once('close', done);
    socket.resume();
  });
}

interface StalledClient {
  finish(ctx: AttackContext): Promise<void>;
}

/** A Socket.IO client that sends subscribe-with-resume / unsubscribe pairs (within the burst) ending with a subscribe, then stops reading. */
async function stalledClient(rng: Rng, ctx: AttackContext, address: string, history: FloodHistory, holdMs: number): Promise<StalledClient | null> {
  let raw: RawSocket;
  try {
    raw = await RawSocket.connect({ url: ctx.url, headers: forwardedFor(address), connectTimeoutMs: ctx.ackTimeoutMs });
  } catch (error) {
    ctx.ledger.notes.add(`resume-flood handshake failed: ${(error as Error).message.slice(0, 60)}`);
    return null;
  }
  if (raw.connectResult?.ok !== true) {
    ctx.ledger.refusals.add(`resume-flood websocket: ${raw.connectResult?.ok === false ? raw.connectResult.message.slice(0, 60) : 'no reply'}`);
    await raw.leave('destroy');
    return null;
  }
  const acks: Promise<RawAck>[] = [];
  const symbols = history.symbols;
  // Long enough for the whole exchange: the client reads again after its pause.
  const wait = holdMs + ctx.ackTimeoutMs;
  for (let i = rng.int(0, 3); i >= 0; i--) {
    acks.push(raw.emitWithAck(Events.subscribe, [{ symbols, resume: Object.fromEntries(farBack(rng, history, symbols)) }], wait));
    if (i > 0) acks.push(raw.emitWithAck(Events.unsubscribe, [{ symbols }], wait));
  }
  raw.stopReading();
  return {
    async finish(c: AttackContext) {
      raw.resumeReading();
      const results = await Promise.all(acks);
      judgeFloodAcks(c.ledger, results, raw.open);
      c.ledger.rawOutcomes.add(`resume-flood websocket: ${raw.open ? `open, ${raw.tickFrames} tick frames read` : `closed ${raw.closed?.code ?? '?'}`}`);
      if (raw.open) await raw.leave(rng.pick(['destroy', 'reset', 'disconnect'] as const));
    },
  };
}

function judgeFloodAcks(ledger: Ledger, results: RawAck[], open: boolean): void {
  for (const result of results) {
    if (result.kind === 'ack') ledger.reply('resume-flood websocket', result.args[0]);
    else if (result.kind === 'closed') ledger.replies.add('(disconnected)');
    else if (open) ledger.violation('no-reply', 'resume-flood websocket: a request unanswered once the client read again, while connected', 'resume-flood');
  }
}

/**
 * What the memory budget reads from the server's /metrics: its resident memory when the server
 * has a process of its own; when it runs inside the fuzz's own process, the live JS heap plus
 * external memory, since that process's RSS also holds the fuzz's allocations and whatever the
 * runtime keeps after a collection (Node 24 keeps far more than Node 20), while data a client
 * leaves unread is live either way.
 */
export type MemoryMeasure = 'rss' | 'live';

/** The server's memory over a run, from /metrics (works against any target). */
export class RssMonitor {
  baseline = 0;
  peak = 0;
  samples = 0;
  private timer: NodeJS.Timeout | undefined;
  private reading = false;

  constructor(
    private readonly url: string,
    readonly measure: MemoryMeasure = 'rss',
  ) {}

  /** Takes the baseline (median of a few samples), then samples every `intervalMs`. */
  async start(intervalMs = 500): Promise<void> {
    const first: number[] = [];
    for (let i = 0; i < 5; i++) {
      first.push(await this.read());
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    first.sort((a, b) => a - b);
    this.baseline = first[2] ?? 0;
    this.peak = this.baseline;
    this.timer = setInterval(() => {
      if (this.reading) return;
      this.reading = true;
      void this.read()
        .then((rss) => {
          this.samples++;
          this.peak = Math.max(this.peak, rss);
        })
        .catch(() => undefined)
        .finally(() => (this.reading = false));
    }, intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async read(): Promise<number> {
    const metrics = MetricsSnapshot.parse((await getText(`${this.url}/metrics`)).text);
    if (this.measure === 'rss') return metrics.value('process_resident_memory_bytes');
    return metrics.value('nodejs_heap_size_used_bytes') + metrics.value('nodejs_external_memory_bytes');
  }
}
