import fp from 'fastify-plugin';
import { createTokenVerifier } from '../auth/token-verifier.js';
import { ConsumerAuth } from '../auth/socket-auth.js';
import { restAccess } from '../auth/rest-auth.js';
import type { PartOptions } from './server-parts.js';

/**
 * Access control (`fastify.access`): the token verifier (AUTH_MODE=jwt), the
 * consumers' entitlements and per-user limits on Socket.IO, and the hooks that
 * guard the REST routes and the SSE stream. docs/access-control.md.
 */
export const accessControlPlugin = fp<PartOptions>(
  async (fastify, { config, log }) => {
    const metrics = fastify.feedMetrics;
    const { fanout, clientFlushers } = fastify.feed;
    const verifier = config.authMode === 'jwt' ? createTokenVerifier(config, log) : undefined;
    if (verifier === undefined) log.info('AUTH_MODE=none: consumers are anonymous and may read every symbol (set AUTH_MODE=jwt to require access tokens)');
    else log.info({ algorithms: config.authJwtAlgorithms, jwks: config.authJwksUrl !== undefined }, 'AUTH_MODE=jwt: consumers need an access token');
    const auth = new ConsumerAuth(verifier, config, { metrics, log, now: Date.now, flushClient: (id) => {
        fanout.flushClient(id);
        for (const flush of clientFlushers) flush(id);
      },
    });
    fastify.decorate('access', { verifier, auth, rest: restAccess(verifier, config.adminToken) });
  },
  { name: 'tickfeed-access-control', dependencies: ['tickfeed-feed'] },
);
