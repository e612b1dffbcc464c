import { serveRpc, sendReady } from './ipc.js';
import { BookPublisher } from './book-publisher.js';

/** Child process entry of the book suite's publisher; driven by the bench over IPC. */
const publisher = new BookPublisher();
serveRpc(publisher.api(), () => {
  void publisher.close().finally(() => process.exit(0));
});
process.on('SIGTERM', () => {
  void publisher.close().finally(() => process.exit(0));
});
sendReady({ pid: process.pid });
