import { serveRpc, sendReady } from './ipc.js';

/**
 * What every server child (feed server, baseline) offers the bench: a forced
 * GC before memory is read (B7), and a clean stop on SIGTERM or when the
 * bench goes away.
 */
export type ServerChildApi = {
  /** Runs a full GC twice (with --expose-gc) and returns the heap figures. */
  gc(params: Record<string, never>): Promise<{ rssBytes: number; heapUsedBytes: number; gcAvailable: boolean }>;
};

export function serveServerChild(info: Record<string, unknown>, close: () => Promise<void>): void {
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    const timer = setTimeout(() => process.exit(1), 10_000);
    timer.unref();
    void close().finally(() => process.exit(0));
  };
  const api: ServerChildApi = {
    gc: async () => {
      const gc = (globalThis as { gc?: () => void }).gc;
      gc?.();
      gc?.();
      const m = process.memoryUsage();
      return { rssBytes: m.rss, heapUsedBytes: m.heapUsed, gcAvailable: gc !== undefined };
    },
  };
  serveRpc(api, stop);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  sendReady(info);
}
