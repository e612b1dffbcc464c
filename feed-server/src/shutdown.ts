import type { FeedServer } from './app.js';

/** SIGINT/SIGTERM drain the server; a second signal or the timeout exits at once. */
export function installShutdown(server: FeedServer, timeoutMs: number, beforeClose: () => Promise<void> = async () => undefined): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    server.log.info({ signal }, 'draining');
    const timer = setTimeout(() => {
      server.log.error('drain timed out; exiting');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    void beforeClose()
      .then(() => server.close(`server received ${signal}`))
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        server.log.error({ err: error }, 'drain failed');
        process.exit(1);
      });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
