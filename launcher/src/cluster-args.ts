import { parseArgs, type ParseArgsConfig } from 'node:util';

/** The command line of `npm run cluster` (see cluster.ts); pure, so it is unit tested. */

export const CLUSTER_USAGE = `usage: npm run cluster -- [options] [simulator options]

  --ports A,B        ports of the two instances (default 3001,3002; 0 picks free ones)
  --redis-url URL    use this Redis instead of starting redis-server (or set REDIS_URL)
  --data-dir DIR     where the started redis-server keeps its append-only file (default ./data/redis)
  --lb [PORT]        also start nginx in front of the instances (default port 3000; needs nginx)
  --no-simulator     no publisher (publish with any producer to /ingest with INGEST_TOKEN)
  --help             this text

Other options go to the simulator (e.g. --rate 200). INGEST_TOKEN, ADMIN_TOKEN
and LOG_LEVEL are taken from the environment; tokens are generated when unset.
`;

export interface ClusterOptions {
  ports: [number, number];
  redisUrl: string | undefined;
  /** Directory of the started redis-server's append-only file; undefined: ./data/redis under the repository. */
  dataDir: string | undefined;
  /** Port of the nginx load balancer, or undefined for none. */
  lbPort: number | undefined;
  simulator: boolean;
  simulatorArgs: string[];
  ingestToken: string;
  adminToken: string;
  /** Whether the tokens were generated (then they are printed once). */
  generatedTokens: boolean;
  logLevel: string;
  help: boolean;
}

export class ClusterArgsError extends Error {
  override readonly name = 'ClusterArgsError';
}

const FLAGS = {
  ports: { type: 'string' },
  'redis-url': { type: 'string' },
  'data-dir': { type: 'string' },
  lb: { type: 'boolean' },
  'no-simulator': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

/** Parses the launcher's flags and environment; unknown flags are the simulator's. */
export function parseClusterArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, newToken: () => string): ClusterOptions {
  const options: ClusterOptions = {
    ports: [3001, 3002],
    redisUrl: env.REDIS_URL !== undefined && env.REDIS_URL !== '' ? env.REDIS_URL : undefined,
    dataDir: undefined,
    lbPort: undefined,
    simulator: true,
    simulatorArgs: [],
    ingestToken: env.INGEST_TOKEN ?? '',
    adminToken: env.ADMIN_TOKEN ?? '',
    generatedTokens: false,
    logLevel: env.LOG_LEVEL ?? 'info',
    help: false,
  };
  const port = (value: string | undefined, flag: string): number => {
    const n = Number(value);
    if (value === undefined || !Number.isInteger(n) || n < 0 || n > 65_535) throw new ClusterArgsError(`${flag} needs a port from 0 to 65535, got '${value ?? ''}'`);
    return n;
  };
  // A lone `--` is dropped, not a terminator: flags after it are still read (npm passes it through at times).
  const args = argv.filter((arg) => arg !== '--');
  const { tokens } = parseArgs({ args, options: FLAGS, strict: false, allowPositionals: true, tokens: true });
  for (let t = 0; t < tokens.length; t++) {
    const token = tokens[t]!;
    // No terminator token can come: a lone `--` was dropped above.
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional') {
      options.simulatorArgs.push(token.value);
      continue;
    }
    switch (token.rawName) {
      case '--help':
      case '-h':
        options.help = true;
        break;
      case '--no-simulator':
        options.simulator = false;
        break;
      case '--ports': {
        const parts = (token.value ?? '').split(',');
        if (parts.length !== 2) throw new ClusterArgsError(`--ports needs two ports, e.g. 3001,3002`);
        options.ports = [port(parts[0], '--ports'), port(parts[1], '--ports')];
        break;
      }
      case '--redis-url':
        if (token.value === undefined || !/^rediss?:\/\//.test(token.value)) throw new ClusterArgsError(`--redis-url needs a redis:// URL`);
        options.redisUrl = token.value;
        break;
      case '--data-dir':
        if (token.value === undefined || token.value === '') throw new ClusterArgsError('--data-dir needs a directory');
        options.dataDir = token.value;
        break;
      case '--lb': {
        // The port is optional: a number right after --lb (or --lb=PORT) is it.
        const next = tokens[t + 1];
        if (token.value !== undefined) options.lbPort = port(token.value, '--lb');
        else if (next?.kind === 'positional' && /^\d+$/.test(next.value)) {
          options.lbPort = port(next.value, '--lb');
          t++;
        } else options.lbPort = 3000;
        break;
      }
      default:
        // Not ours: the simulator's, as written.
        options.simulatorArgs.push(args[token.index]!);
    }
  }
  if (options.ingestToken === '' || options.adminToken === '') {
    options.generatedTokens = true;
    if (options.ingestToken === '') options.ingestToken = newToken();
    if (options.adminToken === '') options.adminToken = newToken();
  }
  if (!options.simulator && options.simulatorArgs.length > 0) {
    throw new ClusterArgsError(`unknown argument ${options.simulatorArgs[0]} (simulator options need the simulator; drop --no-simulator)`);
  }
  return options;
}
