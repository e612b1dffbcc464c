import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Candle, CandlesResponse } from '@tickfeed/protocol';
import { TEST_UNIVERSE, type InstrumentSpec } from '../support/market-publisher.js';
import { Stack, artifactPath, ensureDashboardBuilt, launchChromium } from '../support/stack.js';

/*
 * The dashboard as a trader's screen, in Chromium against real servers: each
 * test reproduces one of the defects of issue 17 (history paging, replay
 * delay, decimals, keyboard and accessibility, phone layout, disconnection,
 * search, exchange time zone, serving, small comforts). Rules D50–D62.
 */

const require = createRequire(import.meta.url);
const AXE_SOURCE: string = (require('axe-core') as { source: string }).source;

/** BTC trades in lots of 0.0001; two more names to search for. */
const UNIVERSE: InstrumentSpec[] = [
  ...TEST_UNIVERSE.map((s) => (s.symbol === 'BTC-USD' ? { ...s, lotSize: 0.0001, size: 0.0004 } : s)),
  { symbol: 'NFLX', name: 'Netflix Inc.', kind: 'equity', currency: 'USD', tickSize: 0.01, price: 612.4, vol: 0.0005, size: 30 },
  { symbol: 'AMD', name: 'Advanced Micro Devices', kind: 'equity', currency: 'USD', tickSize: 0.01, price: 171.8, vol: 0.0008, size: 90 },
];
const RATE = 40;
/** 2012-05-18 15:30 UTC (09:30 New York): the replayed session. */
const REPLAY_START = Date.UTC(2012, 4, 18, 13, 30);

interface ChartView {
  symbol: string;
  interval: string;
  zone: string;
  epoch: string;
  seq: number;
  live: boolean;
  historyStart: boolean;
  pages: number;
  series: Candle[];
  visible: { from: number; to: number } | null;
  axisLabel: string;
}

let stack: Stack;
let replayStack: Stack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  ensureDashboardBuilt();
  // 40 minutes of a tick every 1–2 s per symbol: about 1,600 one-second candles, more than one page.
  stack = await Stack.start({ universe: UNIVERSE, historyMinutes: 40, historyStepMs: 1_000, ticksPerSecond: RATE });
  replayStack = await Stack.start({ universe: UNIVERSE, historyMinutes: 2, ticksPerSecond: 20, clockOffsetMs: REPLAY_START - Date.now() });
  browser = await launchChromium();
  // A Berlin browser, so local time, UTC and New York time all differ.
  context = await browser.newContext({ viewport: { width: 1366, height: 768 }, timezoneId: 'Europe/Berlin' });
  page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
  await replayStack?.close();
});

const shot = (name: string, p: Page = page) => p.screenshot({ path: artifactPath(`trader-${name}.png`) });
const chartView = (p: Page = page) => p.evaluate(() => (window.__tickfeed?.chart() ?? null) as unknown as ChartView | null);

async function open(p: Page, url: string, symbol: string, interval: string): Promise<void> {
  await p.goto(url);
  await p.waitForSelector('[data-connection="connected"]', { timeout: 10_000 });
  await p.waitForFunction(
    ([s, i]) => {
      const chart = window.__tickfeed?.chart();
      return chart != null && chart.symbol === s && chart.interval === i && chart.live && chart.series.length > 0;
    },
    [symbol, interval] as const,
    { timeout: 15_000 },
  );
}

/** Every candle the server holds for the series, paged back with before= (the reference for the chart). */
async function allCandles(base: string, symbol: string, interval: string): Promise<Candle[]> {
  let before: number | undefined;
  const out: Candle[] = [];
  for (;;) {
    const query = `interval=${interval}&limit=1000${before !== undefined ? `&before=${before}` : ''}`;
    const body = (await (await fetch(`${base}/api/symbols/${symbol}/candles?${query}`)).json()) as CandlesResponse;
    if (body.candles.length === 0) return out;
    out.unshift(...body.candles);
    before = body.candles[0]!.time;
  }
}

