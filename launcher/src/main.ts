import { ConfigError, StoreError, createFeedServer, installShutdown, redisCluster, redisUserUsage } from '@tickfeed/feed-server';
import { parseSimulatorArgs, startSimulator } from '@tickfeed/simulator';
import { parseEmbeddedConfig } from './embedded-config.js';

/**
 * `npm start`: one feed server with the simulator publishing in-process
 * through the same ingest rules as /ingest, and the dashboard at /.
 */
async function main(): Promise<void> {
  let embedded;
  let simulatorOptions;
  try {
    embedded = parseEmbeddedConfig(process.env, process.argv.slice(2));
    if (!embedded.simulator && embedded.simulatorArgs.length > 0) {
      throw new ConfigError(`unknown argument ${embedded.simulatorArgs[0]} (simulator options need the simulator; drop --no-simulator)`);
    }
    simulatorOptions = embedded.simulator ? parseSimulatorArgs(embedded.simulatorArgs) : undefined;
  } catch (error) {
    process.stderr.write(`tickfeed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  }
  const { server: config } = embedded;
  let server;
  try {
    server = await createFeedServer(config, config.redisUrl !== undefined ? { cluster: redisCluster, userUsage: redisUserUsage } : {});
  } catch (error) {
    if (!(error instanceof StoreError)) throw error;
    process.stderr.write(`tickfeed: ${error.message}\n`);
    process.exit(1);
  }
  const simulator = simulatorOptions !== undefined ? await startSimulator(simulatorOptions, server.localIngest(), { logger: server.log.child({ part: 'simulator' }) }) : undefined;
  installShutdown(server, config.shutdownTimeoutMs, async () => {
    await simulator?.stop();
  });
  const { url } = await server.listen();
  const shown = url.replace('127.0.0.1', 'localhost');
  server.log.info({ url: shown, simulator: simulator !== undefined, dashboard: config.dashboardDir !== undefined }, `tickfeed ready: open ${shown}`);
  if (config.dashboardDir === undefined) server.log.warn('dashboard build not found: run `npm run build` (npm start does it) or set DASHBOARD_DIR');
}

main().catch((error: unknown) => {
  process.stderr.write(`tickfeed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
