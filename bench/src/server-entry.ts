import { createFeedServer, loadServerConfig, redisCluster } from '@tickfeed/feed-server';
import { serveServerChild } from './server-child.js';

/**
 * Child process entry of the feed server under test: the real server from
 * @tickfeed/feed-server, configured from the environment the bench sets
 * (PORT=0, INGEST_TOKEN, LOG_LEVEL, REDIS_URL for scale-out) and flags,
 * wired as the server's own main does.
 */
const config = loadServerConfig({ env: process.env, argv: process.argv.slice(2) });
const server = await createFeedServer(config, config.redisUrl !== undefined ? { cluster: redisCluster } : {});
const { url, port } = await server.listen();
serveServerChild({ url, port, pid: process.pid, redis: config.redisUrl !== undefined }, () => server.close());
