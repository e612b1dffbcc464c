import type { FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode, errorReply } from '@tickfeed/protocol';
import { tokensEqual } from '../ingest/ingest-namespace.js';
import { ANONYMOUS, NOBODY, type Entitlement } from './entitlements.js';
import type { TokenVerifier } from './token-verifier.js';

/** An async onRequest hook: resolves with the reply when it answered (refused), undefined to go on. */
type Hook = (req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>;

/**
 * Access control of the HTTP API, as `onRequest` hooks: they run before the
 * body and query are validated, so an unauthenticated caller learns nothing,
 * not even the request schema. Every route of market data takes one.
 */
export interface RestAccess {
  /** A valid access token in `Authorization: Bearer` (AUTH_MODE=jwt), else 401 UNAUTHORIZED. */
  readonly authenticate: Hook;
  /** As authenticate, and the route's `:symbol` must be covered by the claims, else 403 FORBIDDEN. */
  readonly symbol: Hook;
  /** As authenticate, also taking the token from the `access_token` query parameter (EventSource cannot set headers). */
  readonly stream: Hook;
  /** POST /api/feed/control: ADMIN_TOKEN, or (AUTH_MODE=jwt) an access token with `replayControl`. */
  readonly control: Hook;
  /** The entitlement an authenticated request carries (ANONYMOUS with AUTH_MODE=none). */
  entitlementOf(req: FastifyRequest): Entitlement;
}

export function restAccess(verifier: TokenVerifier | undefined, adminToken: string | undefined): RestAccess {
  const granted = new WeakMap<FastifyRequest, Entitlement>();

  /** The request's entitlement, or the 401 reply already sent. */
  async function check(req: FastifyRequest, reply: FastifyReply, token: string | undefined): Promise<Entitlement | FastifyReply> {
    if (verifier === undefined) return ANONYMOUS;
    const result = await verifier.verify(token);
    if (result.ok) {
      granted.set(req, result.entitlement);
      return result.entitlement;
    }
    return reply
      .code(401)
      .header('www-authenticate', 'Bearer error="invalid_token"')
      .send(errorReply(ErrorCode.UNAUTHORIZED, token === undefined ? 'an access token is required (Authorization: Bearer <token>)' : result.reason));
  }

  function forbidden(reply: FastifyReply, what: string): FastifyReply {
    return reply.code(403).send(errorReply(ErrorCode.FORBIDDEN, `your access does not cover ${what}`));
  }

  return {
    async authenticate(req, reply) {
      const entitlement = await check(req, reply, bearer(req));
      return isReply(entitlement) ? entitlement : undefined;
    },
    async symbol(req, reply) {
      const entitlement = await check(req, reply, bearer(req));
      if (isReply(entitlement)) return entitlement;
      const symbol = (req.params as { symbol?: unknown }).symbol;
      return typeof symbol === 'string' && !entitlement.allows(symbol) ? forbidden(reply, symbol.slice(0, 40)) : undefined;
    },
    async stream(req, reply) {
      const query = req.query as { access_token?: unknown };
      const fromQuery = typeof query.access_token === 'string' ? query.access_token : undefined;
      const entitlement = await check(req, reply, bearer(req) ?? fromQuery);
      return isReply(entitlement) ? entitlement : undefined;
    },
    async control(req, reply) {
      const given = bearer(req);
      if (given !== undefined && adminToken !== undefined && tokensEqual(given, adminToken)) return undefined;
      if (verifier === undefined) {
        return reply
          .code(401)
          .send(errorReply(ErrorCode.UNAUTHORIZED, adminToken === undefined ? 'the control API is disabled (ADMIN_TOKEN is not set)' : 'missing or wrong admin token'));
      }
      const entitlement = await check(req, reply, given);
      if (isReply(entitlement)) return entitlement;
      return entitlement.replayControl ? undefined : forbidden(reply, 'the feed controls (replayControl)');
    },
    entitlementOf(req) {
      return granted.get(req) ?? (verifier === undefined ? ANONYMOUS : NOBODY);
    },
  };
}

function isReply(value: Entitlement | FastifyReply): value is FastifyReply {
  return !('allows' in value);
}

function bearer(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return undefined;
  return /^Bearer (.+)$/.exec(header)?.[1];
}
