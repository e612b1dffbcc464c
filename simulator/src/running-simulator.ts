import type { ControlReply, FeedControl, FeedStatus } from '@tickfeed/protocol';
import type { PublisherStats } from './publisher.js';

export interface SimulatorStats {
  publisher: PublisherStats;
  /** Replay: records read from the tapes and handed to the publisher (all passes). */
  records?: number;
  /** Replay: problems the pre-scan skipped, by kind. */
  problems?: Record<string, number>;
}

/** A started simulator (live or replay), publishing through its IngestPort. */
export interface RunningSimulator {
  readonly mode: 'live' | 'replay';
  /** The feed status as last announced. */
  status(): FeedStatus;
  /** Applies a transport command (the same path as the server's `control` event and the terminal keys). */
  control(command: FeedControl): Promise<ControlReply>;
  /**
   * Resolves when a replay without --loop has played to its end (it stays
   * connected and a seek plays again); rejects when the simulator fails.
   * Never resolves in live mode.
   */
  readonly ended: Promise<void>;
  stats(): SimulatorStats;
  /** Stops publishing, waits briefly for queued ticks to be acknowledged, closes the record file. Leaves the port open. */
  stop(): Promise<void>;
}
