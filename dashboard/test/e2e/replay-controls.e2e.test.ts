import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createFeedServer, testServerConfig, type FeedServer } from '@tickfeed/feed-server';
import type { FeedStatus } from '@tickfeed/protocol';
import { connectIngest, parseSimulatorArgs, startSimulator } from '@tickfeed/simulator';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_DIR, DIST_DIR, artifactPath, ensureDashboardBuilt, launchChromium } from '../support/stack.js';

/*
 * The replay controls against a real feed server replaying the AMZN tape from
 * the simulator over /ingest (controllable), driven through the page with
 * ADMIN_TOKEN as its `?token=`: pause, speed and a seek by dragging the
 * session timeline, each seen in the server's feed status.
 */

const require = createRequire(import.meta.url);
const AXE_SOURCE: string = (require('axe-core') as { source: string }).source;
const dataDir = path.resolve(DASHBOARD_DIR, '../../shared/data');
const AMZN = path.join(dataDir, 'AMZN-2012-06-21-trades.csv');

const cleanups: Array<() => Promise<void>> = [];
let server: FeedServer;
let url: string;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(AMZN)) throw new Error(`the real trade tape ${AMZN} is missing (../shared/data beside the repository); this test replays it`);
  ensureDashboardBuilt();
  server = await createFeedServer(testServerConfig({ dashboardDir: DIST_DIR, logLevel: 'silent' }));
  cleanups.push(() => server.close());
  ({ url } = await server.listen());
  const port = await connectIngest({ url, token: 'test-token', retryDelayMs: 50 });
  cleanups.push(() => port.close());
  const sim = await startSimulator(parseSimulatorArgs(['--replay', AMZN, '--speed', '10']), port, { terminal: null });
  cleanups.push(() => sim.stop());
  browser = await launchChromium();
  cleanups.push(() => browser.close());
}, 60_000);

afterAll(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => {});
});

async function feedStatus(): Promise<FeedStatus> {
  return (await (await fetch(`${url}/api/feed`)).json()) as FeedStatus;
}

async function until(check: (s: FeedStatus) => boolean, what: string): Promise<FeedStatus> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const s = await feedStatus();
    if (check(s)) return s;
    if (Date.now() > deadline) throw new Error(`feed status never showed ${what}: ${JSON.stringify(s)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function open(page: Page, token: string): Promise<void> {
  await page.goto(`${url}/?token=${token}&symbols=AMZN&symbol=AMZN&interval=1m&tz=utc`);
  await page.waitForSelector('[data-testid="replay"]', { timeout: 10_000 });
}

describe('replay controls in the dashboard', () => {
  it('[D100] [D101] pause, speed and a seek by dragging the session timeline reach the feed, which reports them', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await open(page, 'test-admin');
    await page.waitForSelector('[data-testid="replay-controls"]', { timeout: 10_000 });

    // Pause: the server's status says paused, and so does the badge.
    await page.click('[data-testid="replay-play"]');
    await until((s) => s.state === 'paused', 'paused');
    await page.waitForSelector('[data-testid="replay"]:has-text("PAUSED")', { timeout: 5_000 });
    expect(await page.getAttribute('[data-testid="replay-play"]', 'aria-label')).toBe('Play the replay');

    // Speed.
    await page.selectOption('[data-testid="replay-speed"]', '300');
    await until((s) => s.speed === 300, 'speed 300');
    await page.waitForSelector('[data-testid="replay"]:has-text("300×")', { timeout: 5_000 });

    // Seek by dragging the timeline's thumb to three quarters of the session (09:30–16:00 New York: 14:22:30).
    const before = (await feedStatus()).clock!;
    const box = (await page.locator('[data-testid="replay-timeline"]').boundingBox())!;
    const fraction = Number(await page.inputValue('[data-testid="replay-timeline"]')) / 1_000;
    const y = box.y + box.height / 2;
    await page.mouse.move(box.x + 8 + fraction * (box.width - 16), y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.5, y, { steps: 4 });
    await page.mouse.move(box.x + 8 + 0.75 * (box.width - 16), y, { steps: 4 });
    await page.mouse.up();
    const sessionOpen = Date.parse('2012-06-21T13:30:00Z');
    const sessionClose = Date.parse('2012-06-21T20:00:00Z');
    const target = sessionOpen + 0.75 * (sessionClose - sessionOpen);
    const seeked = await until((s) => s.clock !== null && Math.abs(s.clock - target) < 5 * 60_000, 'a clock near 14:22:30 New York');
    expect(Math.abs(seeked.clock! - before)).toBeGreaterThan(5 * 60_000);
    expect(seeked.state).toBe('paused');
    await page.screenshot({ path: artifactPath('replay-controls-seeked.png') });

    // Resume; a typed time seeks too.
    await page.click('[data-testid="replay-play"]');
    await until((s) => s.state === 'playing', 'playing');
    await page.fill('[data-testid="replay-seek-input"]', '15:00');
    await page.press('[data-testid="replay-seek-input"]', 'Enter');
    // 15:00 UTC is 11:00 New York; the page shows UTC (tz=utc).
    await until((s) => s.clock !== null && s.clock >= Date.parse('2012-06-21T15:00:00Z') && s.clock < Date.parse('2012-06-21T15:05:00Z'), 'a clock at 15:00 UTC');

    await page.evaluate(AXE_SOURCE);
    const violations = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
      const result = await axe.run(document, { resultTypes: ['violations'] });
      return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
    });
    expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
    await page.close();
  });

  it('[D102] a token the server refuses: said once, the controls go away, the feed is untouched', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await open(page, 'not-the-admin-token');
    await page.waitForSelector('[data-testid="replay-controls"]', { timeout: 10_000 });
    const state = (await feedStatus()).state;
    await page.click('[data-testid="replay-play"]');
    await page.waitForSelector('[data-testid="replay-message"]', { timeout: 5_000 });
    expect(await page.locator('[data-testid="replay-message"]').count()).toBe(1);
    expect(await page.textContent('[data-testid="replay-message"]')).toContain('did not accept');
    expect(await page.locator('[data-testid="replay-controls"]').count()).toBe(0);
    expect((await feedStatus()).state).toBe(state);
    await page.close();
  });

  it('[D100] without a token, no controls are offered', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await page.goto(`${url}/?symbols=AMZN&symbol=AMZN&interval=1m&tz=utc`);
    await page.waitForSelector('[data-testid="replay"]', { timeout: 10_000 });
    await page.waitForSelector('[data-connection="connected"]', { timeout: 10_000 });
    expect(await page.locator('[data-testid="replay-controls"]').count()).toBe(0);
    await page.close();
  });
});
