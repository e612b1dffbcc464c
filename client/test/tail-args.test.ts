import { describe, expect, it } from 'vitest';
import { formatTickLine, parseTailArgs } from '../src/tail-args.js';

describe('tail arguments', () => {
  it('[D10] takes symbols (upper-cased, deduplicated) and an optional --url', () => {
    expect(parseTailArgs(['aapl', 'BTC-USD', 'AAPL'])).toEqual({ url: 'http://127.0.0.1:3000', symbols: ['AAPL', 'BTC-USD'] });
    expect(parseTailArgs(['AAPL', '--url', 'http://h:1'])).toEqual({ url: 'http://h:1', symbols: ['AAPL'] });
    expect(parseTailArgs(['--url=http://h:2', 'EUR-USD'])).toEqual({ url: 'http://h:2', symbols: ['EUR-USD'] });
  });

  it('[D10] explains what is wrong instead of throwing', () => {
    expect(parseTailArgs([])).toMatchObject({ error: expect.stringContaining('usage') });
    expect(parseTailArgs(['AAPL', '--url'])).toEqual({ error: '--url needs a value' });
    expect(parseTailArgs(['AAPL', '--url', 'ftp://x'])).toMatchObject({ error: expect.stringContaining('http') });
    expect(parseTailArgs(['AA PL'])).toMatchObject({ error: expect.stringContaining('not a valid symbol') });
    expect(parseTailArgs(['AAPL', '--rate', '5'])).toMatchObject({ error: expect.stringContaining('unknown option') });
  });

  it('[D10] prints one tick per line with its time, symbol, seq, price and size', () => {
    const line = formatTickLine({ symbol: 'AAPL', seq: 42, ts: Date.UTC(2024, 0, 2, 14, 30, 5, 123), price: 187.25, size: 100, bid: 187.24, ask: 187.26 });
    expect(line).toMatch(/^14:30:05\.123 AAPL\s+#42\s+187\.25 x 100\s+bid 187\.24 ask 187\.26$/);
    expect(line).not.toContain('\n');
  });

  it('[D10] --token (or TICKFEED_TOKEN) passes an access token; the flag wins', () => {
    expect(parseTailArgs(['AAPL', '--token', 'abc'])).toEqual({ url: 'http://127.0.0.1:3000', symbols: ['AAPL'], token: 'abc' });
    expect(parseTailArgs(['AAPL'], undefined, 'from-env')).toEqual({ url: 'http://127.0.0.1:3000', symbols: ['AAPL'], token: 'from-env' });
    expect(parseTailArgs(['AAPL', '--token=flag'], undefined, 'from-env')).toMatchObject({ token: 'flag' });
    expect(parseTailArgs(['AAPL', '--token'])).toEqual({ error: '--token needs a value' });
  });
});
