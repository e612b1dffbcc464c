import type { ControlHandler, FeedStatus, IngestPort } from '@tickfeed/protocol';
import type { FeedCore } from '../feed-core.js';
import { PublisherSession, type IngestService } from './ingest-service.js';
import type { FeedController } from './feed-controller.js';

/**
 * An in-process publisher connection: the embedded simulator publishes through
 * the same validation as /ingest, without a socket.
 */
export function createLocalIngest(core: FeedCore, ingest: IngestService, controller: FeedController): IngestPort {
  const session = new PublisherSession('in-process');
  let controlHandler: ControlHandler | undefined;
  let closed = false;
  return {
    async declare(request) {
      return ingest.declare(session, request);
    },
    async publish(request) {
      return ingest.publish(session, request);
    },
    status(status: FeedStatus) {
      if (closed) return;
      if (status.controllable && controlHandler !== undefined) {
        const handler = controlHandler;
        controller.register(session, async (command) => handler(command));
      } else {
        controller.unregister(session);
      }
      core.setStatus(status);
      core.replicator.status(status);
    },
    onControl(handler) {
      controlHandler = handler;
    },
    onReconnect() {
      // An in-process connection is never lost.
    },
    async close() {
      closed = true;
      controller.unregister(session);
    },
  };
}
