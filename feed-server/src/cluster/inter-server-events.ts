import type { DeclareRequest, FeedControl, FeedStatus, ControlReply } from '@tickfeed/protocol';

/**
 * Messages between feed-server instances, carried by the Redis adapter's
 * serverSideEmit. Each instance applies what another ingested, so every
 * instance's market state and local subscribers see the same feed. Ticks
 * are announced only once they are in the shared store, so a receiver that
 * finds a gap can always fill it from there.
 */
export interface InterServerEvents {
  /** Ticks another instance accepted and stored, as their JSON texts, in acceptance order; `epochs` holds each symbol's epoch. */
  'cluster:ticks': (origin: string, epochs: Record<string, string>, tickJsons: string[]) => void;
  /** Book messages another instance accepted and stored, as their JSON texts, in acceptance order; `epochs` holds each symbol's book epoch. */
  'cluster:book': (origin: string, epochs: Record<string, string>, jsons: string[]) => void;
  /** Symbols another instance declared (already in the store), with the epoch of every declared symbol. */
  'cluster:declare': (origin: string, request: DeclareRequest, epochs: Record<string, string>) => void;
  /** The feed status a publisher on another instance announced. */
  'cluster:status': (origin: string, status: FeedStatus) => void;
  /** Symbols whose stored state changed without ticks to show for it (a whole book written after an outage): compare and sync. */
  'cluster:changed': (origin: string, heads: Record<string, { epoch: string; seq: number }>) => void;
  /** A control command for whichever instance holds the controllable publisher. */
  'cluster:control': (origin: string, command: FeedControl, ack: (reply: ControlReply | null) => void) => void;
}
