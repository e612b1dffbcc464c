import { afterEach, describe, expect, it, vi } from 'vitest';
import { io as connect } from 'socket.io-client';
import { SignJWT } from 'jose';
import pino from 'pino';
import { ErrorCode } from '@tickfeed/protocol';
import { startServer, stopAll } from '../support/harness.js';
import { JwksServer, TEST_SECRET, jwtConfig, mint, rsaKeys, unsignedToken } from '../support/tokens.js';
import { createTokenVerifier } from '../../src/auth/token-verifier.js';
import { testServerConfig } from '../../src/config.js';

afterEach(stopAll);

type ConnectOutcome = { connected: true } | { connected: false; message: string; code: unknown };

/** Connects with `auth: { token }` and reports whether the server let the client in. */
function tryConnect(url: string, token: unknown): Promise<ConnectOutcome> {
  const socket = connect(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: token === undefined ? {} : { token } });
  return new Promise((resolve) => {
    socket.once('connect', () => {
      socket.disconnect();
      resolve({ connected: true });
    });
    socket.once('connect_error', (error: Error & { data?: { code?: unknown } }) => {
      socket.disconnect();
      resolve({ connected: false, message: error.message, code: error.data?.code });
    });
  });
}

function refused(reason: RegExp) {
  return { connected: false, message: expect.stringMatching(new RegExp(`^UNAUTHORIZED: ${reason.source}`)), code: ErrorCode.UNAUTHORIZED };
}

describe('access tokens (HS256 secret)', () => {
  it('[A3][A7] a valid token connects; missing, forged and hostile tokens are refused at connect with UNAUTHORIZED and a reason', async () => {
    const { url } = await startServer(jwtConfig({ authIssuer: 'https://login.test/', authAudience: 'tickfeed' }));
    const good = { iss: 'https://login.test/', aud: 'tickfeed', symbols: ['AAPL'] };
    const now = Math.floor(Date.now() / 1000);
    const valid = await mint(good);
    expect(await tryConnect(url, valid)).toEqual({ connected: true });

    expect(await tryConnect(url, undefined)).toEqual(refused(/missing token/));
    expect(await tryConnect(url, 42)).toEqual(refused(/missing token/));
    expect(await tryConnect(url, unsignedToken(good))).toEqual(refused(/algorithm not allowed|malformed/));
    expect(await tryConnect(url, await mint(good, { secret: 'another-secret-0123456789-abcdefghijkl' }))).toEqual(refused(/bad signature/));
    expect(await tryConnect(url, await mint(good, { alg: 'HS512' }))).toEqual(refused(/algorithm not allowed/));
    expect(await tryConnect(url, await mint({ ...good, exp: now - 60 }))).toEqual(refused(/token expired/));
    expect(await tryConnect(url, await mint({ ...good, nbf: now + 600 }))).toEqual(refused(/token not yet valid/));
    expect(await tryConnect(url, await mint({ ...good, iss: 'https://evil.test/' }))).toEqual(refused(/wrong issuer/));
    expect(await tryConnect(url, await mint({ ...good, aud: 'other' }))).toEqual(refused(/wrong audience/));
    expect(await tryConnect(url, valid.slice(0, valid.length - 10))).toEqual(refused(/bad signature|malformed/));
    expect(await tryConnect(url, valid.split('.').slice(0, 2).join('.'))).toEqual(refused(/malformed/));
    expect(await tryConnect(url, 'not-a-jwt')).toEqual(refused(/malformed/));
    // The payload swapped for one that grants everything, the signature kept: the signature no longer matches.
    const [header, , signature] = valid.split('.');
    const widened = Buffer.from(JSON.stringify({ sub: 'alice', exp: now + 3600, iss: good.iss, aud: good.aud, symbols: ['*'] })).toString('base64url');
    expect(await tryConnect(url, `${header}.${widened}.${signature}`)).toEqual(refused(/bad signature/));
  });

  it('[A3] a 100 KB token is refused by its size before any parsing, and the server stays up', async () => {
    const { url } = await startServer(jwtConfig());
    const huge = await mint({ symbols: ['AAPL'], padding: 'x'.repeat(100_000) });
    expect(huge.length).toBeGreaterThan(100_000);
    expect(await tryConnect(url, huge)).toEqual(refused(/token longer than 8192 bytes/));
    expect(await tryConnect(url, await mint({ symbols: ['AAPL'] }))).toEqual({ connected: true });
  });

  it('[A6] malformed claims refuse the whole token: no sub, bad patterns, ill-typed flags', async () => {
    const { url } = await startServer(jwtConfig());
    expect(await tryConnect(url, await mint({ sub: undefined, symbols: ['AAPL'] }))).toEqual(refused(/claim sub|bad claims: sub/));
    expect(await tryConnect(url, await mint({ symbols: 'AAPL' }))).toEqual(refused(/bad claims: symbols/));
    expect(await tryConnect(url, await mint({ symbols: ['aapl'] }))).toEqual(refused(/bad claims: symbols/));
    expect(await tryConnect(url, await mint({ symbols: ['A*B'] }))).toEqual(refused(/bad claims: symbols/));
    expect(await tryConnect(url, await mint({ symbols: ['AAPL'], replayControl: 'yes' }))).toEqual(refused(/bad claims: replayControl/));
    expect(await tryConnect(url, await mint({ symbols: ['AAPL'], maxSubscriptions: -1 }))).toEqual(refused(/bad claims: maxSubscriptions/));
  });
});

