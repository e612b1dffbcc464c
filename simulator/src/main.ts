#!/usr/bin/env node
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { DEFAULT_UNIVERSE } from './default-universe.js';
import { createStderrLogger } from './logger.js';
import { OptionsError, parseSimulatorArgs, USAGE, type SimulatorOptions } from './options.js';
import { runOffline, startSimulator } from './simulator.js';
import { connectIngest } from './socket-ingest-port.js';
import { readUniverseFile } from './universe-loader.js';

/** `npm run simulate -- ...`: the standalone simulator. Data goes to stdout (--out -), messages to stderr. */
async function main(): Promise<number> {
  let options: SimulatorOptions;
  try {
    options = parseSimulatorArgs(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof OptionsError)) throw error;
    process.stderr.write(`simulate: ${error.message}\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (options.printUniverse) {
    const universe = options.universeFile === null ? DEFAULT_UNIVERSE : await readUniverseFile(options.universeFile);
    process.stdout.write(`${JSON.stringify(universe, null, 2)}\n`);
    return 0;
  }
  const logger = createStderrLogger('info');

  if (options.mode === 'offline') {
    const toStdout = options.out === '-';
    const out = toStdout ? process.stdout : createWriteStream(options.out!);
    const started = performance.now();
    const count = await runOffline(options, out);
    if (!toStdout) {
      out.end();
      await finished(out);
    }
    const seconds = (performance.now() - started) / 1000;
    logger.info({ ticks: count, seconds: Number(seconds.toFixed(2)) }, `wrote ${count} ticks${toStdout ? '' : ` to ${options.out}`}`);
    return 0;
  }

  if (options.token === null) {
    process.stderr.write('simulate: --token (or INGEST_TOKEN) is required to publish into a feed server\n');
    return 2;
  }
  const url = options.url ?? 'http://127.0.0.1:3000';
  const port = await connectIngest({ url, token: options.token, logger });
  logger.info({ url }, 'connected to the feed server');
  const sim = await startSimulator(options, port, { logger });

  const stopAll = async () => {
    await sim.stop();
    await port.close();
  };
  return new Promise<number>((resolve) => {
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (signalled) process.exit(130);
      signalled = true;
      logger.info({ signal }, 'stopping');
      void stopAll().then(() => resolve(0));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    sim.ended.then(
      async () => {
        logger.info(sim.stats(), 'replay finished');
        await stopAll();
        resolve(0);
      },
      async (error: unknown) => {
        logger.error({ error: error instanceof Error ? error.message : String(error) }, 'simulator failed');
        await stopAll();
        resolve(1);
      },
    );
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`simulate: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
