import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { mintDevToken, parseDevTokenArgs, parseTtl } from '../../src/auth/dev-token.js';
import { createTokenVerifier } from '../../src/auth/token-verifier.js';
import { testServerConfig } from '../../src/config.js';
import { TEST_SECRET, jwtConfig } from '../support/tokens.js';

describe('npm run token', () => {
  it('[A18] reads --sub, --symbols, --ttl and the optional claims; bad flags fail naming the flag', () => {
    expect(parseDevTokenArgs(['--sub', 'alice', '--symbols', 'AAPL, BTC-*', '--ttl', '1h'])).toEqual({
      sub: 'alice',
      symbols: ['AAPL', 'BTC-*'],
      ttlSec: 3_600,
      book: false,
      maxSubscriptions: undefined,
      replayControl: false,
    });
    expect(parseDevTokenArgs(['--sub', 'ops', '--book', '--max-subscriptions', '5', '--replay-control'])).toMatchObject({ symbols: [], book: true, maxSubscriptions: 5, replayControl: true, ttlSec: 3_600 });
    expect([parseTtl('90s'), parseTtl('15m'), parseTtl('2d'), parseTtl('30')]).toEqual([90, 900, 172_800, 30]);
    expect(() => parseTtl('1y')).toThrow(/--ttl/);
    expect(() => parseTtl('0s')).toThrow(/--ttl/);
    expect(() => parseDevTokenArgs(['--symbols', 'AAPL'])).toThrow(/--sub/);
    expect(() => parseDevTokenArgs(['--sub', 'a', '--symbols', 'aapl'])).toThrow(/--symbols/);
    expect(() => parseDevTokenArgs(['--sub', 'a', '--max-subscriptions', '-1'])).toThrow(/--max-subscriptions/);
    expect(() => parseDevTokenArgs(['--sub', 'a', '--bogus'])).toThrow();
  });

  it('[A18] the minted token passes the server\'s verifier with exactly the claims asked for', async () => {
    const config = testServerConfig(jwtConfig({ authIssuer: 'dev', authAudience: 'tickfeed' }));
    const nowSec = Math.floor(Date.now() / 1000);
    const token = await mintDevToken(parseDevTokenArgs(['--sub', 'alice', '--symbols', 'AAPL,BTC-*', '--ttl', '1h']), { secret: TEST_SECRET, issuer: 'dev', audience: 'tickfeed' }, nowSec);
    const result = await createTokenVerifier(config, pino({ level: 'silent' })).verify(token);
    if (!result.ok) throw new Error(result.reason);
    expect(result.entitlement).toMatchObject({ sub: 'alice', patterns: ['AAPL', 'BTC-*'], expiresAt: (nowSec + 3_600) * 1000, replayControl: false });
    expect(result.entitlement.allows('BTC-USD')).toBe(true);
    expect(result.entitlement.allows('MSFT')).toBe(false);
  });
});
