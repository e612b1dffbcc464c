import type {
  BookPublishReply,
  BookPublishRequest,
  ControlReply,
  DeclareReply,
  DeclareRequest,
  FeedControl,
  FeedStatus,
  PublishReply,
  PublishRequest,
} from './schemas.js';

/**
 * What a producer sees of a feed server's ingest. The Socket.IO `/ingest`
 * namespace and the in-process connection of the embedded default both
 * implement it, so the simulator publishes the same way in either.
 */
export interface IngestPort {
  declare(request: DeclareRequest): Promise<DeclareReply>;
  publish(request: PublishRequest): Promise<PublishReply>;
  /** Publishes order-book snapshots and updates (`book:publish`); absent where the server offers no books. */
  publishBook?(request: BookPublishRequest): Promise<BookPublishReply>;
  /** Announces the feed's status; the server relays it to consumers as `feed:status`. */
  status(status: FeedStatus): void;
  /** Installs the handler of transport commands (pause, resume, speed, seek) sent through the server. */
  onControl(handler: ControlHandler): void;
  /** Called after a connection loss and re-establishment: the producer should re-declare and continue. */
  onReconnect(handler: () => void): void;
  close(): Promise<void>;
}

export type ControlHandler = (command: FeedControl) => ControlReply | Promise<ControlReply>;
