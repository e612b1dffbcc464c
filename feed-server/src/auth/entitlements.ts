import { SYMBOL_MAX_LENGTH } from '@tickfeed/protocol';

/** What one user may do, from its token's claims. */
export interface Entitlement {
  /** Who (`sub`); undefined for an anonymous consumer (AUTH_MODE=none). */
  readonly sub: string | undefined;
  /** The `symbols` patterns, as given. */
  readonly patterns: readonly string[];
  /** Whether order-book depth is allowed (`book`, default false). */
  readonly book: boolean;
  /** The claim's own cap on one connection's subscriptions; undefined leaves the server's. */
  readonly maxSubscriptions: number | undefined;
  /** Whether the user may use the feed controls (`replayControl`, default false). */
  readonly replayControl: boolean;
  /** When the token expires, epoch ms; undefined for anonymous consumers. */
  readonly expiresAt: number | undefined;
  /** Whether the user may read this symbol. */
  allows(symbol: string): boolean;
}

/** AUTH_MODE=none: every consumer is this one, and it reads everything (today's behaviour). */
export const ANONYMOUS: Entitlement = Object.freeze({
  sub: undefined,
  patterns: Object.freeze(['*']),
  book: true,
  maxSubscriptions: undefined,
  replayControl: false,
  expiresAt: undefined,
  allows: () => true,
});

/** What a request that passed no access check gets with AUTH_MODE=jwt: nothing (fail closed). */
export const NOBODY: Entitlement = Object.freeze({
  sub: undefined,
  patterns: Object.freeze([]),
  book: false,
  maxSubscriptions: 0,
  replayControl: false,
  expiresAt: undefined,
  allows: () => false,
});

/** Most patterns one token may carry; more is a malformed token, not a slow match. */
export const MAX_PATTERNS = 1_000;
export const MAX_SUB_LENGTH = 256;

/**
 * A pattern is `*` (every symbol), an exact symbol (`AAPL`), or a prefix
 * followed by `*` (`BTC-*`), where `*` stands for one or more characters: so
 * `BTC-*` matches `BTC-USD` but neither `BTC` nor `BTC-`. Matching is exact in
 * case: symbols are upper case, and `aapl` matches nothing.
 */
const PATTERN = new RegExp(`^(\\*|[A-Z0-9][A-Z0-9._-]{0,${SYMBOL_MAX_LENGTH - 1}}\\*?)$`);

export function isValidPattern(pattern: unknown): pattern is string {
  return typeof pattern === 'string' && pattern.length <= SYMBOL_MAX_LENGTH + 1 && PATTERN.test(pattern);
}

/** Compiles patterns into one predicate: a set lookup for exact names, a prefix scan for the rest. */
export function symbolMatcher(patterns: readonly string[]): (symbol: string) => boolean {
  if (patterns.includes('*')) return () => true;
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const p of patterns) {
    if (p.endsWith('*')) prefixes.push(p.slice(0, -1));
    else exact.add(p);
  }
  return (symbol) => {
    if (exact.has(symbol)) return true;
    for (const prefix of prefixes) if (symbol.length > prefix.length && symbol.startsWith(prefix)) return true;
    return false;
  };
}

export type ClaimsResult = { ok: true; entitlement: Entitlement } | { ok: false; reason: string };

/**
 * Verified claims → Entitlement. Signature, `exp`, `nbf`, `iss` and `aud` are
 * checked before (token-verifier.ts); this checks the shape of our own claims.
 * A malformed claim refuses the whole token rather than guessing what was meant.
 */
export function entitlementFromClaims(claims: Readonly<Record<string, unknown>>): ClaimsResult {
  const { sub, exp, symbols, book, maxSubscriptions, replayControl } = claims;
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > MAX_SUB_LENGTH) {
    return { ok: false, reason: `sub must be a string of 1 to ${MAX_SUB_LENGTH} characters` };
  }
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return { ok: false, reason: 'exp is required' };
  let patterns: string[] = [];
  if (symbols !== undefined) {
    if (!Array.isArray(symbols) || symbols.length > MAX_PATTERNS) {
      return { ok: false, reason: `symbols must be a list of at most ${MAX_PATTERNS} patterns` };
    }
    const bad = symbols.find((p) => !isValidPattern(p));
    if (bad !== undefined) return { ok: false, reason: `symbols: '${String(bad).slice(0, 30)}' is not a pattern (AAPL, BTC-*, *)` };
    patterns = symbols as string[];
  }
  if (book !== undefined && typeof book !== 'boolean') return { ok: false, reason: 'book must be true or false' };
  if (replayControl !== undefined && typeof replayControl !== 'boolean') return { ok: false, reason: 'replayControl must be true or false' };
  if (maxSubscriptions !== undefined && (typeof maxSubscriptions !== 'number' || !Number.isInteger(maxSubscriptions) || maxSubscriptions < 0)) {
    return { ok: false, reason: 'maxSubscriptions must be a non-negative integer' };
  }
  return {
    ok: true,
    entitlement: Object.freeze({
      sub,
      patterns: Object.freeze([...patterns]),
      book: book ?? false,
      maxSubscriptions,
      replayControl: replayControl ?? false,
      expiresAt: exp * 1_000,
      allows: symbolMatcher(patterns),
    }),
  };
}

/** The subscription cap of one connection: the server's, lowered by the claim. */
export function connectionCap(serverCap: number, entitlement: Entitlement): number {
  return entitlement.maxSubscriptions === undefined ? serverCap : Math.min(serverCap, entitlement.maxSubscriptions);
}
