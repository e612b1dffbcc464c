import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { BookLevel, BookPublish, BookResponse, IngestPort, SymbolDeclaration } from '@tickfeed/protocol';
import { BookScript } from '../../../feed-server/test/support/books.js';
import { Stack, artifactPath, ensureDashboardBuilt, launchChromium } from '../support/stack.js';

/*
 * The depth ladder in Chromium against a real feed server: a book published
 * here (the simulator's books are not needed), the ladder compared with
 * GET …/book at the same seq, then through a server kill and restart.
 */

const require = createRequire(import.meta.url);
const AXE_SOURCE: string = (require('axe-core') as { source: string }).source;

const BOOK: SymbolDeclaration = { symbol: 'IBM', name: 'IBM Corp.', kind: 'equity', currency: 'USD', tickSize: 0.01, lotSize: 1, refPrice: 100, book: true };

let stack: Stack;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  ensureDashboardBuilt();
  stack = await Stack.start({ historyMinutes: 2, ticksPerSecond: 20 });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1366, height: 800 } });
  page.on('pageerror', (error) => pageErrors.push(error.message));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const shot = (name: string, on: Page = page) => on.screenshot({ path: artifactPath(`book-${name}.png`) });

/** A publisher of one book over the server's in-process ingest. */
async function bookPublisher(): Promise<IngestPort> {
  const ingest = stack.server.localIngest();
  const reply = await ingest.declare({ symbols: [BOOK] });
  if (!reply.ok) throw new Error(`declare failed: ${reply.error.message}`);
  return ingest;
}

async function publish(ingest: IngestPort, updates: BookPublish[]): Promise<void> {
  for (let i = 0; i < updates.length; i += 20) {
    const reply = await ingest.publishBook!({ updates: updates.slice(i, i + 20) });
    if (!reply.ok || reply.rejected.length > 0) throw new Error(`book publish rejected: ${JSON.stringify(reply)}`);
    // Spread over a few frames, so the page sees updates arrive between its frames, not only one burst.
    await new Promise((resolve) => setTimeout(resolve, 15));
  }
}

async function restBook(): Promise<BookResponse> {
  const res = await fetch(`${stack.url}/api/symbols/IBM/book?depth=10`);
  expect(res.status).toBe(200);
  return (await res.json()) as BookResponse;
}

interface LadderView {
  seq: number;
  epoch: string;
  bids: BookLevel[];
  asks: BookLevel[];
}

/** The levels the ladder shows, read from the page (asks turned best first, as the wire has them). */
function ladderView(on: Page = page): Promise<LadderView> {
  return on.evaluate(() => {
    const root = document.querySelector('[data-testid="ladder"]') as HTMLElement;
    const rows = (side: string) =>
      [...root.querySelectorAll(`tr[data-side="${side}"]`)].map((tr) => [Number(tr.getAttribute('data-price')), Number(tr.getAttribute('data-size'))] as [number, number]);
    return { seq: Number(root.dataset.seq), epoch: root.dataset.epoch ?? '', bids: rows('bid'), asks: rows('ask').reverse() };
  });
}

/** Waits until the ladder shows `seq` of a book other than `notEpoch`, then compares it with REST at that seq. */
async function expectLadderMatchesRest(seq: number, notEpoch = ''): Promise<LadderView> {
  await page.waitForFunction(
    ([want, old]) => {
      const root = document.querySelector('[data-testid="ladder"]') as HTMLElement | null;
      return root !== null && root.dataset.seq === String(want) && root.dataset.epoch !== old;
    },
    [seq, notEpoch] as const,
    { timeout: 15_000 },
  );
  const rest = await restBook();
  const view = await ladderView();
  expect(rest.seq).toBe(seq);
  expect(view).toEqual({ seq: rest.seq, epoch: rest.epoch, bids: rest.bids, asks: rest.asks });
  return view;
}

