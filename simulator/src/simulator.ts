import type { Writable } from 'node:stream';
import type { ControlReply, FeedControl, IngestPort } from '@tickfeed/protocol';
import { systemClock, type Clock } from './clock.js';
import { DEFAULT_UNIVERSE } from './default-universe.js';
import { LiveRunner } from './live-runner.js';
import { silentLogger, type Logger } from './logger.js';
import { writeOffline } from './offline.js';
import type { SimulatorOptions } from './options.js';
import { Publisher } from './publisher.js';
import { RecordWriter } from './record-writer.js';
import { replayDeclarations } from './replay-declarations.js';
import { ReplayRunner, type ReplayItem } from './replay-runner.js';
import { isL2Replay, openL2, scanL2 } from './book/l2-replay.js';
import type { SourcedRecord } from './tape-reader.js';
import { describeFiles, openTapes, scanTapes, type ReplaySourceOptions } from './replay-source.js';
import type { RunningSimulator } from './running-simulator.js';
import type { TapeProblem } from './tape-format.js';
import { attachTerminalKeys, type KeyInput } from './terminal-keys.js';
import { parseUniverse } from './universe.js';
import { loadUniverse } from './universe-loader.js';

export interface SimulatorDeps {
  /** Default: the system clock. */
  clock?: Clock;
  /** Default: silent. The launcher passes its pino logger. */
  logger?: Logger;
  /**
   * Where the replay's transport keys are read (space, +, -, r, q). Default:
   * process.stdin when it is a TTY; null: no keys. 'q' and Ctrl-C call `interrupt`.
   */
  terminal?: KeyInput | null;
  /** What q / Ctrl-C do in raw mode. Default: send SIGINT to this process. */
  interrupt?: () => void;
  /** Most ticks per publish (default 1000). */
  maxBatch?: number;
}

/** How long stop() waits for queued ticks to be acknowledged, ms. */
const STOP_DRAIN_MS = 3_000;
/** Problems printed one by one before only every 1000th is. */
const PROBLEMS_SHOWN = 20;

/**
 * Starts a live simulation or a replay publishing through `port`: the
 * Socket.IO /ingest client in the standalone CLI, or the feed server's
 * localIngest() in the embedded default. Resolves once the symbols are
 * declared and publishing has begun; rejects (before publishing anything)
 * on a bad universe, a missing replay file, or with --strict a bad row.
 * `options.url` and `options.token` are the caller's business (the CLI
 * uses them to build the port); offline mode is runOffline().
 */
