import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { connectionCap, entitlementFromClaims, isValidPattern, symbolMatcher } from '../../src/auth/entitlements.js';
import { ExpiryWheel } from '../../src/auth/expiry-wheel.js';
import { UserLimits } from '../../src/auth/user-limits.js';
import { ConfigError, loadServerConfig } from '../../src/config.js';

const exp = 2_000_000_000;

describe('symbol patterns', () => {
  it('[A5] exact names, PREFIX* (one or more characters) and *; case is exact', () => {
    const allows = symbolMatcher(['AAPL', 'BTC-*']);
    expect(allows('AAPL')).toBe(true);
    expect(allows('AAPLX')).toBe(false);
    expect(allows('AAP')).toBe(false);
    expect(allows('BTC-USD')).toBe(true);
    expect(allows('BTC-EUR')).toBe(true);
    expect(allows('BTC')).toBe(false);
    expect(allows('BTC-')).toBe(false);
    expect(allows('BTCUSD')).toBe(false);
    expect(allows('ETH-USD')).toBe(false);
    expect(allows('aapl')).toBe(false);
    expect(allows('btc-usd')).toBe(false);
    expect(symbolMatcher(['*'])('ANYTHING')).toBe(true);
    expect(symbolMatcher([])('AAPL')).toBe(false);
  });

  it('[A5] only well-formed patterns are valid: no lower case, no inner or leading star, no over-long names', () => {
    for (const p of ['AAPL', 'BTC-*', '*', 'BRK.B', 'A*', 'X'.repeat(20), `${'X'.repeat(20)}*`]) expect(isValidPattern(p), p).toBe(true);
    for (const p of ['', 'aapl', 'A*B', '*A', '**', 'BTC-**', ' AAPL', 'X'.repeat(21), 42, null]) expect(isValidPattern(p), String(p)).toBe(false);
  });
});

describe('claims', () => {
  it('[A6] sub and exp are required; symbols default to none; book, maxSubscriptions, replayControl are read', () => {
    const full = entitlementFromClaims({ sub: 'alice', exp, symbols: ['AAPL'], book: true, maxSubscriptions: 5, replayControl: true });
    expect(full.ok).toBe(true);
    if (!full.ok) return;
    expect(full.entitlement).toMatchObject({ sub: 'alice', patterns: ['AAPL'], book: true, maxSubscriptions: 5, replayControl: true, expiresAt: exp * 1000 });
    const bare = entitlementFromClaims({ sub: 'bob', exp });
    expect(bare.ok && { allowsAapl: bare.entitlement.allows('AAPL'), book: bare.entitlement.book, rc: bare.entitlement.replayControl }).toEqual({
      allowsAapl: false,
      book: false,
      rc: false,
    });
    expect(entitlementFromClaims({ exp, symbols: ['AAPL'] })).toEqual({ ok: false, reason: expect.stringContaining('sub') });
    expect(entitlementFromClaims({ sub: '', exp })).toEqual({ ok: false, reason: expect.stringContaining('sub') });
    expect(entitlementFromClaims({ sub: 'x'.repeat(300), exp })).toEqual({ ok: false, reason: expect.stringContaining('sub') });
    expect(entitlementFromClaims({ sub: 'a' })).toEqual({ ok: false, reason: 'exp is required' });
    expect(entitlementFromClaims({ sub: 'a', exp, symbols: new Array(1_001).fill('AAPL') })).toEqual({ ok: false, reason: expect.stringContaining('at most 1000') });
    expect(entitlementFromClaims({ sub: 'a', exp, maxSubscriptions: 1.5 })).toEqual({ ok: false, reason: expect.stringContaining('maxSubscriptions') });
    expect(entitlementFromClaims({ sub: 'a', exp, book: 1 })).toEqual({ ok: false, reason: expect.stringContaining('book') });
  });

  it('[A9] the claim lowers the connection cap, never raises it', () => {
    const with3 = entitlementFromClaims({ sub: 'a', exp, maxSubscriptions: 3 });
    const with900 = entitlementFromClaims({ sub: 'a', exp, maxSubscriptions: 900 });
    const without = entitlementFromClaims({ sub: 'a', exp });
    if (!with3.ok || !with900.ok || !without.ok) throw new Error('claims refused');
    expect(connectionCap(200, with3.entitlement)).toBe(3);
    expect(connectionCap(200, with900.entitlement)).toBe(200);
    expect(connectionCap(200, without.entitlement)).toBe(200);
  });
});

describe('expiry wheel', () => {
  it('[A11] hands out each item once, only after its deadline (to the resolution), and follows reschedules and cancels', () => {
    const wheel = new ExpiryWheel<string>(1_000, 10_000);
    wheel.schedule('a', 12_500);
    wheel.schedule('b', 12_999);
    wheel.schedule('c', 15_000);
    wheel.schedule('d', 5_000); // already past: due at the next sweep
    expect(wheel.takeDue(10_500)).toEqual([]);
    expect(wheel.takeDue(11_000)).toEqual(['d']);
    expect(wheel.takeDue(12_900)).toEqual([]);
    expect(wheel.takeDue(13_000).sort()).toEqual(['a', 'b']);
    wheel.schedule('c', 20_000); // renewed
    expect(wheel.takeDue(16_000)).toEqual([]);
    wheel.schedule('e', 17_000);
    wheel.cancel('e');
    expect(wheel.takeDue(19_000)).toEqual([]);
    expect(wheel.size).toBe(1);
    expect(wheel.takeDue(21_000)).toEqual(['c']);
    expect(wheel.takeDue(30_000)).toEqual([]);
    expect(wheel.size).toBe(0);
  });
});