describe('depth ladder', () => {
  it('[D84][D85] shows the book beside the chart, equal to REST /book at the same seq, every update verified; a symbol without a book says so', async () => {
    const ingest = await bookPublisher();
    const script = new BookScript('IBM', 11);
    await publish(ingest, [script.snapshot(15)]);
    await page.goto(`${stack.url}/?symbols=AAPL,IBM&symbol=IBM&interval=1m&tz=utc`);
    await page.waitForSelector('[data-testid="ladder"][data-seq="1"]', { timeout: 15_000 });

    await publish(ingest, Array.from({ length: 300 }, () => script.next()));
    const view = await expectLadderMatchesRest(script.seq);
    expect(view.bids.length).toBeGreaterThan(0);
    expect(view.asks.length).toBeGreaterThan(0);
    const debug = await page.evaluate(() => (window.__tickfeed!.service() as unknown as { books: Record<string, { counters: Record<string, number> }>; bookFrames: number }));
    expect(debug.books.IBM!.counters).toMatchObject({ applied: 300, checksumsVerified: 300, gaps: 0, checksumMismatches: 0 });
    // Conflated: fewer renders than updates (the publisher sent them 20 at a time).
    expect(debug.bookFrames).toBeLessThan(300);
    const spread = await page.textContent('[data-testid="spread"]');
    expect(spread).toMatch(/^Spread [\d.,]+ \(\d+ ticks?\) · mid [\d.,]+$/);
    const panel = (await page.locator('#panel-book').boundingBox())!;
    const chart = (await page.locator('#panel-chart').boundingBox())!;
    expect(panel.x).toBeGreaterThanOrEqual(chart.x + chart.width);
    expect(await page.locator('#panel-book svg.depth path.bids').getAttribute('d')).toMatch(/^M[\d.]+,64V/);
    await shot('01-ladder');

    await page.evaluate(AXE_SOURCE);
    const violations = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run: (ctx: Element, opts: object) => Promise<{ violations: { id: string; impact: string; nodes: { target: string[]; failureSummary?: string }[] }[] }> } }).axe;
      const result = await axe.run(document.querySelector('#panel-book')!, { resultTypes: ['violations'] });
      return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => `${n.target.join(' ')}: ${n.failureSummary ?? ''}`) }));
    });
    expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);

    await page.click('tr[data-symbol="AAPL"]');
    await page.waitForFunction(() => document.querySelector('#panel-book')?.textContent?.includes('No order book for AAPL') === true, undefined, { timeout: 10_000 });
    expect(await page.locator('[data-testid="ladder"]').count()).toBe(0);
    await page.click('tr[data-symbol="IBM"]');
    await expectLadderMatchesRest(script.seq);
  });

  it('[D85] after a server kill and restart the ladder shows the new book with no stale level', async () => {
    const before = await ladderView();
    await stack.kill();
    await page.waitForSelector('[data-connection="reconnecting"]', { timeout: 10_000 });
    await stack.restart(20);
    const ingest = await bookPublisher();
    // Books are not durable: the new server's book starts again, here five dollars lower.
    const script = new BookScript('IBM', 23);
    const snapshot = script.snapshot(15);
    const shift = (levels: BookLevel[]) => levels.map(([p, s]) => [Math.round((p - 5) * 100) / 100, s] as BookLevel);
    await page.waitForSelector('[data-connection="connected"]', { timeout: 15_000 });
    await publish(ingest, [{ ...snapshot, bids: shift(snapshot.bids), asks: shift(snapshot.asks) }]);
    const after = await expectLadderMatchesRest(1, before.epoch);
    const old = new Set([...before.bids, ...before.asks].map(([p]) => p));
    expect([...after.bids, ...after.asks].filter(([p]) => old.has(p))).toEqual([]);
    await shot('02-after-restart');
    expect(pageErrors).toEqual([]);
  });

  it('[D85] on a phone the ladder is a fourth tab', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await phone.goto(`${stack.url}/?symbols=AAPL,IBM&symbol=IBM&interval=1m&tz=utc`);
    await phone.waitForSelector('[role="tablist"]');
    expect(await phone.locator('#panel-book').isVisible()).toBe(false);
    await phone.click('button[data-tab="book"]');
    await phone.waitForSelector('#panel-book [data-testid="ladder"] tr[data-side="bid"]', { timeout: 10_000 });
    const box = (await phone.locator('#panel-book').boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(390);
    expect(await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    expect(await phone.locator('#panel-chart').isVisible()).toBe(false);
    await shot('03-phone', phone);
    await phone.close();
  });
});
