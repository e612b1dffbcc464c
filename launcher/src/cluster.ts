import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { feedServerUrl, spawnReady, startRedisServer, stopProcess } from '@tickfeed/dev-tools';
import { CLUSTER_USAGE, parseClusterArgs, type ClusterOptions } from './cluster-args.js';

/*
 * `npm run cluster`: the docker-compose topology as local processes, no
 * Docker: Debian's redis-server on a free port (unless REDIS_URL is given),
 * two feed-server instances sharing it, the simulator publishing into the
 * first one, and optionally nginx in front (--lb). Prints the URLs; Ctrl-C
 * stops everything. An instance that exits (kill its pid to try a restart)
 * is started again, and its clients resume on the other one meanwhile.
 *
 * A development tool, not part of the deployed service: it runs processes
 * with the shared dev tooling (@tickfeed/dev-tools), as the tests and the
 * bench do; production runs the same topology with docker-compose.
 */

/** nginx configuration for the local topology (the same rules as deploy/nginx.conf). */
export function nginxConfig(upstreams: readonly string[], listenPort: number, prefix: string): string {
  return `worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
daemon off;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  map $http_upgrade $connection_upgrade { default upgrade; '' ''; }
  upstream tickfeed {
    ip_hash;
${upstreams.map((u) => `    server ${u} max_fails=1 fail_timeout=5s;`).join('\n')}
    keepalive 16;
  }
  server {
    listen 127.0.0.1:${listenPort};
    proxy_http_version 1.1;
    proxy_set_header Host $host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_next_upstream error timeout http_502 http_503;
    location /socket.io/ {
      proxy_pass http://tickfeed;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_read_timeout 75s;
      proxy_buffering off;
    }
    location = /api/stream { proxy_pass http://tickfeed; proxy_set_header Connection ''; proxy_buffering off; proxy_read_timeout 1h; }
    location / { proxy_pass http://tickfeed; proxy_set_header Connection ''; }
  }
}
`;
}

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
const LEVEL_VALUES: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: 100 };

/** Level the children log at: at most info, since the launcher reads their "listening" line. */
export function childLogLevel(shown: string): string {
  return (LEVEL_VALUES[shown] ?? 30) < 30 ? shown : 'info';
}

/** Whether a child's line is shown at the level the user asked for (lines that are not pino JSON always are). */
export function shown(line: string, level: string): boolean {
  try {
    const entry = JSON.parse(line) as { level?: unknown };
    return typeof entry.level !== 'number' || entry.level >= (LEVEL_VALUES[level] ?? 30);
  } catch {
    return true;
  }
}
const HIDDEN_KEYS = new Set(['level', 'time', 'pid', 'hostname', 'serverId', 'msg']);

/** One line of a child's output, readable: pino JSON becomes `time level message {details}`. */
export function formatLine(name: string, line: string): string {
  let text = line;
  try {
    const entry = JSON.parse(line) as Record<string, unknown>;
    if (typeof entry.msg === 'string' && typeof entry.level === 'number') {
      const details = Object.fromEntries(Object.entries(entry).filter(([k]) => !HIDDEN_KEYS.has(k)));
      const time = typeof entry.time === 'number' ? new Date(entry.time).toISOString().slice(11, 19) : '';
      text = `${time} ${LEVELS[entry.level] ?? entry.level} ${entry.msg}${Object.keys(details).length > 0 ? ` ${JSON.stringify(details)}` : ''}`;
    }
  } catch {
    // not JSON: shown as is
  }
  return `[${name.padEnd(9)}] ${text}\n`;
}

interface Managed {
  name: string;
  child: ChildProcess | undefined;
  /** Restart when it exits while the cluster runs. */
  restart: boolean;
  /** Spawns the process (setting `child` at once, so a stop during startup reaches it) and waits until it is ready. */
  start(): Promise<void>;
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const out = (text: string) => process.stdout.write(text);

let logLevel = 'info';

/**
 * Spawns a process whose output is shown line by line (unless quiet); `ready`
 * resolves with what `isReady` found in a line, and rejects if it exits first.
 */
function launch(
  name: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  isReady: (line: string) => string | undefined,
  quiet = false,
): { child: ChildProcess; ready: Promise<string> } {
  return spawnReady({
    name,
    command,
    args,
    cwd: root,
    env,
    isReady: (line) => (line.trim() === '' ? undefined : isReady(line)),
    onLine: (line) => {
      if (!quiet && line.trim() !== '' && shown(line, logLevel)) out(formatLine(name, line));
    },
  });
}

/** Runs a command to completion; its exit code, or 'missing' when it is not installed. */
function exitCode(command: string, args: string[]): Promise<number | 'missing'> {
  return new Promise((resolveCode) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('error', () => resolveCode('missing'));
    child.once('exit', (code) => resolveCode(code ?? 1));
  });
}

