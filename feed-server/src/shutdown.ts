import closeWithGrace from 'close-with-grace';
import type { FeedServer } from './app.js';

/**
 * SIGINT/SIGTERM drain the server (FeedServer.close) and exit 0; a second
 * signal during the drain, a failed drain or one longer than `timeoutMs`
 * (SHUTDOWN_TIMEOUT_MS) exits 1 at once. close-with-grace does the signal
 * handling; the other events it knows (SIGHUP, uncaught errors, beforeExit)
 * are left to Node's defaults, as before.
 */
export function installShutdown(server: FeedServer, timeoutMs: number, beforeClose: () => Promise<void> = async () => undefined): void {
  const log = server.log;
  closeWithGrace(
    {
      delay: timeoutMs,
      skip: SKIPPED,
      logger: { error: (error: unknown) => log.error({ err: error }, 'drain failed') },
      onTimeout: () => log.error('drain timed out; exiting'),
      onSecondSignal: (signal) => log.error({ signal }, 'second signal; exiting'),
    },
    async ({ signal }) => {
      log.info({ signal }, 'draining');
      await beforeClose();
      await server.close(`server received ${signal ?? 'a signal'}`);
    },
  );
}

const SKIPPED: NonNullable<closeWithGrace.Options['skip']> = [
  'SIGHUP',
  'SIGQUIT',
  'SIGILL',
  'SIGTRAP',
  'SIGABRT',
  'SIGBUS',
  'SIGFPE',
  'SIGSEGV',
  'SIGUSR2',
  'uncaughtException',
  'unhandledRejection',
  'beforeExit',
];
