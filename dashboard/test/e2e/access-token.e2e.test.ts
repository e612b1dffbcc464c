import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { Stack, ensureDashboardBuilt, launchChromium } from '../support/stack.js';

/*
 * The dashboard against a feed server with AUTH_MODE=jwt: a `?token=` link
 * opens it, REST and Socket.IO carry the token, and a renewed token (stored
 * for the tab) is taken up before the first one expires, on the same connection.
 */

const SECRET = 'dashboard-test-secret-0123456789-abcdef';

function mint(symbols: string[], ttlSec: number): Promise<string> {
  return new SignJWT({ symbols })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('alice')
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSec)
    .sign(new TextEncoder().encode(SECRET));
}

interface ServiceDebug {
  state: { kind: string };
  stateHistory: string[];
  counters: { ticks: number };
  symbols: string[];
}

let stack: Stack;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  ensureDashboardBuilt();
  stack = await Stack.start({ historyMinutes: 2, ticksPerSecond: 40, config: { authMode: 'jwt', authJwtSecret: SECRET, authJwtAlgorithms: ['HS256'] } });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const service = () => page.evaluate(() => window.__tickfeed!.service() as unknown as ServiceDebug);

describe('dashboard with an access token', () => {
  it('[A20] a ?token= link connects, shows only entitled symbols, and a renewed token keeps the same connection past the first expiry', async () => {
    const first = await mint(['AAPL', 'MSFT'], 4);
    await page.goto(`${stack.url}/?token=${first}&symbols=AAPL,MSFT,NVDA&symbol=AAPL&interval=1s&tz=utc`);
    await page.waitForSelector('[data-connection="connected"]', { timeout: 10_000 });
    await page.waitForSelector('tr[data-symbol="AAPL"] td.last', { timeout: 10_000 });
    await page.waitForSelector('tr[data-symbol="MSFT"] td.last', { timeout: 10_000 });
    await page.waitForFunction(() => !(window.__tickfeed!.service() as unknown as ServiceDebug).symbols.includes('NVDA'), undefined, { timeout: 10_000 });
    expect((await service()).symbols.sort()).toEqual(['AAPL', 'MSFT']);

    // A page that renews tokens stores the new one for the tab; the feed client picks it up before expiry.
    const renewed = await mint(['AAPL', 'MSFT'], 3_600);
    await page.evaluate((token) => window.sessionStorage.setItem('tickfeed.token', token), renewed);
    const firstExpiry = (Math.floor(Date.now() / 1000) + 4) * 1000;
    await page.waitForFunction((at) => Date.now() > at + 1_500, firstExpiry, { timeout: 10_000 });
    const ticksBefore = (await service()).counters.ticks;
    await page.waitForFunction((n) => (window.__tickfeed!.service() as unknown as ServiceDebug).counters.ticks > n, ticksBefore, { timeout: 10_000 });
    const debug = await service();
    expect(debug.state.kind).toBe('connected');
    expect(debug.stateHistory.filter((s) => s === 'connecting')).toHaveLength(1);
    expect(debug.stateHistory).not.toContain('reconnecting');
  });
});
