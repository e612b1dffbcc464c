import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFeedServer, testServerConfig, type FeedServer, type ServerConfig } from '@tickfeed/feed-server';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM_ARGS } from '../../bench/frame-bench.js';
import { MarketPublisher, TEST_UNIVERSE, type InstrumentSpec } from './market-publisher.js';

const here = dirname(fileURLToPath(import.meta.url));
export const DASHBOARD_DIR = resolve(here, '../..');
/** The test build (`vite build --mode test`): the page with its debug hook, window.__tickfeed. */
export const DIST_DIR = resolve(DASHBOARD_DIR, 'dist-test');
/** The production build (`vite build`), which the feed server and the image serve. */
export const PRODUCTION_DIST_DIR = resolve(DASHBOARD_DIR, 'dist');
export const ARTIFACTS_DIR = resolve(DASHBOARD_DIR, '../test-artifacts');

export { CHROMIUM_ARGS } from '../../bench/frame-bench.js';
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Builds the dashboard (the test build unless told) when it is missing (npm test builds both before).
 * Test files run in parallel workers: each builds into its own folder and
 * renames it into place, so a concurrent build never sees a half-written one.
 */
export function ensureDashboardBuilt(mode: 'test' | 'production' = 'test'): void {
  const dir = mode === 'test' ? DIST_DIR : PRODUCTION_DIST_DIR;
  if (existsSync(resolve(dir, 'index.html'))) return;
  const tmp = resolve(DASHBOARD_DIR, `dist-build-${mode}-${process.pid}`);
  execFileSync(
    process.execPath,
    [resolve(DASHBOARD_DIR, 'node_modules/vite/bin/vite.js'), 'build', '--mode', mode, '--logLevel', 'warn', '--outDir', tmp, '--emptyOutDir'],
    { cwd: DASHBOARD_DIR, stdio: 'inherit' },
  );
  try {
    if (existsSync(dir) && !existsSync(resolve(dir, 'index.html'))) rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } catch {
    // Another worker's build got there first.
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS], headless: true });
}

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  return resolve(ARTIFACTS_DIR, name);
}

/**
 * A real feed server serving the built dashboard, fed by an in-test publisher.
 * kill()/restart() stop it and bring a fresh one (new epochs) up on the same port.
 */
export class Stack {
  private constructor(
    public server: FeedServer,
    readonly url: string,
    readonly port: number,
    readonly publisher: MarketPublisher,
    private readonly config: Partial<ServerConfig>,
  ) {}

  running = true;

  static async start(
    options: {
      universe?: InstrumentSpec[];
      historyMinutes?: number;
      /** Spacing of the history's ticks per symbol (default 2,000 ms, up to twice that). */
      historyStepMs?: number;
      ticksPerSecond?: number;
      /** Tick times run this far from the wall clock (a replayed day). */
      clockOffsetMs?: number;
      config?: Partial<ServerConfig>;
    } = {},
  ): Promise<Stack> {
    const config = options.config ?? {};
    const server = await createFeedServer(testServerConfig({ dashboardDir: DIST_DIR, logLevel: 'silent', ...config }));
    const { url, port } = await server.listen();
    const publisher = new MarketPublisher(server.localIngest(), options.universe ?? TEST_UNIVERSE);
    publisher.clockOffsetMs = options.clockOffsetMs ?? 0;
    await publisher.declare();
    if ((options.historyMinutes ?? 0) > 0) await publisher.history(options.historyMinutes!, options.historyStepMs ?? 2_000);
    const stack = new Stack(server, url, port, publisher, config);
    if ((options.ticksPerSecond ?? 0) > 0) publisher.start(options.ticksPerSecond!);
    return stack;
  }

  async kill(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.publisher.stop();
    await this.server.close('test: server killed');
  }

  async restart(ticksPerSecond: number): Promise<void> {
    await this.kill();
    this.server = await createFeedServer(testServerConfig({ dashboardDir: DIST_DIR, logLevel: 'silent', ...this.config, port: this.port }));
    await this.server.listen();
    this.running = true;
    await this.publisher.reattach(this.server.localIngest());
    if (ticksPerSecond > 0) this.publisher.start(ticksPerSecond);
  }

  async metric(name: string): Promise<number> {
    const text = await (await fetch(`${this.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
  }

  async close(): Promise<void> {
    await this.kill();
  }
}
