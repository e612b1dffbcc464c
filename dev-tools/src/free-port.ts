import { createServer } from 'node:net';

/**
 * A port that was free on `host` a moment ago: the kernel picks one for a
 * probe server that closes at once. For processes that must be told their port
 * up front (redis-server, nginx); a process of ours listens on port 0 instead.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
