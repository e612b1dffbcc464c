import type { DeclareRequest, FeedControl, FeedStatus, ControlReply } from '@tickfeed/protocol';

/**
 * Messages between feed-server instances, carried by the Redis adapter's
 * serverSideEmit. Each instance applies what another ingested, so every
 * instance's market state and local subscribers see the same feed.
 */
export interface InterServerEvents {
  /** Ticks another instance accepted, as their JSON texts, in acceptance order. */
  'cluster:ticks': (origin: string, tickJsons: string[]) => void;
  /** Symbols another instance declared, with the epochs it assigned. */
  'cluster:declare': (origin: string, request: DeclareRequest, epochs: Record<string, string>) => void;
  /** The feed status a publisher on another instance announced. */
  'cluster:status': (origin: string, status: FeedStatus) => void;
  /** A control command for whichever instance holds the controllable publisher. */
  'cluster:control': (origin: string, command: FeedControl, ack: (reply: ControlReply | null) => void) => void;
}
