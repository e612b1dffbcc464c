import type {
  AuthRefreshReply,
  BookPublishReply,
  BookPublishRequest,
  BookReset,
  BookSubscribeReply,
  BookSubscribeRequest,
  BookUnsubscribeReply,
  BookUpdate,
  AuthRefreshRequest,
  ControlReply,
  DeclareReply,
  DeclareRequest,
  FeedControl,
  FeedStatus,
  Notice,
  PublishReply,
  Quotes,
  PublishRequest,
  Reset,
  Shutdown,
  SubscribeReply,
  SubscribeRequest,
  Tick,
  UnsubscribeReply,
  UnsubscribeRequest,
  Welcome,
} from './schemas.js';

/** Namespace consumers connect to. */
export const CONSUMER_NAMESPACE = '/';
/** Namespace producers publish into; requires `auth: { token }`. */
export const INGEST_NAMESPACE = '/ingest';
/** Path of the Socket.IO endpoint (Socket.IO's default). */
export const SOCKET_PATH = '/socket.io/';

/** Every event name on the wire. Nobody spells one as a string literal elsewhere. */
export const Events = {
  /** consumer → server, with ack: join symbols' rooms, get snapshots, optionally resume. */
  subscribe: 'subscribe',
  /** consumer → server, with ack: leave symbols' rooms. */
  unsubscribe: 'unsubscribe',
  /**
   * consumer → server, with ack: a renewed access token (AUTH_MODE=jwt); its claims apply at once and
   * subscribed symbols it no longer covers are unsubscribed (a `notice` FORBIDDEN names them).
   */
  authRefresh: 'auth:refresh',
  /** server → consumer: an array of ticks, each symbol's in ascending seq. */
  ticks: 'ticks',
  /**
   * server → consumer: conflated quotes, an array of snapshots (latest state and
   * session stats) of the symbols subscribed with `throttleMs > 0` that changed,
   * each at most once per its throttleMs.
   */
  quotes: 'quotes',
  /** server → consumer: a symbol's history started over (usually a new epoch): drop what you hold and start from the snapshot. */
  reset: 'reset',
  /** server → consumer (and REST /api/feed): what the feed is and where a replay stands. */
  feedStatus: 'feed:status',
  /** server → consumer, on connect: protocol version, server id, limits, feed status. */
  welcome: 'welcome',
  /** server → consumer: something the client should know (e.g. SLOW_CONSUMER, ticks dropped). */
  notice: 'notice',
  /** server → consumer: the server is draining; reconnect and resume. */
  shutdown: 'server:shutdown',
  /** producer → server, with ack: declare symbols (metadata, reference price). */
  declare: 'declare',
  /** producer → server, with ack: publish a batch of ticks. */
  publish: 'publish',
  /** producer → server: announce the feed's status (mode, replay clock...). */
  status: 'status',
  /** server → producer, with ack: a transport command for a replay. */
  control: 'control',
  /** consumer → server, with ack: follow symbols' order books at a depth, optionally resuming. */
  bookSubscribe: 'book:subscribe',
  /** consumer → server, with ack: stop following symbols' books. */
  bookUnsubscribe: 'book:unsubscribe',
  /** server → consumer: an array of book updates, each symbol's in ascending seq. */
  book: 'book',
  /** server → SSE consumer (`GET /api/stream?book=1`): one per symbol before its `book` events, shaped like a `book:subscribe` ack entry. */
  bookSubscribed: 'book:subscribed',
  /** server → consumer: a symbol's book starts over from the snapshot it carries (new epoch, or updates dropped). */
  bookReset: 'book:reset',
  /** producer → server, with ack: book snapshots and incremental updates. */
  bookPublish: 'book:publish',
} as const;

export type Ack<T> = (reply: T) => void;

export interface ServerToClientEvents {
  ticks: (ticks: Tick[]) => void;
  quotes: (quotes: Quotes) => void;
  reset: (reset: Reset) => void;
  'feed:status': (status: FeedStatus) => void;
  welcome: (welcome: Welcome) => void;
  notice: (notice: Notice) => void;
  'server:shutdown': (shutdown: Shutdown) => void;
  book: (updates: BookUpdate[]) => void;
  'book:reset': (reset: BookReset) => void;
}

export interface ClientToServerEvents {
  subscribe: (request: SubscribeRequest, ack: Ack<SubscribeReply>) => void;
  unsubscribe: (request: UnsubscribeRequest, ack: Ack<UnsubscribeReply>) => void;
  'auth:refresh': (request: AuthRefreshRequest, ack: Ack<AuthRefreshReply>) => void;
  'book:subscribe': (request: BookSubscribeRequest, ack: Ack<BookSubscribeReply>) => void;
  'book:unsubscribe': (request: UnsubscribeRequest, ack: Ack<BookUnsubscribeReply>) => void;
}

export interface IngestClientToServerEvents {
  declare: (request: DeclareRequest, ack: Ack<DeclareReply>) => void;
  publish: (request: PublishRequest, ack: Ack<PublishReply>) => void;
  status: (status: FeedStatus) => void;
  'book:publish': (request: BookPublishRequest, ack: Ack<BookPublishReply>) => void;
}

export interface IngestServerToClientEvents {
  control: (command: FeedControl, ack: Ack<ControlReply>) => void;
  'server:shutdown': (shutdown: Shutdown) => void;
}
