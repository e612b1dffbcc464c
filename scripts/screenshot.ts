/**
 * `npm run screenshot`: regenerates docs/screenshot.png (shown by README.md and
 * dashboard/README.md). Starts a feed server on a free loopback port with the
 * live simulator publishing (trades and order books, around the clock), opens
 * the dashboard in Chromium at 1366×768 with SMA 20 and Bollinger bands on BTC-USD 1s
 * candles, waits until the chart has SCREENSHOT_BARS bars (default 75, about
 * as many seconds) and the ladder is filled, and writes
 * test-artifacts/screenshot.png, then copies it to docs/screenshot.png.
 * Needs `npm run build` first (the script's npm command does it).
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { createFeedServer, testServerConfig } from '@tickfeed/feed-server';
import { parseSimulatorArgs, startSimulator } from '@tickfeed/simulator';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const artifact = resolve(root, 'test-artifacts/screenshot.png');
const target = resolve(root, 'docs/screenshot.png');
const bars = Number(process.env.SCREENSHOT_BARS ?? 75);

// dist-test is the page of dist plus the debug hook used here to wait for the bars.
const server = await createFeedServer(testServerConfig({ dashboardDir: resolve(root, 'dashboard/dist-test'), logLevel: 'silent' }));
const { url } = await server.listen();
const simulator = await startSimulator(parseSimulatorArgs(['--always-open']), server.localIngest());
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
try {
  const page = await (await browser.newContext({ viewport: { width: 1366, height: 768 }, colorScheme: 'dark' })).newPage();
  await page.goto(`${url}/?symbols=BTC-USD,ETH-USD,SOL-USD,XRP-USD,AAPL,MSFT,NVDA,AMZN,EUR-USD,GBP-USD,USD-JPY,AUD-USD&symbol=BTC-USD&interval=1s&ind=sma,bb&tz=utc`);
  process.stdout.write(`waiting for ${bars} one-second bars…\n`);
  await page.waitForFunction(
    (n) => {
      const chart = (window as unknown as { __tickfeed?: { chart(): { live: boolean; series: unknown[] } | null } }).__tickfeed?.chart();
      return chart != null && chart.live && chart.series.length >= n && document.querySelectorAll('[data-testid="ladder"] tr.lvl').length > 0;
    },
    bars,
    { timeout: (bars + 60) * 1_000, polling: 1_000 },
  );
  // The flashes of the last quotes settle.
  await page.waitForTimeout(500);
  mkdirSync(dirname(artifact), { recursive: true });
  await page.screenshot({ path: artifact });
  copyFileSync(artifact, target);
  process.stdout.write(`wrote ${artifact} and ${target}\n`);
} finally {
  await browser.close();
  await simulator.stop();
  await server.close('screenshot taken');
}
