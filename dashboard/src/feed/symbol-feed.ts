import type { RestClient, SymbolEvent } from '@tickfeed/client';
import type { Tick } from '@tickfeed/protocol';

/**
 * What views (chart, tape, sparklines) see of the feed: per-symbol ticks,
 * already ordered and conflated to animation frames, and the events that
 * require a reload. Only the feed service touches the socket.
 */
export interface SymbolFeed {
  /** Ticks of `symbol`, delivered once per animation frame. */
  onTicks(symbol: string, listener: (ticks: Tick[]) => void): () => void;
  /** Snapshot events of `symbol` (subscribed, recovered, reloaded, reset). */
  onSymbolEvent(symbol: string, listener: (event: SymbolEvent) => void): () => void;
  /** The epoch the stream is in for `symbol`, when known. */
  epoch(symbol: string): string | undefined;
  /** Seq of the last tick the stream delivered for `symbol` (0 when unknown). */
  seq(symbol: string): number;
  readonly rest: RestClient;
}