describe('per-user limits', () => {
  it('[A12] the cap counts what all the user\'s connections hold; the bucket is shared; the last connection frees the user', () => {
    let now = 0;
    const held = new Map<string, number>();
    const limits = new UserLimits<string>({ maxSubscriptions: 10, burst: 2, ratePerSec: 1 }, (c) => held.get(c) ?? 0, () => now);
    limits.add('alice', 'c1');
    limits.add('alice', 'c2');
    limits.add('bob', 'c3');
    held.set('c1', 4).set('c2', 3).set('c3', 9);
    expect(limits.room('alice')).toBe(3);
    expect(limits.room('bob')).toBe(1);
    expect(limits.take('alice')).toBe(true);
    expect(limits.take('alice')).toBe(true);
    expect(limits.take('alice')).toBe(false);
    expect(limits.take('bob')).toBe(true);
    now += 1_000;
    expect(limits.take('alice')).toBe(true);
    limits.remove('alice', 'c1');
    held.delete('c1');
    expect(limits.room('alice')).toBe(7);
    limits.remove('alice', 'c2');
    expect(limits.size).toBe(1);
  });
});

describe('per-user limits with other instances', () => {
  it('[A12] other instances\' holdings count against the cap, and each request costs one token per instance the user is on', () => {
    const limits = new UserLimits<string>({ maxSubscriptions: 10, burst: 4, ratePerSec: 2 }, () => 3, () => 0);
    limits.add('alice', 'c1');
    limits.setRemote({ held: (sub) => (sub === 'alice' ? 5 : 0), instances: (sub) => (sub === 'alice' ? 1 : 0) });
    expect(limits.room('alice')).toBe(2);
    expect(limits.take('alice')).toBe(true);
    expect(limits.take('alice')).toBe(true);
    expect(limits.take('alice')).toBe(false);
    limits.setRemote({ held: () => 0, instances: () => 0 });
    expect(limits.room('alice')).toBe(7);
  });
});

describe('key settings', () => {
  const base = { AUTH_MODE: 'jwt' };
  it('[A1] AUTH_MODE defaults to none and needs no key', () => {
    expect(loadServerConfig({ env: {} }).authMode).toBe('none');
  });

  it('[A2] jwt mode needs exactly one key source; algorithms are pinned by the key kind and never include none', () => {
    const secret = 's'.repeat(32);
    expect(loadServerConfig({ env: { ...base, AUTH_JWT_SECRET: secret } }).authJwtAlgorithms).toEqual(['HS256']);
    expect(() => loadServerConfig({ env: base })).toThrow(ConfigError);
    expect(() => loadServerConfig({ env: { ...base, AUTH_JWT_SECRET: secret, AUTH_JWKS_URL: 'https://x.test/jwks' } })).toThrow(/exactly one/);
    expect(() => loadServerConfig({ env: { ...base, AUTH_JWT_SECRET: 'short' } })).toThrow(/at least 32 bytes/);
    expect(() => loadServerConfig({ env: { ...base, AUTH_JWT_SECRET: secret, AUTH_JWT_ALGORITHMS: 'RS256' } })).toThrow(/AUTH_JWT_ALGORITHMS/);
    expect(() => loadServerConfig({ env: { ...base, AUTH_JWT_SECRET: secret, AUTH_JWT_ALGORITHMS: 'none' } })).toThrow(/AUTH_JWT_ALGORITHMS/);
    expect(() => loadServerConfig({ env: { ...base, AUTH_JWKS_URL: 'https://x.test/jwks', AUTH_JWT_ALGORITHMS: 'HS256' } })).toThrow(/AUTH_JWT_ALGORITHMS/);
    expect(() => loadServerConfig({ env: { ...base, AUTH_JWKS_URL: 'ftp://x.test/jwks' } })).toThrow(/AUTH_JWKS_URL/);
    expect(loadServerConfig({ env: { ...base, AUTH_JWKS_URL: 'https://x.test/jwks' } }).authJwtAlgorithms).toEqual(['RS256']);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const ed = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(loadServerConfig({ env: { ...base, AUTH_JWT_PUBLIC_KEY: ec } }).authJwtAlgorithms).toEqual(['ES256']);
    // Environment files often carry a PEM on one line with \n escapes.
    expect(loadServerConfig({ env: { ...base, AUTH_JWT_PUBLIC_KEY: ed.replace(/\n/g, '\\n') } }).authJwtAlgorithms).toEqual(['EdDSA']);
    expect(() => loadServerConfig({ env: { ...base, AUTH_JWT_PUBLIC_KEY: 'not a key' } })).toThrow(/AUTH_JWT_PUBLIC_KEY/);
    expect(() => loadServerConfig({ env: { AUTH_MODE: 'sometimes' } })).toThrow(/AUTH_MODE/);
  });
});
