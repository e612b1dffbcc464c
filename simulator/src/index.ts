/**
 * @tickfeed/simulator: a seeded price model with fat tails and volatility
 * clustering, and a replayer of recorded trade tapes, publishing into a feed
 * server through an IngestPort (Socket.IO /ingest, or the server's in-process
 * localIngest() in the embedded default).
 *
 * Embedding (the launcher):
 *   const { options, rest } = extractSimulatorArgs(argv, env);
 *   const sim = await startSimulator(options, server.localIngest(), { logger });
 *   ...
 *   await sim.stop();
 */
export { startSimulator, runOffline, type SimulatorDeps } from './simulator.js';
export type { RunningSimulator, SimulatorStats } from './running-simulator.js';
export {
  parseSimulatorArgs,
  extractSimulatorArgs,
  parseDuration,
  OptionsError,
  USAGE,
  DEFAULT_SEED,
  DEFAULT_BOOK_DEPTH,
  type SimulatorOptions,
  type ReplayOptions,
  type SimulatorMode,
} from './options.js';
export { connectIngest, SocketIngestPort, type SocketIngestOptions } from './socket-ingest-port.js';
export { Publisher, ConnectionLostError, type PublisherOptions, type PublisherStats } from './publisher.js';
export { MarketModel, type MarketModelOptions } from './market-model.js';
export type { ModelTrade } from './symbol-model.js';
export { DEFAULT_UNIVERSE } from './default-universe.js';
export {
  parseUniverse,
  declarationOf,
  DEFAULT_MODEL_PARAMS,
  DEFAULT_FACTORS,
  type Universe,
  type UniverseFile,
  type SymbolSpec,
  type FactorSpec,
  type ModelParams,
} from './universe.js';
export { loadUniverse } from './universe-loader.js';
export { Distributions } from './distributions.js';
export { systemClock, type Clock, type TimerHandle } from './clock.js';
export { createStderrLogger, silentLogger, type Logger, type LogLevel } from './logger.js';
export { TapeProblem, parseTimestamp, type TapeRecord } from './tape-format.js';
export type { Level, BookLevels, BookUpdate, BookSide } from './book/levels.js';
export { applyUpdate, diffBooks, checkBook } from './book/levels.js';
export type { BookSource, FeedEvent } from './book/book-source.js';
export { readL2, l2Events, findL2Files, isL2MessagesFile, type L2Row, type L2ReadOptions, type L2Files } from './book/l2-reader.js';
