import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { Candle, CandlesResponse } from '@tickfeed/protocol';
import { Stack, artifactPath, ensureDashboardBuilt, launchChromium } from '../support/stack.js';

/*
 * End to end: Debian's chromium driven by playwright-core against a real feed
 * server serving dashboard/dist-test (the test build), fed by an in-test publisher. Screenshots of
 * each step go to test-artifacts/ (ignored by git).
 */

const RATE = 60; // ticks per second over the whole universe
const WATCHLIST = ['AAPL', 'MSFT', 'BTC-USD'];

interface ChartView {
  symbol: string;
  interval: string;
  epoch: string;
  seq: number;
  live: boolean;
  loads: number;
  candles: Candle[];
  series: Candle[];
}

let stack: Stack;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  ensureDashboardBuilt();
  stack = await Stack.start({ historyMinutes: 10, ticksPerSecond: RATE });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (error) => pageErrors.push(error.message));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const shot = (name: string) => page.screenshot({ path: artifactPath(`e2e-${name}.png`) });
const chartView = () => page.evaluate(() => (window.__tickfeed?.chart() ?? null) as unknown as ChartView | null);

/** Resolves once `condition` holds on the server side, re-checking as the page and server move on. */
async function serverCondition(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    // Yield to the page and the server between checks; the condition is what we wait for.
    await page.waitForTimeout(50);
  }
}

/**
 * Stops the publisher, waits until the chart has applied the last published
 * tick, and compares what the chart draws with GET …/candles for the same interval.
 */
async function expectChartMatchesRest(symbol: string, interval: string): Promise<ChartView> {
  stack.publisher.stop();
  await stack.publisher.tickNow([symbol]);
  const target = stack.publisher.lastSeq(symbol);
  await page.waitForFunction(
    ([s, i, seq]) => {
      const chart = window.__tickfeed?.chart();
      return chart != null && chart.symbol === s && chart.interval === i && chart.live && chart.seq >= (seq as number);
    },
    [symbol, interval, target] as const,
    { timeout: 15_000 },
  );
  const rest = (await (await fetch(`${stack.url}/api/symbols/${symbol}/candles?interval=${interval}&limit=1000`)).json()) as CandlesResponse;
  const chart = (await chartView())!;
  stack.publisher.start(RATE);
  expect(rest.seq).toBe(target);
  expect(chart.seq).toBe(target);
  expect(chart.epoch).toBe(rest.epoch);
  expect(rest.candles.length).toBeGreaterThan(0);
  expect(chart.series.length).toBeGreaterThanOrEqual(rest.candles.length);
  expect(chart.series.slice(-rest.candles.length)).toEqual(rest.candles);
  expectAscending(chart.series);
  return chart;
}

function expectAscending(series: Candle[]): void {
  for (let i = 1; i < series.length; i++) {
    if (!(series[i]!.time > series[i - 1]!.time)) {
      throw new Error(`bar ${i} at ${series[i]!.time} is not after bar ${i - 1} at ${series[i - 1]!.time}`);
    }
  }
}

