import { timingSafeEqual } from 'node:crypto';
import {
  ErrorCode,
  Events,
  PUBLISHER_ID_PATTERN,
  errorReply,
  isValidPublisherId,
  type ControlReply,
  type FeedControl,
} from '@tickfeed/protocol';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config.js';
import type { FeedMetrics } from '../observability/metrics.js';
import type { IngestNamespace } from '../types.js';
import { clientIp } from '../consumer/consumer-namespace.js';
import { splitRequestArgs } from '../consumer/request-args.js';
import { PublisherSession, type IngestService } from './ingest-service.js';
import type { BookIngest } from '../book/book-ingest.js';

const CONTROL_TIMEOUT_MS = 5_000;

/** Wires the producer API onto /ingest: token and publisher id check, declare, publish, status, control. */
export function attachIngestNamespace(
  nsp: IngestNamespace,
  deps: {
    config: ServerConfig;
    ingest: IngestService;
    metrics: FeedMetrics;
    log: Logger;
    isDraining: () => boolean;
    /** `book:publish` (order books); absent: answered as an unknown event. */
    books?: BookIngest;
  },
): void {
  const { config, ingest, metrics, log } = deps;

  nsp.use((socket, next) => {
    if (deps.isDraining()) {
      next(new Error(`${ErrorCode.SHUTTING_DOWN}: this server is draining`));
      return;
    }
    if (config.ingestToken === undefined) {
      next(new Error(`${ErrorCode.UNAUTHORIZED}: ingest is disabled on this server (INGEST_TOKEN is not set)`));
      return;
    }
    const auth = socket.handshake.auth as Record<string, unknown>;
    const token: unknown = auth.token;
    if (typeof token !== 'string' || !tokensEqual(token, config.ingestToken)) {
      metrics.requestsRejected.inc({ event: 'ingest_auth', code: ErrorCode.UNAUTHORIZED });
      log.warn({ ip: socket.handshake.address }, 'publisher refused: bad token');
      next(new Error(`${ErrorCode.UNAUTHORIZED}: bad ingest token`));
      return;
    }
    if (auth.publisherId !== undefined && !isValidPublisherId(auth.publisherId)) {
      metrics.requestsRejected.inc({ event: 'ingest_auth', code: ErrorCode.BAD_REQUEST });
      next(new Error(`${ErrorCode.BAD_REQUEST}: auth.publisherId must match ${PUBLISHER_ID_PATTERN}`));
      return;
    }
    socket.data.ip = clientIp(socket, config.trustProxy);
    next();
  });

  nsp.on('connection', (socket) => {
    const publisherId = (socket.handshake.auth as { publisherId?: string }).publisherId;
    // With a publisherId, ownership survives reconnects for PUBLISHER_GRACE_MS; without one it ends with this connection.
    const session =
      publisherId === undefined
        ? new PublisherSession(`${socket.data.ip}/${socket.id}`, `connection:${socket.id}`, 0)
        : new PublisherSession(`${socket.data.ip}/${socket.id}/${publisherId}`, `publisher:${publisherId}`, config.publisherGraceMs);
    session.control = (command) => sendControl(command);
    ingest.open(session);
    log.info({ publisher: session.name }, 'publisher connected');

    socket.on(Events.declare, (...args: unknown[]) => {
      const { payload: raw, ack } = splitRequestArgs(args);
      if (ack === undefined) return dropped('declare');
      if (deps.isDraining()) return ack(drainingReply());
      void ingest.declare(session, raw).then((reply) => ack(reply));
    });
    socket.on(Events.publish, (...args: unknown[]) => {
      const { payload: raw, ack } = splitRequestArgs(args);
      if (ack === undefined) return dropped('publish');
      // Refused, not acked and lost: the publisher keeps the batch and sends it to the next instance.
      if (deps.isDraining()) return ack(drainingReply());
      void ingest.publish(session, raw).then((reply) => ack(reply));
    });
    socket.on(Events.status, (raw: unknown) => ingest.status(session, raw));
    const books = deps.books;
    if (books !== undefined) {
      socket.on(Events.bookPublish, (...args: unknown[]) => {
        const { payload: raw, ack } = splitRequestArgs(args);
        if (ack === undefined) return dropped(Events.bookPublish);
        if (deps.isDraining()) return ack(drainingReply());
        void books.publish(session, raw).then((reply) => ack(reply));
      });
    }
    socket.onAny((event: unknown, ...args: unknown[]) => {
      if (event === Events.declare || event === Events.publish || event === Events.status) return;
      if (event === Events.bookPublish && books !== undefined) return;
      metrics.requestsRejected.inc({ event: 'unknown', code: ErrorCode.BAD_REQUEST });
      splitRequestArgs(args).ack?.(errorReply(ErrorCode.BAD_REQUEST, 'unknown event'));
    });
    socket.on('disconnect', (reason) => {
      ingest.close(session, reason === 'client namespace disconnect');
      log.info({ publisher: session.name, reason }, 'publisher disconnected');
    });

    async function sendControl(command: FeedControl): Promise<ControlReply> {
      try {
        return await socket.timeout(CONTROL_TIMEOUT_MS).emitWithAck(Events.control, command);
      } catch {
        return errorReply(ErrorCode.NO_CONTROLLABLE_FEED, 'the publisher did not answer the control command');
      }
    }

    function dropped(event: string): void {
      metrics.requestsRejected.inc({ event, code: ErrorCode.BAD_REQUEST });
      log.warn({ publisher: session.name, event }, 'ingest request without an ack callback dropped');
    }
  });
}

function drainingReply() {
  return errorReply(ErrorCode.SHUTTING_DOWN, 'this server is draining: reconnect (to another instance) and publish there');
}

/** Constant-time comparison, so the token cannot be guessed byte by byte from timings. */
export function tokensEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  if (a.length !== b.length) {
    timingSafeEqual(b, b);
    return false;
  }
  return timingSafeEqual(a, b);
}
