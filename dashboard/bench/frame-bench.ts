import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Frame-time benchmark of the dashboard in headless Chromium: opens `url`
 * (a running feed server serving the dashboard, fed at whatever tick rate the
 * caller set up), waits until the page is live, then measures for `seconds`:
 * - frame times: deltas between requestAnimationFrame callbacks (p50/p95/p99/max);
 * - long tasks: PerformanceObserver('longtask') entries (> 50 ms by definition);
 * - main-thread busy %: CDP Performance.getMetrics TaskDuration over wall time;
 * - ticks the page applied (from window.__tickfeed) to confirm the feed flowed.
 */
export interface FrameBenchOptions {
  /** Dashboard URL, e.g. http://127.0.0.1:3000/?symbols=A,B,C&symbol=A&interval=1s */
  readonly url: string;
  /** Measurement length in seconds. Default 30. */
  readonly seconds?: number;
  /** Default { width: 1280, height: 800 }. */
  readonly viewport?: { width: number; height: number };
  /** Default /usr/bin/chromium (Debian's); never a downloaded browser. */
  readonly chromiumPath?: string;
  /** Reuse a browser instead of launching one (it is left open). */
  readonly browser?: Browser;
  /** Waiting for the page to be connected with a live chart, ms. Default 20,000. */
  readonly readyTimeoutMs?: number;
}

export interface FrameBenchResult {
  readonly url: string;
  readonly durationMs: number;
  readonly frames: number;
  readonly fps: number;
  readonly frameMs: { readonly p50: number; readonly p95: number; readonly p99: number; readonly max: number };
  readonly longTasks: { readonly count: number; readonly totalMs: number; readonly maxMs: number };
  readonly mainThreadBusyPct: number;
  /** Ticks the page applied during the measurement. */
  readonly ticksApplied: number;
  /** Animation frames in which the page flushed ticks (conflation: at most one per frame). */
  readonly tickFrames: number;
  /** From the start of the navigation to the first live tick the page applied, ms. */
  readonly firstTickMs: number;
}

/** Flags for Debian's chromium in CI and containers (the dashboard's tests use these too); never a downloaded browser. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export const BENCH_CHROMIUM_ARGS = [
  ...CHROMIUM_ARGS,
  // Keep rAF and timers at full rate although nobody looks at the window.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

/** The page as the bench sees it: its probe and the part of the dashboard's debug hook it reads. */
interface BenchWindow {
  __frameBench?: { frames: number[]; longTasks: number[]; recording: boolean };
  /** See dashboard/src/main.tsx. */
  __tickfeed?: {
    service(): { state: { kind: string }; counters: { ticks: number; frames: number } };
    chart(): { live: boolean } | null;
  };
}

/** Installed before the page's scripts: records rAF deltas and long tasks while `recording`. */
function installProbe(): void {
  const probe = { frames: [] as number[], longTasks: [] as number[], recording: false };
  (window as unknown as BenchWindow).__frameBench = probe;
  let last = 0;
  const loop = (now: number) => {
    if (probe.recording && last !== 0) probe.frames.push(now - last);
    last = now;
    requestAnimationFrame(loop);
  };
  requestAnimationFrame(loop);
  try {
    new PerformanceObserver((list) => {
      if (!probe.recording) return;
      for (const entry of list.getEntries()) probe.longTasks.push(entry.duration);
    }).observe({ type: 'longtask', buffered: false });
  } catch {
    // longtask not supported: reported as zero.
  }
}

export async function measureFrames(options: FrameBenchOptions): Promise<FrameBenchResult> {
  const seconds = options.seconds ?? 30;
  const browser =
    options.browser ??
    (await chromium.launch({ executablePath: options.chromiumPath ?? '/usr/bin/chromium', args: BENCH_CHROMIUM_ARGS, headless: true }));
  const page = await browser.newPage({ viewport: options.viewport ?? { width: 1280, height: 800 } });
  try {
    await page.addInitScript(installProbe);
    const navigationStart = Date.now();
    await page.goto(options.url);
    await page.waitForFunction(() => ((window as unknown as BenchWindow).__tickfeed?.service().counters.ticks ?? 0) > 0, null, {
      timeout: options.readyTimeoutMs ?? 20_000,
      polling: 'raf',
    });
    const firstTickMs = Date.now() - navigationStart;
    await waitReady(page, options.readyTimeoutMs ?? 20_000);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const before = await taskSeconds(cdp);
    const countersBefore = await pageCounters(page);
    const started = Date.now();
    await page.evaluate(() => {
      (window as unknown as BenchWindow).__frameBench!.recording = true;
    });
    await page.waitForTimeout(seconds * 1000);
    const probe = await page.evaluate(() => {
      const p = (window as unknown as BenchWindow).__frameBench!;
      p.recording = false;
      return { frames: p.frames, longTasks: p.longTasks };
    });
    const durationMs = Date.now() - started;
    const after = await taskSeconds(cdp);
    const countersAfter = await pageCounters(page);
    await cdp.detach();
    const sorted = [...probe.frames].sort((a, b) => a - b);
    const pct = (p: number) => round2(sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!);
    return {
      url: options.url,
      durationMs,
      frames: sorted.length,
      fps: round2((sorted.length / durationMs) * 1000),
      frameMs: { p50: pct(50), p95: pct(95), p99: pct(99), max: round2(sorted[sorted.length - 1] ?? 0) },
      longTasks: {
        count: probe.longTasks.length,
        totalMs: round2(probe.longTasks.reduce((a, b) => a + b, 0)),
        maxMs: round2(Math.max(0, ...probe.longTasks)),
      },
      mainThreadBusyPct: round2(((after - before) * 1000 * 100) / durationMs),
      ticksApplied: countersAfter.ticks - countersBefore.ticks,
      tickFrames: countersAfter.frames - countersBefore.frames,
      firstTickMs,
    };
  } finally {
    await page.close();
    if (options.browser === undefined) await browser.close();
  }
}

async function waitReady(page: Page, timeoutMs: number): Promise<void> {
  await page.waitForFunction(
    () => {
      const hook = (window as unknown as BenchWindow).__tickfeed;
      if (hook === undefined) return false;
      const chart = hook.chart();
      return hook.service().state.kind === 'connected' && (chart === null || chart.live);
    },
    null,
    { timeout: timeoutMs },
  );
}

async function taskSeconds(cdp: { send(method: 'Performance.getMetrics'): Promise<{ metrics: { name: string; value: number }[] }> }): Promise<number> {
  const { metrics } = await cdp.send('Performance.getMetrics');
  return metrics.find((m) => m.name === 'TaskDuration')?.value ?? 0;
}

async function pageCounters(page: Page): Promise<{ ticks: number; frames: number }> {
  return page.evaluate(() => {
    const counters = (window as unknown as BenchWindow).__tickfeed?.service().counters;
    return { ticks: counters?.ticks ?? 0, frames: counters?.frames ?? 0 };
  });
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