describe('dashboard in a real browser', () => {
  it('[D20] loads: first paint under 2 s, connected, quotes for the watchlist', async () => {
    const started = Date.now();
    await page.goto(`${stack.url}/?symbols=${WATCHLIST.join(',')}&symbol=AAPL&interval=1s&tz=utc`);
    await page.waitForSelector('[data-connection="connected"]', { timeout: 10_000 });
    for (const symbol of WATCHLIST) await page.waitForSelector(`tr[data-symbol="${symbol}"] td.last`, { timeout: 10_000 });
    const fcp = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1);
    expect(fcp).toBeGreaterThan(0);
    expect(fcp).toBeLessThan(2_000);
    expect(Date.now() - started).toBeLessThan(10_000);
    await shot('01-loaded');
  });

  it('[D11][D20] prices change as ticks arrive', async () => {
    const seqOf = () => page.getAttribute('tr[data-symbol="AAPL"] td.last', 'data-seq').then(Number);
    const before = await seqOf();
    await page.waitForFunction(
      (seq) => Number(document.querySelector('tr[data-symbol="AAPL"] td.last')?.getAttribute('data-seq')) > seq,
      before,
      { timeout: 10_000 },
    );
    expect(await seqOf()).toBeGreaterThan(before);
    await page.waitForSelector('[data-testid="tape"] .tape-row', { timeout: 10_000 });
    await shot('02-prices-change');
  });

  it('[D13][D14][D20] the chart holds exactly the candles of GET …/candles, at 1s and after switching to 5s', async () => {
    await expectChartMatchesRest('AAPL', '1s');
    await page.click('button[data-interval="5s"]');
    const chart = await expectChartMatchesRest('AAPL', '5s');
    expect(chart.loads).toBe(1);
    await shot('03-chart-matches-rest');
  });

  it('[D19][D20] adding and removing a symbol changes the server subscriptions; unknown symbols get a message', async () => {
    const subscriptions = () => stack.metric('feed_subscriptions');
    await serverCondition(async () => (await subscriptions()) === WATCHLIST.length, `${WATCHLIST.length} subscriptions`);

    await page.fill('[data-testid="search"]', 'eth-usd');
    await page.press('[data-testid="search"]', 'Enter');
    await page.waitForSelector('tr[data-symbol="ETH-USD"] td.last', { timeout: 10_000 });
    await serverCondition(async () => (await subscriptions()) === WATCHLIST.length + 1, 'one more subscription');
    await shot('04-symbol-added');

    await page.hover('tr[data-symbol="ETH-USD"]');
    await page.click('button[data-remove="ETH-USD"]');
    await page.waitForSelector('tr[data-symbol="ETH-USD"]', { state: 'detached', timeout: 10_000 });
    await serverCondition(async () => (await subscriptions()) === WATCHLIST.length, 'the subscription removed');

    await page.fill('[data-testid="search"]', 'ZZZZ');
    await page.press('[data-testid="search"]', 'Enter');
    const message = await page.waitForSelector('[data-testid="search-error"]', { timeout: 5_000 });
    expect(await message.textContent()).toBe('Unknown symbol: ZZZZ');
    // Shown once, under the search box (issue 17: no second copy as a toast).
    expect(await page.getByText('Unknown symbol: ZZZZ').count()).toBe(1);
    await shot('05-unknown-symbol');
  });

  it('[Q13] the watchlist runs on quotes at 250 ms; the selected symbol alone gets every tick, and selecting another switches both', async () => {
    const rooms = () => [...stack.server.io.of('/').adapter.rooms.keys()].filter((room) => !stack.server.io.of('/').sockets.has(room)).sort();
    const layout = (selected: string) => WATCHLIST.map((symbol) => (symbol === selected ? symbol : `${symbol}@250`)).sort();
    await serverCondition(async () => WATCHLIST.some((selected) => JSON.stringify(rooms()) === JSON.stringify(layout(selected))), 'one symbol on ticks, the others on quotes');
    const selected = WATCHLIST.find((symbol) => rooms().includes(symbol))!;
    const other = WATCHLIST.find((symbol) => symbol !== selected)!;
    // The others are followed by quotes: the feed client tracks no tick position for them.
    const otherSeq = () => page.evaluate((s) => (window.__tickfeed!.service() as unknown as { positions: Record<string, unknown> }).positions[s], other);
    expect(await otherSeq()).toBeUndefined();
    await page.click(`tr[data-symbol="${other}"]`);
    await serverCondition(async () => JSON.stringify(rooms()) === JSON.stringify(layout(other)), `${other} on ticks after selecting it`);
    await page.click(`tr[data-symbol="${selected}"]`);
    await serverCondition(async () => JSON.stringify(rooms()) === JSON.stringify(layout(selected)), `${selected} on ticks again`);
  });

  it('[D17] the status bar shows latency, throughput and a REPLAY badge with speed and clock from feed:status', async () => {
    await page.waitForFunction(() => /\d+ ms/.test(document.querySelector('[data-testid="latency"]')?.textContent ?? ''), null, { timeout: 10_000 });
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="rate"]')?.textContent) > 0, null, { timeout: 10_000 });
    stack.publisher.status({
      mode: 'replay',
      state: 'playing',
      speed: 10,
      clock: Date.UTC(2024, 2, 12, 14, 30, 5),
      loop: true,
      completions: 0,
      marker: null,
      source: 'test tape',
      controllable: false,
    });
    const badge = await page.waitForSelector('[data-testid="replay"]', { timeout: 10_000 });
    expect(await badge.textContent()).toContain('REPLAY 10×');
    expect(await page.textContent('.statusbar')).toMatch(/replay clock 12 Mar 2024, 14:30:\d\d/);
    await shot('05b-replay-badge');
    stack.publisher.status({ mode: 'live', state: 'playing', speed: 1, clock: null, loop: false, completions: 0, marker: null, source: 'test', controllable: false });
    await page.waitForSelector('[data-testid="replay"]', { state: 'detached', timeout: 10_000 });
  });

  it('[S71] a live feed that names closed markets shows it beside LIVE, and the note goes when they open', async () => {
    const live = { mode: 'live', state: 'playing', speed: 1, clock: null, loop: false, completions: 0, marker: null, source: 'test', controllable: false } as const;
    stack.publisher.status({ ...live, closed: ['fx', 'us-equity'] });
    const note = await page.waitForSelector('[data-testid="market-closed"]', { timeout: 10_000 });
    expect(await note.textContent()).toBe('FX and US equities closed');
    expect(await page.isVisible('[data-testid="live"]')).toBe(true);
    stack.publisher.status(live);
    await page.waitForSelector('[data-testid="market-closed"]', { state: 'detached', timeout: 10_000 });
  });

  it('[D18] watchlist, selection, interval and zone survive a reload', async () => {
    await page.click('tr[data-symbol="MSFT"]');
    await page.click('button[data-interval="1m"]');
    await page.click('button[data-zone="local"]');
    await page.waitForFunction(() => window.location.search.includes('symbol=MSFT') && window.location.search.includes('interval=1m'));
    expect(new URL(page.url()).search).toBe('?symbols=AAPL,MSFT,BTC-USD&symbol=MSFT&interval=1m&tz=local');
    await page.goto(`${stack.url}/`);
    await page.waitForSelector('tr[data-symbol="BTC-USD"]', { timeout: 10_000 });
    expect(await page.getAttribute('button[data-interval="1m"]', 'aria-pressed')).toBe('true');
    expect(await page.textContent('[data-testid="chart-symbol"]')).toBe('MSFT');
    expect(await page.getAttribute('button[data-zone="local"]', 'aria-pressed')).toBe('true');
    // Back to the state the next step expects.
    await page.click('tr[data-symbol="AAPL"]');
    await page.click('button[data-interval="1s"]');
  });

  it('[D6][D20] server killed and restarted on the same port: reconnecting, then connected, ticks flow, no duplicate or out-of-order bar', async () => {
    await expectChartMatchesRest('AAPL', '1s');
    const oldEpoch = (await chartView())!.epoch;
    await stack.kill();
    await page.waitForSelector('[data-connection="reconnecting"]', { timeout: 10_000 });
    await shot('06-reconnecting');

    await stack.restart(RATE);
    await page.waitForSelector('[data-connection="connected"]', { timeout: 15_000 });
    const history = await page.evaluate(() => window.__tickfeed!.service().stateHistory);
    const lastConnected = history.lastIndexOf('connected');
    expect(history.slice(0, lastConnected)).toContain('reconnecting');

    // Ticks of the new epoch reach the watchlist and the chart.
    await page.waitForFunction(
      (old) => {
        const chart = window.__tickfeed?.chart();
        return chart != null && chart.live && chart.epoch !== old && chart.seq > 3;
      },
      oldEpoch,
      { timeout: 15_000 },
    );
    const chart = await expectChartMatchesRest('AAPL', '1s');
    expect(chart.epoch).not.toBe(oldEpoch);
    expectAscending(chart.series);
    expect(new Set(chart.series.map((c) => c.time)).size).toBe(chart.series.length);
    const counters = await page.evaluate(() => window.__tickfeed!.service().counters);
    expect(counters.duplicates).toBe(0);
    await shot('07-recovered');
    expect(pageErrors).toEqual([]);
  });

  it('[D20] stays usable on a laptop-sized window', async () => {
    await page.setViewportSize({ width: 1100, height: 680 });
    await page.waitForSelector('[data-testid="tape"] .tape-row', { timeout: 10_000 });
    const box = await page.locator('[data-testid="chart"]').boundingBox();
    expect(box!.width).toBeGreaterThan(300);
    expect(box!.height).toBeGreaterThan(200);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shot('08-laptop');
  });
});
