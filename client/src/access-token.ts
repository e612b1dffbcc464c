import { decodeJwt } from 'jose';

/**
 * An access token (AUTH_MODE=jwt servers), or a function that fetches a
 * current one: the client calls it on every connect and before the token it
 * holds expires, so a callback keeps a connection alive indefinitely.
 */
export type AccessTokenSource = string | (() => string | Promise<string>);

export async function resolveToken(source: AccessTokenSource): Promise<string> {
  return typeof source === 'string' ? source : await source();
}

/** When a token expires (epoch ms), read without verifying it (the server verifies); undefined when it does not say. */
export function tokenExpiry(token: string): number | undefined {
  try {
    const { exp } = decodeJwt(token);
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1_000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * How long to wait before renewing a token that expires at `expiresAt`:
 * `renewBeforeMs` ahead of it, or halfway through the time left when that is
 * shorter, so a short-lived token is still renewed in time. Never negative.
 */
export function renewDelay(expiresAt: number, now: number, renewBeforeMs: number): number {
  const left = expiresAt - now;
  if (left <= 0) return 0;
  return left > 2 * renewBeforeMs ? left - renewBeforeMs : Math.floor(left / 2);
}
