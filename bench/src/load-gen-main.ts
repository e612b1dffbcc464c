import { serveRpc, sendReady } from './ipc.js';
import { LoadGenerator } from './load-gen.js';

/** Child process entry of a load generator; driven by the bench over IPC. */
const generator = new LoadGenerator();
serveRpc(generator.api(), () => {
  void generator.close().finally(() => process.exit(0));
});
process.on('SIGTERM', () => {
  void generator.close().finally(() => process.exit(0));
});
sendReady({ pid: process.pid });
