import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, DEFAULT_DATA_DIR, parseServerConfig, type ServerConfig } from '@tickfeed/feed-server';

/** The dashboard build inside this repository, served at / unless DASHBOARD_DIR says otherwise. */
export const BUNDLED_DASHBOARD_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../dashboard/dist');

export interface EmbeddedConfig {
  server: ServerConfig;
  /** Whether to run the simulator in this process (false with --no-simulator). */
  simulator: boolean;
  /** The arguments left for the simulator (e.g. --replay FILE --speed 60), with --always-open for a live run unless --market-hours. */
  simulatorArgs: string[];
}

/**
 * The embedded demo's live simulation trades around the clock (--always-open),
 * so `npm start` shows every asset class moving at any hour and its end-to-end
 * tests do not depend on the time of day; `--market-hours` makes it follow the
 * markets' hours (SPEC S72) like the standalone simulator does by default.
 */
export function embeddedSimulatorArgs(args: readonly string[]): string[] {
  const live = !args.some((a) => a === '--replay' || a.startsWith('--replay=') || a === '--out' || a.startsWith('--out='));
  const marketHours = args.includes('--market-hours');
  if (marketHours && !live) throw new ConfigError('--market-hours only applies to a live simulation (replays keep their own clock)');
  if (marketHours && args.includes('--always-open')) throw new ConfigError('--market-hours contradicts --always-open');
  if (marketHours) return args.filter((a) => a !== '--market-hours');
  return live && !args.includes('--always-open') ? ['--always-open', ...args] : [...args];
}

/**
 * Splits `npm start -- …` arguments between the server (its settings, e.g.
 * --port) and the embedded simulator (everything else), and fills in the
 * embedded defaults: the bundled dashboard, the tick store in ./data
 * (of the working directory; `npm start` runs from the repository root),
 * and a live simulation open around the clock (embeddedSimulatorArgs).
 */
export function parseEmbeddedConfig(env: Readonly<Record<string, string | undefined>>, argv: readonly string[]): EmbeddedConfig {
  const simulator = !argv.includes('--no-simulator');
  const { config, unknownArgs } = parseServerConfig({ env, argv: argv.filter((a) => a !== '--no-simulator'), defaultDataDir: DEFAULT_DATA_DIR });
  const dashboardDir = config.dashboardDir ?? (existsSync(BUNDLED_DASHBOARD_DIR) ? BUNDLED_DASHBOARD_DIR : undefined);
  return {
    server: Object.freeze({ ...config, dashboardDir }),
    simulator,
    simulatorArgs: simulator ? embeddedSimulatorArgs(unknownArgs) : unknownArgs,
  };
}
