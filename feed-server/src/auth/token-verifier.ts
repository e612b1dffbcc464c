import { createPublicKey, type KeyObject } from 'node:crypto';
import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { ErrorCode } from '@tickfeed/protocol';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config.js';
import { entitlementFromClaims, type Entitlement } from './entitlements.js';

export type VerifyResult =
  | { ok: true; entitlement: Entitlement }
  | { ok: false; code: typeof ErrorCode.UNAUTHORIZED | typeof ErrorCode.TOKEN_EXPIRED; reason: string };

/** Checks an access token and turns its claims into an Entitlement. Never throws; never logs the token. */
export interface TokenVerifier {
  verify(token: unknown): Promise<VerifyResult>;
}

type AuthSettings = Pick<
  ServerConfig,
  | 'authJwtSecret'
  | 'authJwtPublicKey'
  | 'authJwksUrl'
  | 'authJwtAlgorithms'
  | 'authIssuer'
  | 'authAudience'
  | 'authClockToleranceSec'
  | 'authMaxTokenBytes'
  | 'authJwksTimeoutMs'
  | 'authJwksCacheMs'
>;

/** Shortest wait between two JWKS fetches for an unknown `kid`, so forged kids cannot hammer the key server. */
const JWKS_COOLDOWN_MS = 30_000;

/**
 * Builds the verifier for the configured key source: an HMAC secret, a PEM
 * public key, or a remote JWKS (fetched on first use, cached, fetched again
 * for an unknown `kid` at most once per cooldown, each fetch bounded by a
 * timeout). The accepted algorithms come from the configuration only.
 */
export function createTokenVerifier(config: AuthSettings, log: Logger): TokenVerifier {
  const key = verificationKey(config);
  const options = {
    algorithms: [...config.authJwtAlgorithms],
    clockTolerance: config.authClockToleranceSec,
    requiredClaims: ['exp', 'sub'],
    ...(config.authIssuer !== undefined ? { issuer: config.authIssuer } : {}),
    ...(config.authAudience !== undefined ? { audience: config.authAudience } : {}),
  };
  return {
    async verify(token) {
      if (typeof token !== 'string' || token.length === 0) return refuse('missing token');
      if (token.length > config.authMaxTokenBytes) return refuse(`token longer than ${config.authMaxTokenBytes} bytes`);
      try {
        const { payload } =
          typeof key === 'function' ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options);
        const claims = entitlementFromClaims(payload);
        return claims.ok ? claims : refuse(`bad claims: ${claims.reason}`);
      } catch (error) {
        return explain(error, log);
      }
    },
  };
}

function verificationKey(config: AuthSettings): Uint8Array | KeyObject | JWTVerifyGetKey {
  if (config.authJwtSecret !== undefined) return new TextEncoder().encode(config.authJwtSecret);
  if (config.authJwtPublicKey !== undefined) return createPublicKey({ key: config.authJwtPublicKey, format: 'pem' });
  if (config.authJwksUrl !== undefined) {
    return createRemoteJWKSet(new URL(config.authJwksUrl), {
      timeoutDuration: config.authJwksTimeoutMs,
      cacheMaxAge: config.authJwksCacheMs,
      cooldownDuration: Math.min(JWKS_COOLDOWN_MS, config.authJwksCacheMs),
    });
  }
  throw new Error('createTokenVerifier needs a key source (config.ts checks that AUTH_MODE=jwt has one)');
}

function refuse(reason: string): VerifyResult {
  return { ok: false, code: ErrorCode.UNAUTHORIZED, reason };
}

/** A short, token-free reason for each way a token fails; key-set outages are logged (without the token). */
function explain(error: unknown, log: Logger): VerifyResult {
  if (error instanceof errors.JWTExpired) return { ok: false, code: ErrorCode.TOKEN_EXPIRED, reason: 'token expired' };
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return refuse('token not yet valid');
    if (error.claim === 'iss') return refuse('wrong issuer');
    if (error.claim === 'aud') return refuse('wrong audience');
    return refuse(`claim ${error.claim.slice(0, 20)} missing or invalid`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return refuse('algorithm not allowed');
  if (error instanceof errors.JWSSignatureVerificationFailed) return refuse('bad signature');
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) return refuse('no key for this token (kid)');
  if (error instanceof errors.JWKSTimeout) {
    log.warn('access token refused: the JWKS endpoint did not answer in time');
    return refuse('key set unavailable');
  }
  if (error instanceof errors.JWKSInvalid) {
    log.warn('access token refused: the JWKS endpoint sent an invalid key set');
    return refuse('key set unavailable');
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid || error instanceof errors.JOSENotSupported) {
    return refuse('malformed token');
  }
  // The base class itself (no subclass) is what a key set answer other than 200 OK raises.
  if (error instanceof errors.JOSEError && error.constructor !== errors.JOSEError) return refuse('invalid token');
  // Anything else comes from fetching the key set (connection refused, bad status...).
  log.warn({ error: error instanceof Error ? error.message.slice(0, 200) : 'unknown' }, 'access token refused: the JWKS endpoint is unavailable');
  return refuse('key set unavailable');
}