async function stopChild(child: ChildProcess | undefined, graceMs: number): Promise<void> {
  if (child !== undefined) await stopProcess(child, { graceMs });
}

async function main(): Promise<void> {
  let options: ClusterOptions;
  try {
    options = parseClusterArgs(process.argv.slice(2), process.env, () => randomBytes(12).toString('base64url'));
  } catch (error) {
    process.stderr.write(`cluster: ${error instanceof Error ? error.message : String(error)}\n${CLUSTER_USAGE}`);
    process.exit(2);
  }
  if (options.help) {
    out(CLUSTER_USAGE);
    return;
  }
  logLevel = options.logLevel;
  const feedMain = join(root, 'feed-server/dist/main.js');
  const simulatorMain = join(root, 'simulator/dist/main.js');
  const dashboardDir = join(root, 'dashboard/dist');
  if (!existsSync(feedMain)) {
    process.stderr.write(`cluster: ${feedMain} is missing: run \`npm run build\` first (npm run cluster does it)\n`);
    process.exit(2);
  }
  const runSimulator = options.simulator && existsSync(simulatorMain);
  if (options.simulator && !runSimulator) {
    out(`cluster: the simulator is not built (${simulatorMain} is missing): running without a publisher.\n`);
    out(`         Publish into /ingest of any instance with INGEST_TOKEN, or build it: npx tsc -b simulator\n`);
  }

  const managed: Managed[] = [];
  let stopping = false;
  let tempDir: string | undefined;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    out('cluster: stopping...\n');
    // Publisher first (nothing new comes in), then the balancer, the instances (they drain), Redis last.
    for (const m of [...managed].reverse()) await stopChild(m.child, 15_000);
    if (tempDir !== undefined) rmSync(tempDir, { recursive: true, force: true });
    process.exit(code);
  };
  process.on('SIGINT', () => {
    if (stopping) {
      for (const m of managed) m.child?.kill('SIGKILL');
      process.exit(1);
    }
    void stopAll(0);
  });
  process.on('SIGTERM', () => void stopAll(0));

  const supervise = (m: Managed) => {
    m.child?.once('exit', (code, signal) => {
      if (stopping) return;
      out(`cluster: ${m.name} exited (${code ?? signal})${m.restart ? '; starting it again in 1 s' : ''}\n`);
      if (!m.restart) return;
      setTimeout(() => {
        if (stopping) return;
        m.start().then(
          () => supervise(m),
          (error: unknown) => out(`cluster: ${m.name} did not start again: ${error instanceof Error ? error.message : String(error)}\n`),
        );
      }, 1_000).unref();
    });
  };
  const add = async (m: Managed) => {
    managed.push(m);
    await m.start();
    supervise(m);
  };

  try {
    let redisUrl = options.redisUrl;
    if (redisUrl === undefined) {
      const redis: Managed = {
        name: 'redis',
        child: undefined,
        restart: false,
        async start() {
          // Quiet: its notices are noise here; a failure to start is reported below.
          // The shared history survives a Redis restart: an append-only file fsync'ed once a second (./data/redis).
          const server = await startRedisServer({ appendOnlyDir: options.dataDir ?? join(root, 'data', 'redis') }).catch((error: unknown) => {
            const message = error instanceof Error ? error.message : String(error);
            throw new Error(/not installed/.test(message) ? `${message}, or pass --redis-url` : message);
          });
          redis.child = server.child;
          redisUrl = server.url;
        },
      };
      await add(redis);
    }

    const urls: string[] = [];
    for (const [index, port] of options.ports.entries()) {
      const name = `feed-${index + 1}`;
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        SERVER_ID: name,
        REDIS_URL: redisUrl,
        INGEST_TOKEN: options.ingestToken,
        ADMIN_TOKEN: options.adminToken,
        LOG_LEVEL: childLogLevel(options.logLevel),
        ...(existsSync(join(dashboardDir, 'index.html')) ? { DASHBOARD_DIR: dashboardDir } : {}),
      };
      const instance: Managed = {
        name,
        child: undefined,
        restart: true,
        async start() {
          const { child, ready } = launch(name, process.execPath, [feedMain], env, feedServerUrl);
          instance.child = child;
          const url = await ready;
          if (urls[index] === undefined) urls[index] = url;
          else out(`cluster: ${name} is back at ${url}\n`);
        },
      };
      await add(instance);
    }

    let lbUrl: string | undefined;
    if (options.lbPort !== undefined) {
      tempDir = mkdtempSync(join(tmpdir(), 'tickfeed-lb-'));
      chmodSync(tempDir, 0o755);
      // nginx's workers may run as another user (when started as root): let them write their buffers.
      for (const dir of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(tempDir, dir), { mode: 0o777 });
      const upstreams = urls.map((u) => new URL(u).host);
      const config = join(tempDir, 'nginx.conf');
      writeFileSync(config, nginxConfig(upstreams, options.lbPort, tempDir));
      const dir = tempDir;
      const check = await exitCode('nginx', ['-q', '-t', '-p', dir, '-c', config]);
      if (check === 'missing') {
        out('cluster: nginx is not installed (apt-get install nginx): running without a load balancer\n');
      } else if (check !== 0) {
        out(`cluster: nginx rejected the generated configuration (${config}): running without a load balancer\n`);
      } else {
        const lb: Managed = {
          name: 'lb',
          child: undefined,
          restart: false,
          async start() {
            const child = spawn('nginx', ['-p', dir, '-c', config], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
            lb.child = child;
            await new Promise<void>((resolveSpawn, reject) => {
              child.once('spawn', () => resolveSpawn());
              child.once('error', reject);
            });
          },
        };
        await add(lb);
        lbUrl = `http://127.0.0.1:${options.lbPort}`;
      }
    }

    const target = lbUrl ?? urls[0]!;
    if (runSimulator) {
      const simulator: Managed = {
        name: 'simulator',
        child: undefined,
        // It reconnects by itself (through the balancer, or to the instance once it is back).
        restart: false,
        async start() {
          const args = [simulatorMain, '--url', target, '--token', options.ingestToken, ...options.simulatorArgs];
          const { child, ready } = launch('simulator', process.execPath, args, { ...process.env, LOG_LEVEL: childLogLevel(options.logLevel) }, () => undefined);
          // Nothing marks it ready; its exit is reported by the supervisor.
          ready.catch(() => undefined);
          simulator.child = child;
          await new Promise<void>((resolveSpawn, reject) => {
            child.once('spawn', () => resolveSpawn());
            child.once('error', reject);
          });
        },
      };
      await add(simulator);
    }

    const pids = (name: string) => managed.find((m) => m.name === name)?.child?.pid ?? '?';
    out('\ntickfeed cluster running (Ctrl-C stops everything):\n');
    urls.forEach((url, i) => out(`  feed-${i + 1}     ${url}   (dashboard, REST, Socket.IO; pid ${pids(`feed-${i + 1}`)})\n`));
    if (lbUrl !== undefined) out(`  lb         ${lbUrl}   (nginx, sticky, WebSocket-aware)\n`);
    out(`  redis      ${redisUrl}${options.redisUrl === undefined ? '   (started here, no persistence)' : ''}\n`);
    out(`  simulator  ${runSimulator ? `publishing into ${target}` : 'not running'}\n`);
    if (options.generatedTokens) out(`  tokens     INGEST_TOKEN=${options.ingestToken} ADMIN_TOKEN=${options.adminToken} (generated for this run)\n`);
    out(`Try: kill ${pids('feed-1')}  (feed-1 restarts; its clients resume on feed-2 meanwhile)\n\n`);
  } catch (error) {
    process.stderr.write(`cluster: ${error instanceof Error ? error.message : String(error)}\n`);
    await stopAll(1);
  }
}

const isEntry = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isEntry) void main();
