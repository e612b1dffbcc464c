import { startBaselineServer } from './baseline-server.js';
import { serveServerChild } from './server-child.js';

/** Child process entry of the naive baseline server. Env: BENCH_INGEST_TOKEN. */
const server = await startBaselineServer({
  host: '127.0.0.1',
  port: 0,
  ingestToken: process.env.BENCH_INGEST_TOKEN ?? 'bench-token',
});
serveServerChild({ url: server.url, port: server.port, pid: process.pid }, () => server.close());
