import { createPublicKey } from 'node:crypto';
import { ConfigError, type AuthMode } from '../config.js';

/** Algorithms a verifier may be configured with; `none` is never one of them. */
export const HMAC_ALGORITHMS: readonly string[] = ['HS256', 'HS384', 'HS512'];
export const ASYMMETRIC_ALGORITHMS: readonly string[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** Shortest HS256 secret accepted: a shorter one can be brute-forced from any token. */
export const MIN_SECRET_BYTES = 32;

export interface AuthKeySettings {
  authMode: AuthMode;
  authJwtSecret: string | undefined;
  authJwtPublicKey: string | undefined;
  authJwksUrl: string | undefined;
  authJwtAlgorithms: readonly string[];
}

/**
 * Checks the key settings together: with AUTH_MODE=jwt exactly one key source,
 * and the accepted algorithms pinned here (never read from a token), matching
 * the key's kind, so an HMAC token can never be checked against a public key.
 */
export function parseAuthSettings(input: {
  mode: AuthMode;
  secret: string | undefined;
  publicKey: string | undefined;
  jwksUrl: string | undefined;
  algorithms: string | undefined;
}): AuthKeySettings {
  const publicKey = input.publicKey?.replace(/\\n/g, '\n');
  const sources = [
    input.secret !== undefined ? 'AUTH_JWT_SECRET' : undefined,
    publicKey !== undefined ? 'AUTH_JWT_PUBLIC_KEY' : undefined,
    input.jwksUrl !== undefined ? 'AUTH_JWKS_URL' : undefined,
  ].filter((s) => s !== undefined);
  if (input.mode === 'jwt' && sources.length !== 1) {
    throw new ConfigError(
      `AUTH_MODE=jwt needs exactly one of AUTH_JWT_SECRET, AUTH_JWT_PUBLIC_KEY, AUTH_JWKS_URL (got ${sources.length === 0 ? 'none' : sources.join(', ')})`,
    );
  }
  if (input.secret !== undefined && Buffer.byteLength(input.secret) < MIN_SECRET_BYTES) {
    throw new ConfigError(`AUTH_JWT_SECRET must be at least ${MIN_SECRET_BYTES} bytes`);
  }
  let keyAlgorithm: string | undefined;
  if (publicKey !== undefined) keyAlgorithm = algorithmOfPem(publicKey);
  if (input.jwksUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(input.jwksUrl);
    } catch {
      throw new ConfigError(`AUTH_JWKS_URL must be an http:// or https:// URL, got '${input.jwksUrl}'`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new ConfigError(`AUTH_JWKS_URL must be an http:// or https:// URL, got '${input.jwksUrl}'`);
    }
  }
  const hmac = input.secret !== undefined;
  const fallback = hmac ? ['HS256'] : keyAlgorithm !== undefined ? [keyAlgorithm] : input.jwksUrl !== undefined ? ['RS256'] : [];
  const algorithms =
    input.algorithms === undefined
      ? fallback
      : input.algorithms
          .split(',')
          .map((a) => a.trim())
          .filter((a) => a.length > 0);
  for (const alg of algorithms) {
    const allowed = hmac ? HMAC_ALGORITHMS : ASYMMETRIC_ALGORITHMS;
    if (!allowed.includes(alg)) {
      throw new ConfigError(`AUTH_JWT_ALGORITHMS: '${alg}' does not fit the key (${hmac ? 'a secret takes' : 'a public key takes'} ${allowed.join(', ')})`);
    }
  }
  if (input.mode === 'jwt' && algorithms.length === 0) throw new ConfigError('AUTH_JWT_ALGORITHMS must name at least one algorithm');
  return {
    authMode: input.mode,
    authJwtSecret: input.secret,
    authJwtPublicKey: publicKey,
    authJwksUrl: input.jwksUrl,
    authJwtAlgorithms: Object.freeze(algorithms),
  };
}

/** The one algorithm a PEM public key verifies (the key's own kind and curve). */
function algorithmOfPem(pem: string): string {
  let key;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw new ConfigError('AUTH_JWT_PUBLIC_KEY is not a PEM public key');
  }
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return 'RS256';
    case 'rsa-pss':
      return 'PS256';
    case 'ed25519':
      return 'EdDSA';
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (curve === 'prime256v1') return 'ES256';
      if (curve === 'secp384r1') return 'ES384';
      if (curve === 'secp521r1') return 'ES512';
      throw new ConfigError(`AUTH_JWT_PUBLIC_KEY: unsupported EC curve ${curve ?? 'unknown'}`);
    }
    default:
      throw new ConfigError(`AUTH_JWT_PUBLIC_KEY: unsupported key type ${key.asymmetricKeyType ?? 'unknown'}`);
  }
}