function expectStrictlyAscending(series: Candle[]): void {
  for (let i = 1; i < series.length; i++) {
    if (!(series[i]!.time > series[i - 1]!.time)) throw new Error(`bar ${i} at ${series[i]!.time} is not after ${series[i - 1]!.time}`);
  }
}

/** Drags the chart one step to the right (into the past), as a user with a mouse would. */
async function dragIntoPast(p: Page): Promise<void> {
  const box = (await p.locator('[data-testid="chart"]').boundingBox())!;
  const y = box.y + box.height * 0.45;
  await p.mouse.move(box.x + box.width * 0.15, y);
  await p.mouse.down();
  await p.mouse.move(box.x + box.width * 0.85, y, { steps: 6 });
  await p.mouse.up();
}

describe('issue 17 defects, in a real browser', () => {
  it('[D50][D59] scrolling left pages older candles in with before= until the start of history, without duplicate or gap at the seams', async () => {
    await open(page, `${stack.url}/?symbols=AAPL,MSFT,BTC-USD,SOL-USD&symbol=AAPL&interval=1s&tz=utc`, 'AAPL', '1s');
    const first = (await chartView())!;
    expect(first.series.length).toBe(1000);
    expect(first.historyStart).toBe(false);
    stack.publisher.stop();
    onTestFinished(() => stack.publisher.start(RATE));
    for (let i = 0; i < 80; i++) {
      const view = (await chartView())!;
      if (view.historyStart && view.visible !== null && view.visible.from <= 0) break;
      await dragIntoPast(page);
    }
    await page.waitForSelector('[data-testid="history-start"]', { timeout: 10_000 });
    await shot('01-start-of-history');
    const view = (await chartView())!;
    expect(view.historyStart).toBe(true);
    expect(view.pages).toBeGreaterThanOrEqual(1);
    // Everything the server has, exactly once, in order: the live bars at the end may have moved on.
    const rest = await allCandles(stack.url, 'AAPL', '1s');
    expect(rest.length).toBeGreaterThan(1000);
    expectStrictlyAscending(view.series);
    expect(view.series.slice(0, rest.length - 5)).toEqual(rest.slice(0, rest.length - 5));

    // [D59] scrolled back, a button brings the chart back to now.
    await page.click('[data-testid="back-to-now"]');
    await page.waitForSelector('[data-testid="back-to-now"]', { state: 'detached', timeout: 5_000 });
    await page.waitForFunction(() => {
      const c = window.__tickfeed?.chart();
      return c != null && c.visible !== null && c.visible.to >= c.series.length - 1;
    }, null, { timeout: 5_000 });
  });

  it('[D51] a chart with few bars opens on a readable range, not a sliver at the right edge', async () => {
    await page.click('button[data-interval="1h"]');
    await page.waitForFunction(() => {
      const c = window.__tickfeed?.chart();
      return c != null && c.interval === '1h' && c.live && c.series.length > 0 && c.historyStart;
    }, null, { timeout: 10_000 });
    // The chart applies a new visible range when it next draws: read it after two frames (a loaded machine delays them).
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    const view = (await chartView())!;
    expect(view.series.length).toBeLessThanOrEqual(2);
    // The library's default would spread about 120 empty slots of 6 px; the chart shows about 40.
    expect(view.visible!.to - view.visible!.from).toBeLessThanOrEqual(50);
    expect(view.visible!.to).toBeGreaterThanOrEqual(view.series.length - 1);
    await page.waitForSelector('[data-testid="history-start"]');
    await shot('02-few-bars');
    await page.click('button[data-interval="1s"]');
  });

  it('[D52][D57] the status bar measures delivery delay: wall clock when live, the replay clock (labelled) in a replay', async () => {
    // The first test stopped and restarted the publisher: wait for ticks stamped after the restart.
    await page.waitForFunction(
      () => {
        const text = document.querySelector('[data-testid="latency"]')?.textContent ?? '';
        return /^\d+ ms$/.test(text) && Number(text.replace(' ms', '')) < 5_000;
      },
      null,
      { timeout: 10_000 },
    );
    expect(await page.textContent('[data-testid="latency-label"]')).toBe('latency');

    const replay = await context.newPage();
    replayStack.publisher.status({
      mode: 'replay', state: 'playing', speed: 1, clock: Date.now() + replayStack.publisher.clockOffsetMs,
      loop: false, completions: 0, marker: null, source: 'NASDAQ 2012-05-18', controllable: false,
    });
    await open(replay, `${replayStack.url}/?symbols=AAPL,MSFT&symbol=AAPL&interval=1m`, 'AAPL', '1m');
    await replay.waitForSelector('[data-testid="replay"]');
    await replay.waitForFunction(() => document.querySelector('[data-testid="latency-label"]')?.textContent === 'age (replay clock)', null, { timeout: 10_000 });
    await replay.waitForFunction(() => /^-?\d+ ms$/.test(document.querySelector('[data-testid="latency"]')?.textContent ?? ''), null, { timeout: 10_000 });
    const age = Number((await replay.textContent('[data-testid="latency"]'))!.replace(' ms', ''));
    // now − tick time would be about 4.5e11 ms here.
    expect(Math.abs(age)).toBeLessThan(10_000);
    await shot('03-replay-age', replay);

    // [D57] a replay defaults to the exchange's zone: New York for AAPL, UTC for bitcoin; Local and UTC stay offered.
    expect(await replay.getAttribute('button[data-zone="exchange"]', 'aria-pressed')).toBe('true');
    expect((await chartView(replay))!.zone).toBe('America/New_York');
    expect(await replay.locator('button[data-zone="local"]').count()).toBe(1);
    expect(await replay.locator('button[data-zone="utc"]').count()).toBe(1);
    const bars = (await chartView(replay))!.series;
    // The first replayed bar (09:28 New York by the 2 minutes of history) is labelled in New York time.
    const legend = await replay.textContent('[data-testid="legend"]');
    expect(legend).toMatch(/18 May, (09|10):\d\d/);
    expect(bars.length).toBeGreaterThan(0);
    await replay.click('button[data-zone="local"]');
    await replay.waitForFunction(() => window.__tickfeed?.chart()?.zone === 'Europe/Berlin');
    await replay.close();
  });

  it('[D53] sizes and prices carry the symbol\'s own decimals; the axis has thousands separators', async () => {
    await page.click('tr[data-symbol="BTC-USD"]');
    await page.waitForFunction(() => window.__tickfeed?.chart()?.symbol === 'BTC-USD' && window.__tickfeed.chart()!.live);
    stack.publisher.stop();
    onTestFinished(() => stack.publisher.start(RATE));
    await stack.publisher.tickNow(['BTC-USD'], { size: 0.0003 });
    const seq = stack.publisher.lastSeq('BTC-USD');
    const row = await page.waitForSelector(`[data-testid="tape"] .tape-row[data-seq="${seq}"]`, { timeout: 10_000 });
    expect(await (await row.$('.s'))!.textContent()).toBe('0.0003');
    await page.waitForFunction((s) => (window.__tickfeed?.chart()?.seq ?? 0) >= s, seq);
    expect((await chartView())!.axisLabel).toMatch(/^\d{2},\d{3}\.\d{2}$/);

    // SOL ticks in 0.001: a penny price shows two decimals, a sub-penny one three.
    await stack.publisher.tickNow(['SOL-USD'], { price: 146.2 });
    await page.waitForFunction(() => document.querySelector('tr[data-symbol="SOL-USD"] td.last')?.textContent === '146.20', null, { timeout: 10_000 });
    await stack.publisher.tickNow(['SOL-USD'], { price: 146.213 });
    await page.waitForFunction(() => document.querySelector('tr[data-symbol="SOL-USD"] td.last')?.textContent === '146.213', null, { timeout: 10_000 });
    await shot('04-decimals');
  });

  it('[D54] the watchlist is a keyboard grid (↑↓, Enter, Delete, / and sortable headers) and axe finds no serious or critical violation', async () => {
    await page.keyboard.press('Escape');
    await page.locator('body').click({ position: { x: 5, y: 300 } }).catch(() => {});
    await page.keyboard.press('/');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('search');
    // Tab from the search box: through the sort headers to the grid's row.
    let onRow = false;
    for (let i = 0; i < 15 && !onRow; i++) {
      await page.keyboard.press('Tab');
      onRow = await page.evaluate(() => document.activeElement?.tagName === 'TR');
    }
    expect(onRow).toBe(true);
    const focused = () => page.evaluate(() => document.activeElement?.getAttribute('data-symbol'));
    expect(await focused()).toBe('BTC-USD');
    await page.keyboard.press('ArrowUp');
    expect(await focused()).toBe('MSFT');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('[data-testid="chart-symbol"]')?.textContent === 'MSFT');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    expect(await focused()).toBe('SOL-USD');
    await page.keyboard.press('Delete');
    await page.waitForSelector('tr[data-symbol="SOL-USD"]', { state: 'detached' });
    expect(await focused()).toBe('BTC-USD');

    await page.focus('button[data-sort="last"]');
    await page.keyboard.press('Enter');
    expect(await page.getAttribute('th:has(button[data-sort="last"])', 'aria-sort')).toBe('descending');
    expect(await page.getAttribute('table.quotes', 'role')).toBe('grid');
    await shot('05-keyboard');

    // Evaluated through the debugging protocol: the page's CSP (script-src 'self') rightly refuses inline scripts.
    await page.evaluate(AXE_SOURCE);
    const violations = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
      const result = await axe.run(document, { resultTypes: ['violations'] });
      return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
    });
    expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
  });

  it('[D55] a phone shows one panel at a time with tabs; a laptop shows all panels side by side', async () => {
    const phone = await context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await open(phone, `${stack.url}/?symbols=AAPL,MSFT,BTC-USD&symbol=AAPL&interval=1m&tz=utc`, 'AAPL', '1m');
    const overflow = () => phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    const visible = (selector: string) => phone.locator(selector).isVisible();
    expect(await overflow()).toBeLessThanOrEqual(0);
    expect(await visible('[role="tablist"]')).toBe(true);
    expect(await visible('#panel-watchlist')).toBe(true);
    expect(await visible('#panel-chart')).toBe(false);
    expect(await visible('#panel-tape')).toBe(false);
    const row = (await phone.locator('tr[data-symbol="MSFT"]').boundingBox())!;
    expect(row.x + row.width).toBeLessThanOrEqual(390);
    await shot('06-phone-watchlist', phone);
    // Enter on a row charts it and shows the chart.
    await phone.focus('tr[data-symbol="MSFT"]');
    await phone.keyboard.press('Enter');
    await phone.waitForFunction(() => window.__tickfeed?.chart()?.symbol === 'MSFT' && window.__tickfeed.chart()!.live, null, { timeout: 10_000 });
    expect(await visible('#panel-watchlist')).toBe(false);
    const chart = (await phone.locator('[data-testid="chart"]').boundingBox())!;
    expect(chart.x).toBeGreaterThanOrEqual(0);
    expect(chart.x + chart.width).toBeLessThanOrEqual(390);
    expect(chart.width).toBeGreaterThan(300);
    expect(chart.height).toBeGreaterThan(300);
    expect(chart.y + chart.height).toBeLessThanOrEqual(844);
    await shot('07-phone-chart', phone);
    await phone.click('button[data-tab="tape"]');
    await phone.waitForSelector('#panel-tape .tape-row[data-seq]', { timeout: 10_000 });
    expect(await visible('#panel-chart')).toBe(false);
    expect(await overflow()).toBeLessThanOrEqual(0);
    await phone.close();

    await page.setViewportSize({ width: 1366, height: 768 });
    expect(await page.locator('[role="tablist"]').isVisible()).toBe(false);
    const boxes = await Promise.all(['#panel-watchlist', '#panel-chart', '#panel-tape'].map((s) => page.locator(s).boundingBox()));
    expect(boxes.every((b) => b !== null && b.width > 200 && b.height > 400)).toBe(true);
    expect(boxes[0]!.x).toBeLessThan(boxes[1]!.x);
    expect(boxes[1]!.x).toBeLessThan(boxes[2]!.x);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    // Every control over the chart is whole inside its panel, however narrow the panel is: none clipped.
    const clipped = await page.evaluate(() => {
      const panel = document.querySelector('#panel-chart')!.getBoundingClientRect();
      return [...document.querySelectorAll<HTMLElement>('#panel-chart .panel-title button, #panel-chart .chart-tools button')]
        .filter((b) => {
          const r = b.getBoundingClientRect();
          const title = b.closest('.panel-title, .chart-tools')!.getBoundingClientRect();
          return r.right > panel.right + 0.5 || r.left < panel.left - 0.5 || r.bottom > title.bottom + 0.5 || r.top < title.top - 0.5;
        })
        .map((b) => b.textContent);
    });
    expect(clipped).toEqual([]);
    // The legend's values wrap rather than being cut at the price axis.
    const cut = await page.evaluate(() => {
      const legend = document.querySelector('#panel-chart .legend')!.getBoundingClientRect();
      return [...document.querySelectorAll('#panel-chart .legend > span')].filter((s) => s.getBoundingClientRect().right > legend.right + 0.5).map((s) => s.textContent);
    });
    expect(await page.locator('#panel-chart .legend > span').count()).toBeGreaterThanOrEqual(6);
    expect(cut).toEqual([]);
  });

  it('[D56] search by symbol or name, any case, several at once, with keyboard suggestions; a listed symbol is selected; one message per error', async () => {
    const search = '[data-testid="search"]';
    const submit = async (text: string) => {
      await page.fill(search, text);
      await page.press(search, 'Enter');
    };
    await submit('apple');
    await page.waitForFunction(() => document.querySelector('[data-testid="chart-symbol"]')?.textContent === 'AAPL');
    expect(await page.textContent('[data-testid="search-note"]')).toContain('AAPL is already in the watchlist');
    await submit('Tesla');
    await page.waitForSelector('tr[data-symbol="TSLA"]');
    await submit('btc');
    await page.waitForFunction(() => document.querySelector('[data-testid="chart-symbol"]')?.textContent === 'BTC-USD');
    await submit('NFLX, amd');
    await page.waitForSelector('tr[data-symbol="NFLX"] td.last', { timeout: 10_000 });
    await page.waitForSelector('tr[data-symbol="AMD"] td.last', { timeout: 10_000 });

    await page.fill(search, '');
    await page.type(search, 'eth');
    await page.waitForSelector('[role="listbox"] [data-suggestion="ETH-USD"]');
    await shot('08-suggestions');
    await page.press(search, 'ArrowDown');
    expect(await page.getAttribute(search, 'aria-activedescendant')).toBe('suggestion-0');
    await page.press(search, 'Enter');
    await page.waitForSelector('tr[data-symbol="ETH-USD"]');

    await submit('ZZZZ');
    await submit('ZZZZ');
    await page.waitForSelector('[data-testid="search-error"]');
    expect(await page.locator('[data-testid="search-error"]').count()).toBe(1);
    expect(await page.textContent('[data-testid="search-error"]')).toBe('Unknown symbol: ZZZZ');
    expect(await page.locator('.message', { hasText: 'ZZZZ' }).count()).toBeLessThanOrEqual(1);
  });

  it('[D58] serving: compressed, hashed assets immutable, no public source maps, no duplicate request on first load', async () => {
    const index = await fetch(`${stack.url}/`, { headers: { 'accept-encoding': 'br, gzip' } });
    const html = await index.text();
    expect(index.headers.get('content-encoding')).toMatch(/br|gzip/);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
    const asset = await fetch(`${stack.url}${script}`, { headers: { 'accept-encoding': 'br, gzip' } });
    expect(asset.headers.get('content-encoding')).toMatch(/br|gzip/);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const text = await asset.text();
    expect(text).not.toContain('sourceMappingURL');
    expect((await fetch(`${stack.url}${script}.map`)).status).toBe(404);

    const fresh = await context.newPage();
    const requests: string[] = [];
    fresh.on('request', (request) => {
      if (!request.url().includes('/socket.io/')) requests.push(`${request.method()} ${request.url()}`);
    });
    await open(fresh, `${stack.url}/?symbols=AAPL,MSFT&symbol=AAPL&interval=1m&tz=utc`, 'AAPL', '1m');
    await fresh.waitForSelector('[data-testid="tape"] .tape-row[data-seq]');
    // The tape's first load is the newest trades, even before the subscription's snapshot arrived.
    const newest = Number(await fresh.getAttribute('[data-testid="tape"] .tape-row[data-seq]', 'data-seq'));
    expect(newest).toBeGreaterThan(stack.publisher.lastSeq('AAPL') - 100);
    // Sparklines load too: wait for both, then for the network to settle.
    await fresh.waitForFunction(() => document.querySelectorAll('td.spark path[d^="M"]').length === 2, null, { timeout: 10_000 });
    await fresh.waitForLoadState('networkidle').catch(() => {});
    const seen = new Map<string, number>();
    for (const r of requests) seen.set(r, (seen.get(r) ?? 0) + 1);
    expect([...seen].filter(([, n]) => n > 1)).toEqual([]);
    await fresh.close();
  });

  it('[D59] tab title with the price, a 1d interval, the sort kept across a reload', async () => {
    await page.click('tr[data-symbol="AAPL"]');
    await page.waitForFunction(() => /^AAPL \d{1,3}(,\d{3})*\.\d{2} · tickfeed$/.test(document.title), null, { timeout: 10_000 });
    await page.click('button[data-interval="1d"]');
    await page.waitForFunction(() => {
      const c = window.__tickfeed?.chart();
      return c != null && c.interval === '1d' && c.live && c.series.length === 1;
    }, null, { timeout: 10_000 });
    const sortBy = await page.getAttribute('th:has(button[data-sort="last"])', 'aria-sort');
    expect(sortBy).toBe('descending');
    await page.reload();
    await page.waitForSelector('tr[data-symbol="AAPL"] td.last');
    expect(await page.getAttribute('th:has(button[data-sort="last"])', 'aria-sort')).toBe('descending');
    expect(await page.getAttribute('button[data-interval="1d"]', 'aria-pressed')).toBe('true');
    await page.click('button[data-interval="1m"]');
    await page.waitForFunction(() => window.__tickfeed?.chart()?.interval === '1m' && window.__tickfeed.chart()!.live);
    await page.waitForFunction(() => document.querySelectorAll('td.spark path[d^="M"]').length >= 5, null, { timeout: 10_000 });
    await shot('11-overview');
  });

  it('[D60] a disconnection shows at once (badge, dimmed figures, chart mark) and clears on reconnect', async () => {
    await page.waitForSelector('[data-testid="live"]');
    await page.waitForFunction(() => /^\d+ ms$/.test(document.querySelector('[data-testid="latency"]')?.textContent ?? ''), null, { timeout: 10_000 });
    const killed = Date.now();
    await stack.kill();
    await page.waitForSelector('[data-testid="down-badge"]', { timeout: 3_000 });
    await page.waitForSelector('[data-testid="chart-offline"]', { timeout: 3_000 });
    expect(Date.now() - killed).toBeLessThan(3_000);
    expect(await page.locator('[data-testid="live"]').count()).toBe(0);
    expect(await page.textContent('[data-testid="latency"]')).toBe('–');
    expect(await page.textContent('[data-testid="rate"]')).toBe('–');
    expect(await page.getAttribute('#panel-watchlist', 'class')).toContain('dimmed');
    await shot('09-disconnected');

    await stack.restart(RATE);
    await page.waitForSelector('[data-connection="connected"]', { timeout: 15_000 });
    await page.waitForSelector('[data-testid="down-badge"]', { state: 'detached', timeout: 5_000 });
    await page.waitForSelector('[data-testid="chart-offline"]', { state: 'detached', timeout: 5_000 });
    await page.waitForSelector('[data-testid="live"]', { timeout: 10_000 });
    expect(await page.getAttribute('#panel-watchlist', 'class')).not.toContain('dimmed');
    await page.waitForFunction(() => document.querySelector('[data-testid="stale"]')?.textContent === '', null, { timeout: 5_000 });
    await shot('10-reconnected');
    expect(pageErrors).toEqual([]);
  });
});