describe('access tokens (public keys)', () => {
  it('[A2][A3] with a PEM public key the algorithm is the key\'s: RS256 passes, HS256 signed with the public key text is refused', async () => {
    const keys = await rsaKeys('k1');
    const { url } = await startServer({ authMode: 'jwt', authJwtPublicKey: keys.publicPem, authJwtAlgorithms: ['RS256'] });
    expect(await tryConnect(url, await mint({ symbols: ['AAPL'] }, { alg: 'RS256', key: keys.privateKey }))).toEqual({ connected: true });
    // The classic confusion: an HMAC keyed with the (public) PEM text.
    const confused = await new SignJWT({ sub: 'alice', symbols: ['*'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(keys.publicPem));
    expect(await tryConnect(url, confused)).toEqual(refused(/algorithm not allowed/));
    const other = await rsaKeys('k2');
    expect(await tryConnect(url, await mint({ symbols: ['AAPL'] }, { alg: 'RS256', key: other.privateKey }))).toEqual(refused(/bad signature/));
    expect(await tryConnect(url, unsignedToken({ symbols: ['*'] }))).toEqual(refused(/algorithm not allowed|malformed/));
  });

  it('[A4] JWKS: keys are fetched once and cached; an unknown kid is refused without a refetch inside the cooldown; a rotated key is picked up by kid', async () => {
    const jwks = await JwksServer.start();
    const k1 = await rsaKeys('k1');
    const k2 = await rsaKeys('k2');
    jwks.keys = [k1.jwk];
    // The refetch cooldown is the cache age when that is shorter (1 s here), so the rotation shows within the test.
    const { url } = await startServer({ authMode: 'jwt', authJwksUrl: jwks.url, authJwtAlgorithms: ['RS256'], authJwksTimeoutMs: 300, authJwksCacheMs: 1_000 });
    const byK1 = await mint({ symbols: ['AAPL'] }, { alg: 'RS256', key: k1.privateKey, kid: 'k1' });
    expect(await tryConnect(url, byK1)).toEqual({ connected: true });
    expect(await tryConnect(url, byK1)).toEqual({ connected: true });
    expect(jwks.requests).toBe(1);

    const byK2 = await mint({ symbols: ['AAPL'] }, { alg: 'RS256', key: k2.privateKey, kid: 'k2' });
    expect(await tryConnect(url, byK2)).toEqual(refused(/no key for this token/));
    expect(await tryConnect(url, await mint({ symbols: ['AAPL'] }, { alg: 'RS256', key: k2.privateKey, kid: 'nope' }))).toEqual(refused(/no key for this token/));
    expect(jwks.requests).toBe(1);

    // Rotation: the issuer publishes k2; once the cooldown is over a token with the new kid makes the server fetch the set again.
    jwks.keys = [k1.jwk, k2.jwk];
    await vi.waitFor(async () => expect(await tryConnect(url, byK2)).toEqual({ connected: true }), { timeout: 5_000, interval: 200 });
    expect(jwks.requests).toBe(2);
    expect(await tryConnect(url, byK1)).toEqual({ connected: true });
  });

  it('[A4] JWKS down or slow: tokens are refused (key set unavailable) within AUTH_JWKS_TIMEOUT_MS, and accepted once it answers', async () => {
    const jwks = await JwksServer.start();
    const k1 = await rsaKeys('k1');
    jwks.keys = [k1.jwk];
    jwks.down = true;
    const { url } = await startServer({ authMode: 'jwt', authJwksUrl: jwks.url, authJwtAlgorithms: ['RS256'], authJwksTimeoutMs: 300 });
    const token = await mint({ symbols: ['AAPL'] }, { alg: 'RS256', key: k1.privateKey, kid: 'k1' });
    expect(await tryConnect(url, token)).toEqual(refused(/key set unavailable/));

    const slow = await JwksServer.start();
    slow.keys = [k1.jwk];
    slow.delayMs = 5_000;
    const slowServer = await startServer({ authMode: 'jwt', authJwksUrl: slow.url, authJwtAlgorithms: ['RS256'], authJwksTimeoutMs: 300 });
    const started = Date.now();
    expect(await tryConnect(slowServer.url, token)).toEqual(refused(/key set unavailable/));
    expect(Date.now() - started).toBeLessThan(2_000);

    jwks.down = false;
    const healthy = await startServer({ authMode: 'jwt', authJwksUrl: jwks.url, authJwtAlgorithms: ['RS256'], authJwksTimeoutMs: 300 });
    expect(await tryConnect(healthy.url, token)).toEqual({ connected: true });
  });
});

describe('token verifier', () => {
  it('[A3] reports an expired token as TOKEN_EXPIRED (for renewals) and never throws on junk', async () => {
    const verifier = createTokenVerifier(testServerConfig(jwtConfig()), pino({ level: 'silent' }));
    const expired = await mint({ symbols: ['AAPL'] }, { ttlSec: -60 });
    expect(await verifier.verify(expired)).toEqual({ ok: false, code: ErrorCode.TOKEN_EXPIRED, reason: 'token expired' });
    for (const junk of [null, {}, [], '', '.', '..', 'a.b.c', '\u0000'.repeat(10), `${Buffer.from('{').toString('base64url')}.e30.`]) {
      const result = await verifier.verify(junk);
      expect(result.ok).toBe(false);
    }
    const ok = await verifier.verify(await mint({ symbols: ['AAPL', 'BTC-*'], maxSubscriptions: 3, replayControl: true, book: true }));
    expect(ok.ok && { sub: ok.entitlement.sub, patterns: ok.entitlement.patterns, max: ok.entitlement.maxSubscriptions, rc: ok.entitlement.replayControl, book: ok.entitlement.book }).toEqual({
      sub: 'alice',
      patterns: ['AAPL', 'BTC-*'],
      max: 3,
      rc: true,
      book: true,
    });
    expect(TEST_SECRET.length).toBeGreaterThanOrEqual(32);
  });
});
