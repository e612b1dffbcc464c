import { isIP } from 'node:net';

/**
 * Whether a request's `Host` names this server. A DNS-rebinding page reaches
 * the server under the attacker's own name (its Origin then matches its Host),
 * so only names the operator listed pass. IP literals and localhost names are
 * always allowed: no outside DNS answer stands behind them, so nobody can
 * rebind them. Entries: exact names, `.example.com` for a domain and its
 * subdomains, `*` for any host. A request without Host (HTTP/1.0, not a
 * browser) passes.
 */
export function hostAllowed(host: string | undefined, allowed: readonly string[]): boolean {
  if (host === undefined) return true;
  const name = hostName(host);
  if (name === undefined) return false;
  if (isIP(name) !== 0 || name === 'localhost' || name.endsWith('.localhost')) return true;
  for (const entry of allowed) {
    if (entry === '*' || entry === name) return true;
    if (entry.startsWith('.') && (name === entry.slice(1) || name.endsWith(entry))) return true;
  }
  return false;
}

/** The lower-case host name of a Host header (no port, IPv6 brackets removed); undefined when malformed. */
export function hostName(host: string): string | undefined {
  const text = host.trim().toLowerCase();
  const bracketed = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/.exec(text);
  if (bracketed !== null) return bracketed[1];
  const plain = /^([a-z0-9_.-]+)(?::\d{1,5})?$/.exec(text);
  if (plain === null) return undefined;
  return plain[1]!.replace(/\.$/, '');
}

/**
 * The browser origin check: an Origin listed in CORS_ORIGINS (or `*`), or the
 * server's own origin, whose host must equal the request's Host. The Host
 * itself must pass `hostAllowed` first.
 */
export function originAllowed(origin: string, host: string | undefined, corsOrigins: readonly string[]): boolean {
  if (corsOrigins.includes('*') || corsOrigins.includes(origin)) return true;
  try {
    return host !== undefined && new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}
