import type { BookPublishRequest, FeedStatus, IngestPort } from '@tickfeed/protocol';
import type { BookIngest } from '../book/book-ingest.js';
import { PublisherSession, type IngestService } from './ingest-service.js';

/** Every in-process port of a server is the same publisher: the server's own, so a re-attached simulator keeps its symbols. */
const LOCAL_OWNER = 'in-process';

/**
 * An in-process publisher connection: the embedded simulator publishes through
 * the same validation and ownership rules as /ingest, without a socket.
 */
export function createLocalIngest(ingest: IngestService, graceMs: number, books?: BookIngest): IngestPort {
  const session = new PublisherSession('in-process', LOCAL_OWNER, graceMs);
  ingest.open(session);
  return {
    ...(books === undefined ? {} : { publishBook: async (request: BookPublishRequest) => books.publish(session, request) }),
    async declare(request) {
      return ingest.declare(session, request);
    },
    async publish(request) {
      return ingest.publish(session, request);
    },
    status(status: FeedStatus) {
      ingest.status(session, status);
    },
    onControl(handler) {
      session.control = async (command) => handler(command);
    },
    onReconnect() {
      // An in-process connection is never lost.
    },
    async close() {
      ingest.close(session, true);
    },
  };
}
