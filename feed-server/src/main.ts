import { ConfigError, DEFAULT_DATA_DIR, parseServerConfig } from './config.js';
import { createFeedServer, type FeedServer } from './app.js';
import { redisCluster } from './cluster/redis-cluster.js';
import { redisUserUsage } from './cluster/shared-user-usage.js';
import { installShutdown } from './shutdown.js';
import { StoreError } from './store/durable-store.js';

/** Entry point of a standalone feed server: environment and flags in, a listening server out. */
async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseServerConfig({ env: process.env, argv: process.argv.slice(2), defaultDataDir: DEFAULT_DATA_DIR });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`feed-server: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const { config, unknownArgs } = parsed;
  if (unknownArgs.length > 0) {
    process.stderr.write(`feed-server: unknown argument ${unknownArgs[0]} (settings: see README, e.g. --port 3000)\n`);
    process.exit(2);
  }
  let server: FeedServer;
  try {
    server = await createFeedServer(config, config.redisUrl !== undefined ? { cluster: redisCluster, userUsage: redisUserUsage } : {});
  } catch (error) {
    if (error instanceof StoreError) {
      process.stderr.write(`feed-server: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  installShutdown(server, config.shutdownTimeoutMs);
  const { url } = await server.listen();
  server.log.info({ url, redis: config.redisUrl !== undefined }, 'feed server listening');
}

const isEntry = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isEntry) {
  main().catch((error: unknown) => {
    process.stderr.write(`feed-server: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exit(1);
  });
}
