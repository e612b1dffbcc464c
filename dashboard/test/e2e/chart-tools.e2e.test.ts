import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Candle } from '@tickfeed/protocol';
import { Stack, artifactPath, ensureDashboardBuilt, launchChromium } from '../support/stack.js';
import { refBollinger, refEmaOf, refMacd, refRsi, refSma } from '../support/indicator-reference.js';

/*
 * The chart's tools in Chromium against a real server: indicators (toggled,
 * kept in the URL and localStorage, drawn values equal to a full
 * recomputation through live updates and history paging), chart types, the
 * log scale, the light and dark themes with an axe-core check in each, and
 * price alerts. Rules D90–D95.
 */

const require = createRequire(import.meta.url);
const AXE_SOURCE: string = (require('axe-core') as { source: string }).source;

type Points = Record<string, { time: number; value: number }[]>;
interface ChartView {
  symbol: string;
  interval: string;
  live: boolean;
  historyStart: boolean;
  pages: number;
  series: Candle[];
  visible: { from: number; to: number } | null;
  chartType: string;
  scale: string;
  indicators: Record<string, Points>;
  panes: number;
  alertLines: { price: number; title: string }[];
}

let stack: Stack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  ensureDashboardBuilt();
  // 30 minutes of history at a tick every 1–2 s: more than one page of 1-second candles.
  stack = await Stack.start({ historyMinutes: 30, historyStepMs: 1_000, ticksPerSecond: 30 });
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1366, height: 768 }, colorScheme: 'dark' });
  page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const shot = (name: string, p: Page = page) => p.screenshot({ path: artifactPath(`chart-tools-${name}.png`) });
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