export async function startSimulator(options: SimulatorOptions, port: IngestPort, deps: SimulatorDeps = {}): Promise<RunningSimulator> {
  if (options.mode === 'offline') throw new Error('--out runs without a server: use runOffline()');
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger ?? silentLogger;
  const maxBatch = deps.maxBatch ?? 1_000;

  let prepare: () => Promise<RunningSimulator & { start(): Promise<void> }>;
  let firstTs = 0;
  let problems: Record<string, number> | undefined;
  if (options.mode === 'live') {
    const universe = await loadUniverse(options);
    prepare = async () =>
      new LiveRunner(universe, { seed: options.seed, batchMs: options.batchMs, maxBatch, bookDepth: options.bookDepth, alwaysOpen: options.alwaysOpen }, publisher, port, clock, logger);
  } else {
    const replay = options.replay!;
    const source: ReplaySourceOptions = { files: replay.files, symbol: replay.symbol, strict: replay.strict };
    let shown = 0;
    const onProblem = (problem: TapeProblem) => {
      shown++;
      if (shown <= PROBLEMS_SHOWN || shown % 1_000 === 0) logger.warn({ kind: problem.kind, skipped: shown }, `skipped: ${problem.message}`);
    };
    const l2 = isL2Replay(source.files);
    const index = l2 ? await scanL2(source, onProblem) : await scanTapes(source, onProblem);
    problems = { ...index.problems };
    const skipped = Object.values(index.problems).reduce((a, b) => a + b, 0);
    logger.info(
      {
        files: index.files.length,
        symbols: [...index.symbols.keys()],
        records: index.records,
        from: new Date(index.firstTs).toISOString(),
        to: new Date(index.lastTs).toISOString(),
        ...(skipped > 0 ? { skipped: index.problems } : {}),
      },
      'replay: tapes scanned',
    );
    firstTs = options.replay!.fromMs ?? index.firstTs;
    const declarations = replayDeclarations(index, parseUniverse(DEFAULT_UNIVERSE)).map((d) => (l2 ? { ...d, book: true } : d));
    prepare = async () =>
      new ReplayRunner(
        { speed: replay.speed, loop: replay.loop, fromMs: replay.fromMs, batchMs: options.batchMs, maxBatch },
        {
          firstTs: index.firstTs,
          lastTs: index.lastTs,
          description: describeFiles(index.files),
          open: (fromTs) => (l2 ? openL2(source, fromTs) : asItems(openTapes(index, source, fromTs))),
        },
        declarations,
        publisher,
        port,
        clock,
        logger,
      );
  }

  const recorder = options.record === null ? null : new RecordWriter(options.record);
  await recorder?.ready();
  const publisher = new Publisher(port, {
    maxBatch,
    logger,
    clock,
    ...(recorder === null ? {} : { onAccepted: (ticks) => recorder.write(ticks) }),
  });
  const runner = await prepare();
  port.onControl((command) => runner.control(command));
  try {
    await runner.start();
  } catch (error) {
    await runner.stop();
    await publisher.close();
    await recorder?.close();
    throw error;
  }

  let detachKeys = () => {};
  const terminal = deps.terminal === undefined ? (process.stdin.isTTY ? process.stdin : null) : deps.terminal;
  if (options.mode === 'replay' && terminal !== null) {
    const interrupt = deps.interrupt ?? (() => process.kill(process.pid, 'SIGINT'));
    detachKeys = attachTerminalKeys(terminal, { status: () => runner.status(), control: (c) => runner.control(c), firstTs }, logger, interrupt);
    if (terminal.isTTY === true) logger.info({}, 'keys: space pause/resume, + faster, - slower, r restart, q quit');
  }

  let stopping: Promise<void> | null = null;
  return {
    mode: runner.mode,
    ended: runner.ended,
    status: () => runner.status(),
    control: (command: FeedControl): Promise<ControlReply> => runner.control(command),
    stats: () => ({ ...runner.stats(), ...(problems === undefined ? {} : { problems }) }),
    stop: () => {
      stopping ??= (async () => {
        detachKeys();
        // The runner may be waiting on the publisher (backpressure, a server that is away): give queued
        // ticks a moment to be acknowledged, then close the publisher, which releases every wait.
        const runnerStopped = runner.stop();
        let timer: unknown = null;
        await Promise.race([
          Promise.all([runnerStopped, publisher.drain()]),
          new Promise<void>((resolve) => (timer = clock.setTimeout(resolve, STOP_DRAIN_MS))),
        ]);
        if (timer !== null) clock.clearTimeout(timer);
        await publisher.close();
        await runnerStopped;
        await recorder?.close();
      })();
      return stopping;
    },
  };
}

async function* asItems(records: AsyncIterable<SourcedRecord>): AsyncGenerator<ReplayItem> {
  for await (const r of records) {
    yield { ts: r.ts, events: [{ kind: 'trade', trade: { symbol: r.symbol, ts: r.ts, price: r.price, size: r.size, bid: r.bid, ask: r.ask } }] };
  }
}

/** Offline mode (--out): writes the simulation's ticks as NDJSON to `out`; resolves with the tick count. */
export async function runOffline(options: SimulatorOptions, out: Writable): Promise<number> {
  const universe = await loadUniverse(options);
  return writeOffline(universe, { seed: options.seed, startMs: options.startMs, durationMs: options.durationMs }, out);
}
