import { serveRpc, sendReady } from './ipc.js';
import { Publisher } from './publisher.js';

/** Child process entry of the publisher; driven by the bench over IPC. */
const publisher = new Publisher();
serveRpc(publisher.api(), () => {
  void publisher.close().finally(() => process.exit(0));
});
process.on('SIGTERM', () => {
  void publisher.close().finally(() => process.exit(0));
});
sendReady({ pid: process.pid });
