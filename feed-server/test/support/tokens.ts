import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type JWK, type JWTPayload } from 'jose';
import type { ServerConfig } from '../../src/config.js';
import { onCleanup } from './harness.js';

/** The HS256 secret the tests configure (32+ bytes). */
export const TEST_SECRET = 'test-secret-0123456789-abcdefghijklmnop';

/** Server settings for AUTH_MODE=jwt with the test secret. */
export function jwtConfig(overrides: Partial<ServerConfig> = {}): Partial<ServerConfig> {
  return { authMode: 'jwt', authJwtSecret: TEST_SECRET, authJwtAlgorithms: ['HS256'], ...overrides };
}

export interface MintOptions {
  /** Seconds from now until exp (default 3600; negative for an expired token). */
  ttlSec?: number;
  secret?: string | Uint8Array;
  alg?: string;
  kid?: string;
  /** A CryptoKey (asymmetric) to sign with instead of the secret. */
  key?: CryptoKey;
}

/** A signed access token with these claims (sub defaults to alice). */
export async function mint(claims: JWTPayload & Record<string, unknown>, options: MintOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ sub: 'alice', ...claims })
    .setProtectedHeader({ alg: options.alg ?? 'HS256', ...(options.kid !== undefined ? { kid: options.kid } : {}) })
    .setIssuedAt(now);
  if (claims.exp === undefined) jwt.setExpirationTime(now + (options.ttlSec ?? 3600));
  const key = options.key ?? (typeof options.secret === 'object' ? options.secret : new TextEncoder().encode(options.secret ?? TEST_SECRET));
  return jwt.sign(key);
}

/** An unsigned token (`alg: none`) with these claims, built by hand as an attacker would. */
export function unsignedToken(claims: Record<string, unknown>): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ sub: 'alice', exp: Math.floor(Date.now() / 1000) + 3600, ...claims })}.`;
}

export interface RsaKeys {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicPem: string;
  jwk: JWK;
}

export async function rsaKeys(kid: string): Promise<RsaKeys> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const { exportSPKI } = await import('jose');
  return { privateKey, publicKey, publicPem: await exportSPKI(publicKey), jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

/** A JWKS endpoint on loopback whose keys, delay and availability the test controls. */
export class JwksServer {
  keys: JWK[] = [];
  delayMs = 0;
  down = false;
  requests = 0;
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<JwksServer> {
    let self!: JwksServer;
    const server = createServer((req, res) => {
      self.requests++;
      if (self.down) {
        res.writeHead(503).end();
        return;
      }
      const timer = setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: self.keys })), self.delayMs);
      req.on('close', () => clearTimeout(timer));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    self = new JwksServer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`);
    onCleanup(() => self.stop());
    return self;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