/** The drawn points of one line against the reference's values at the same bars (nulls are not drawn). */
function expectLine(view: ChartView, id: string, key: string, reference: readonly (number | null)[]): void {
  const drawn = view.indicators[id]?.[key];
  if (drawn === undefined) throw new Error(`${id}.${key} is not drawn`);
  const expected = view.series.flatMap((bar, i) => (reference[i] === null || reference[i] === undefined ? [] : [{ time: bar.time, value: reference[i]! }]));
  expect(drawn.length, `${id}.${key}: points`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(drawn[i]!.time, `${id}.${key}[${i}] time`).toBe(expected[i]!.time);
    expect(Math.abs(drawn[i]!.value - expected[i]!.value), `${id}.${key}[${i}]: ${drawn[i]!.value} vs ${expected[i]!.value}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected[i]!.value)));
  }
}

function expectAgreesWithReference(view: ChartView): void {
  expectLine(view, 'sma', 'value', refSma(view.series, 20));
  expectLine(view, 'ema', 'value', refEmaOf(view.series.map((b) => b.close), 50));
  const bands = refBollinger(view.series, 20, 2);
  expectLine(view, 'bb', 'upper', bands.map((b) => b?.upper ?? null));
  expectLine(view, 'bb', 'lower', bands.map((b) => b?.lower ?? null));
  expectLine(view, 'rsi', 'value', refRsi(view.series, 14));
  const macd = refMacd(view.series, 12, 26, 9);
  expectLine(view, 'macd', 'macd', macd.map((m) => m?.macd ?? null));
  expectLine(view, 'macd', 'signal', macd.map((m) => m?.signal ?? null));
  expectLine(view, 'macd', 'histogram', macd.map((m) => m?.histogram ?? null));
  // Each bar shaded from the bar before: strong green rising above zero, pale green falling above, pale red rising below, strong red falling below.
  const bars = view.indicators.macd!.histogram!;
  const shade = (value: number, previous: number | undefined) =>
    value >= 0 ? (previous !== undefined && previous < value ? '#26a69a' : '#b2dfdb') : previous !== undefined && previous < value ? '#ffcdd2' : '#ff5252';
  expect(bars.map((bar) => bar.color)).toEqual(bars.map((bar, i) => shade(bar.value, bars[i - 1]?.value)));
}

async function axeViolations(p: Page): Promise<{ id: string; impact: string; nodes: string[] }[]> {
  await p.evaluate(AXE_SOURCE);
  const violations = await p.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Drags the chart to the right (into the past), as a user with a mouse would. */
async function dragIntoPast(p: Page): Promise<void> {
  const box = (await p.locator('[data-testid="chart"]').boundingBox())!;
  const y = box.y + box.height * 0.3;
  await p.mouse.move(box.x + box.width * 0.15, y);
  await p.mouse.down();
  await p.mouse.move(box.x + box.width * 0.85, y, { steps: 6 });
  await p.mouse.up();
}

describe('chart tools, in a real browser', () => {
  it('[D90][D92] indicators toggle from the toolbar, oscillators get panes below, and drawn values equal a full recomputation through live updates and history paging', async () => {
    await open(page, `${stack.url}/?symbols=AAPL,MSFT&symbol=AAPL&interval=1s&tz=utc`, 'AAPL', '1s');
    for (const id of ['sma', 'ema', 'vwap', 'bb', 'rsi', 'macd']) await page.click(`button[data-indicator="${id}"]`);
    expect(await page.getAttribute('button[data-indicator="rsi"]', 'aria-pressed')).toBe('true');
    let view = (await chartView())!;
    expect(Object.keys(view.indicators)).toEqual(['sma', 'ema', 'vwap', 'bb', 'rsi', 'macd']);
    // The price pane, RSI's and MACD's.
    expect(view.panes).toBe(3);
    expectAgreesWithReference(view);
    expect(view.indicators.vwap!.value!.length).toBeGreaterThan(0);

    // Live bars: the last bar changes and new ones open; the values follow incrementally.
    const lastTime = view.series[view.series.length - 1]!.time;
    await page.waitForFunction((t) => {
      const chart = window.__tickfeed?.chart() as unknown as ChartView | null;
      return chart !== null && chart.series[chart.series.length - 1]!.time >= t + 3_000;
    }, lastTime, { timeout: 15_000 });
    view = (await chartView())!;
    expectAgreesWithReference(view);
    await shot('01-indicators');

    // Older history put in front: everything recomputed from the first bar.
    stack.publisher.stop();
    onTestFinished(() => stack.publisher.start(30));
    const before = view.series.length;
    for (let i = 0; i < 40 && (await chartView())!.pages === 0; i++) await dragIntoPast(page);
    await page.waitForFunction((n) => ((window.__tickfeed?.chart() as unknown as ChartView | null)?.series.length ?? 0) > n, before, { timeout: 10_000 });
    view = (await chartView())!;
    expect(view.pages).toBeGreaterThanOrEqual(1);
    expectAgreesWithReference(view);

    // Kept in the URL and across a reload; turning the oscillators off removes their panes.
    expect(new URL(page.url()).searchParams.get('ind')).toBe('sma,ema,vwap,bb,rsi,macd');
    await page.click('button[data-indicator="rsi"]');
    await page.click('button[data-indicator="macd"]');
    view = (await chartView())!;
    expect(Object.keys(view.indicators)).toEqual(['sma', 'ema', 'vwap', 'bb']);
    expect(view.panes).toBe(1);
    await open(page, `${stack.url}/?symbols=AAPL,MSFT&symbol=AAPL&interval=1s&tz=utc`, 'AAPL', '1s');
    expect(Object.keys((await chartView())!.indicators)).toEqual(['sma', 'ema', 'vwap', 'bb']);
    expect(pageErrors).toEqual([]);
  });

  it('[D93] candles, line and area charts, and a log price scale, kept across a reload', async () => {
    await open(page, `${stack.url}/?symbols=AAPL,MSFT&symbol=MSFT&interval=1m&tz=utc`, 'MSFT', '1m');
    const candles = (await chartView())!;
    expect(candles.chartType).toBe('candles');
    expect(candles.scale).toBe('linear');
    await page.click('button[data-chart-type="line"]');
    let view = (await chartView())!;
    expect(view.chartType).toBe('line');
    // A line of closes over the same bars. The stream goes on meanwhile: the newest bar's close may have
    // moved, or a new bar begun, so the bars both views hold are compared, the last of them by time only.
    const common = Math.min(view.series.length, candles.series.length);
    expect(view.series.length - candles.series.length).toBeGreaterThanOrEqual(0);
    expect(view.series.length - candles.series.length).toBeLessThanOrEqual(1);
    const closes = (series: ChartView['series'], n: number) => series.slice(0, n).map((b) => [b.time, b.close]);
    expect(closes(view.series, common - 1)).toEqual(closes(candles.series, common - 1));
    expect(view.series[common - 1]!.time).toBe(candles.series[common - 1]!.time);
    await page.click('button[data-chart-type="area"]');
    await page.click('button[data-scale="log"]');
    view = (await chartView())!;
    expect(view.chartType).toBe('area');
    expect(view.scale).toBe('log');
    await shot('02-area-log');
    expect(new URL(page.url()).searchParams.get('chart')).toBe('area');
    await page.goto(`${stack.url}/`);
    await page.waitForFunction(() => (window.__tickfeed?.chart() as unknown as ChartView | null)?.live === true, null, { timeout: 15_000 });
    view = (await chartView())!;
    expect(view.chartType).toBe('area');
    expect(view.scale).toBe('log');
    await page.click('button[data-chart-type="candles"]');
    await page.click('button[data-scale="linear"]');
    expect((await chartView())!.chartType).toBe('candles');
  });

  it('[D94] the theme follows prefers-color-scheme, a switch overrides it (kept), and axe finds no serious or critical violation in either', async () => {
    const light = await browser.newContext({ viewport: { width: 1366, height: 768 }, colorScheme: 'light' });
    onTestFinished(() => light.close());
    const p = await light.newPage();
    await open(p, `${stack.url}/?symbols=AAPL,BTC-USD,EUR-USD&symbol=AAPL&interval=1m&tz=utc&ind=sma,rsi`, 'AAPL', '1m');
    expect(await p.getAttribute('html', 'data-theme')).toBe('light');
    const background = () => p.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(await background()).toBe('rgb(243, 245, 248)');
    await shot('03-light', p);
    expect(await axeViolations(p)).toEqual([]);

    // The system switches to dark: the page follows.
    await p.emulateMedia({ colorScheme: 'dark' });
    await p.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
    expect(await background()).toBe('rgb(11, 14, 20)');
    await shot('04-dark', p);
    expect(await axeViolations(p)).toEqual([]);

    // The switch: Auto → Dark → Light, which then holds against the system and across a reload.
    await p.click('[data-testid="theme-switch"]');
    await p.click('[data-testid="theme-switch"]');
    expect(await p.getAttribute('[data-testid="theme-switch"]', 'data-theme-choice')).toBe('light');
    expect(await p.getAttribute('html', 'data-theme')).toBe('light');
    await p.goto(`${stack.url}/`);
    await p.waitForSelector('[data-connection="connected"]');
    expect(await p.getAttribute('html', 'data-theme')).toBe('light');
    expect(await p.getAttribute('[data-testid="theme-switch"]', 'data-theme-choice')).toBe('light');
  });

  it('[D95] a price alert is drawn as a price line, fires once (in the page when notifications are not allowed, else as a notification) and is kept', async () => {
    await open(page, `${stack.url}/?symbols=AAPL,MSFT&symbol=AAPL&interval=1m&tz=utc`, 'AAPL', '1m');
    await page.evaluate(() => window.localStorage.removeItem('tickfeed.alerts.v1'));
    await page.reload();
    await page.waitForFunction(() => (window.__tickfeed?.chart() as unknown as ChartView | null)?.live === true, null, { timeout: 15_000 });
    const last = () => chartView().then((v) => v!.series[v!.series.length - 1]!.close);
    const alertMessages = (p: Page) => p.locator('.message', { hasText: 'Alert: AAPL' }).count();
    // Every alert message ever added (messages expire, so the count on screen cannot tell "once").
    const countMessages = () =>
      page.evaluate(() => {
        const seen: string[] = [];
        (window as unknown as { __alertMessages: string[] }).__alertMessages = seen;
        new MutationObserver((records) => {
          for (const r of records) for (const n of r.addedNodes) if (n instanceof HTMLElement && n.matches('.message') && n.textContent?.startsWith('Alert:')) seen.push(n.textContent);
        }).observe(document.body, { childList: true, subtree: true });
      });
    const messagesSeen = () => page.evaluate(() => (window as unknown as { __alertMessages: string[] }).__alertMessages.length);
    expect(await page.evaluate(() => Notification.permission)).not.toBe('granted');

    await countMessages();
    // Far above: drawn, pending.
    const high = Math.round((await last()) * 2);
    await page.selectOption('select[aria-label="Alert when the price is"]', 'above');
    await page.fill('input[aria-label="Alert price"]', String(high));
    await page.click('.alert-form button[type="submit"]');
    // Already reached (above half the price): fires at the next quote.
    const low = Math.round((await last()) / 2);
    await page.fill('input[aria-label="Alert price"]', String(low));
    await page.click('.alert-form button[type="submit"]');
    await page.waitForFunction(() => document.querySelectorAll('.alert-chip.fired').length === 1, null, { timeout: 10_000 });
    expect(await messagesSeen()).toBe(1);
    expect(await page.locator('.alert-chip').count()).toBe(2);
    expect((await chartView())!.alertLines.map((l) => l.price).sort((a, b) => a - b)).toEqual([low, high]);
    await shot('05-alerts');

    // Once: more quotes above it fire nothing more; a reload keeps both alerts, the fired one fired.
    const seq = (await chartView())!.seq;
    await page.waitForFunction((s) => ((window.__tickfeed?.chart() as unknown as { seq: number } | null)?.seq ?? 0) > s + 5, seq, { timeout: 15_000 });
    expect(await messagesSeen()).toBe(1);
    const stored = await page.evaluate(() => JSON.parse(window.localStorage.getItem('tickfeed.alerts.v1') ?? '[]') as { price: number; fired: boolean }[]);
    expect(stored.map((a) => [a.price, a.fired])).toEqual([[high, false], [low, true]]);
    await page.reload();
    await page.waitForFunction(() => (window.__tickfeed?.chart() as unknown as ChartView | null)?.live === true, null, { timeout: 15_000 });
    expect(await page.locator('.alert-chip').count()).toBe(2);
    expect(await page.locator('.alert-chip.fired').count()).toBe(1);
    expect((await chartView())!.alertLines.length).toBe(2);
    expect(await alertMessages(page)).toBe(0);
    // Removed with its ×.
    await page.click(`.alert-chip:not(.fired) button`);
    expect((await chartView())!.alertLines.map((l) => l.price)).toEqual([low]);

    // Notifications allowed: the alert is a notification, not a message.
    const allowed = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    onTestFinished(() => allowed.close());
    await allowed.grantPermissions(['notifications'], { origin: stack.url });
    await allowed.addInitScript(() => {
      const shown: string[] = [];
      (window as unknown as { __notes: string[] }).__notes = shown;
      const Original = window.Notification;
      window.Notification = class extends Original {
        constructor(title: string, options?: NotificationOptions) {
          shown.push(options?.body ?? title);
          super(title, options);
        }
      } as typeof Notification;
    });
    const p = await allowed.newPage();
    await open(p, `${stack.url}/?symbols=AAPL&symbol=AAPL&interval=1m&tz=utc`, 'AAPL', '1m');
    expect(await p.evaluate(() => Notification.permission)).toBe('granted');
    await p.selectOption('select[aria-label="Alert when the price is"]', 'below');
    await p.fill('input[aria-label="Alert price"]', String(high));
    await p.click('.alert-form button[type="submit"]');
    await p.waitForFunction(() => (window as unknown as { __notes: string[] }).__notes.length > 0, null, { timeout: 10_000 });
    expect(await p.evaluate(() => (window as unknown as { __notes: string[] }).__notes)).toEqual([expect.stringMatching(/^Alert: AAPL ≤ /)]);
    expect(await alertMessages(p)).toBe(0);
  });

  it('[D104] `a` on a watchlist row opens an alert form at its last price: Escape cancels, Enter sets it (kept, fired once, drawn when charted); axe stays clean', async () => {
    await open(page, `${stack.url}/?symbols=AAPL,MSFT&symbol=AAPL&interval=1m&tz=utc`, 'AAPL', '1m');
    await page.evaluate(() => window.localStorage.removeItem('tickfeed.alerts.v1'));
    await page.reload();
    await page.waitForFunction(() => (window.__tickfeed?.chart() as unknown as ChartView | null)?.live === true, null, { timeout: 15_000 });
    await page.waitForSelector('tr[data-symbol="MSFT"] td.last');
    const stored = () => page.evaluate(() => JSON.parse(window.localStorage.getItem('tickfeed.alerts.v1') ?? '[]') as { symbol: string; side: string; price: number; fired: boolean }[]);
    const focusedRow = () => page.evaluate(() => document.activeElement?.getAttribute('data-symbol') ?? null);
    const price = 'input[aria-label="Alert price for MSFT"]';

    // Keyboard only: to the MSFT row, `a`.
    await page.focus('tr[data-symbol="AAPL"]');
    await page.keyboard.press('ArrowDown');
    expect(await focusedRow()).toBe('MSFT');
    await page.keyboard.press('a');
    await page.waitForSelector(price);
    const last = Number(await page.getAttribute('tr[data-symbol="MSFT"] td.last', 'data-last'));
    const prefill = await page.inputValue(price);
    // The row's last at MSFT's tick decimals (a conflated quote may land between the key and this read).
    expect(prefill).toMatch(/^\d+\.\d{2}$/);
    expect(Math.abs(Number(prefill) - last) / last).toBeLessThan(0.01);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Alert price for MSFT');
    expect(await axeViolations(page)).toEqual([]);
    await shot('06-watchlist-alert-form');
    // Keys typed in the form stay in it: Backspace edits the price, the row stays.
    await page.keyboard.press('Backspace');
    expect(await page.locator('tr[data-symbol="MSFT"]').count()).toBe(1);

    // Escape: no alert, the focus back on the row.
    await page.keyboard.press('Escape');
    await page.waitForSelector(price, { state: 'detached' });
    expect(await focusedRow()).toBe('MSFT');
    expect(await stored()).toEqual([]);

    // Below half the price: pending. Enter sets it and returns to the row.
    const low = Math.round(last / 2);
    await page.keyboard.press('a');
    await page.selectOption('select[aria-label="Alert MSFT when the price is"]', 'below');
    await page.fill(price, String(low));
    await page.focus(price);
    await page.keyboard.press('Enter');
    await page.waitForSelector(price, { state: 'detached' });
    expect(await focusedRow()).toBe('MSFT');
    expect((await stored()).map((a) => [a.symbol, a.side, a.price, a.fired])).toEqual([['MSFT', 'below', low, false]]);

    // Above half the price, as prefilled side: already reached, it fires once in the page.
    await page.keyboard.press('a');
    await page.fill(price, String(low));
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => (JSON.parse(window.localStorage.getItem('tickfeed.alerts.v1') ?? '[]') as { fired: boolean }[]).some((a) => a.fired), null, { timeout: 10_000 });
    await page.waitForSelector('.message:has-text("Alert: MSFT ≥")', { timeout: 5_000 });
    expect((await stored()).map((a) => [a.side, a.fired])).toEqual([['below', false], ['above', true]]);

    // Charted (Enter on the row), both are drawn as price lines.
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => {
      const chart = window.__tickfeed?.chart() as unknown as ChartView | null;
      return chart?.symbol === 'MSFT' && chart.alertLines.length === 2;
    }, null, { timeout: 15_000 });
    expect((await chartView())!.alertLines.map((l) => l.price)).toEqual([low, low]);
    expect(pageErrors).toEqual([]);
  });
});
