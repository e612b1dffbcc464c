import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_DATA_DIR, parseServerConfig, type ServerConfig } from '@tickfeed/feed-server';

/** The dashboard build inside this repository, served at / unless DASHBOARD_DIR says otherwise. */
export const BUNDLED_DASHBOARD_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../dashboard/dist');

export interface EmbeddedConfig {
  server: ServerConfig;
  /** Whether to run the simulator in this process (false with --no-simulator). */
  simulator: boolean;
  /** The arguments left for the simulator (e.g. --replay FILE --speed 60). */
  simulatorArgs: string[];
}

/**
 * Splits `npm start -- …` arguments between the server (its settings, e.g.
 * --port) and the embedded simulator (everything else), and fills in the
 * embedded defaults: the bundled dashboard, and the tick store in ./data
 * (of the working directory; `npm start` runs from the repository root).
 */
export function parseEmbeddedConfig(env: Readonly<Record<string, string | undefined>>, argv: readonly string[]): EmbeddedConfig {
  const simulator = !argv.includes('--no-simulator');
  const { config, unknownArgs } = parseServerConfig({ env, argv: argv.filter((a) => a !== '--no-simulator'), defaultDataDir: DEFAULT_DATA_DIR });
  const dashboardDir = config.dashboardDir ?? (existsSync(BUNDLED_DASHBOARD_DIR) ? BUNDLED_DASHBOARD_DIR : undefined);
  return {
    server: Object.freeze({ ...config, dashboardDir }),
    simulator,
    simulatorArgs: unknownArgs,
  };
}
