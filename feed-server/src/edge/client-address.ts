import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';
import type { TrustProxy } from '../config.js';

/** Whether the hop at `address`, `hop` steps from this server (0 = the TCP peer), may set X-Forwarded-For. */
export type TrustFn = (address: string, hop: number) => boolean;

const compiled = new WeakMap<TrustProxy, TrustFn>();

/**
 * TRUST_PROXY as a trust function. Fastify takes the same function as its
 * `trustProxy`, so REST (request.ip, the rate limit), SSE and Socket.IO
 * handshakes all read the client's address the same way.
 */
export function trustFunction(trust: TrustProxy): TrustFn {
  let fn = compiled.get(trust);
  if (fn === undefined) {
    fn = compileTrust(trust);
    compiled.set(trust, fn);
  }
  return fn;
}

function compileTrust(trust: TrustProxy): TrustFn {
  switch (trust.kind) {
    case 'none':
      return () => false;
    case 'addresses':
      return proxyAddr.compile([...trust.addresses]);
    case 'hops': {
      const hops = trust.hops;
      return (_address, hop) => hop < hops;
    }
  }
}

/**
 * The client's address: the TCP peer, or, when the peer is a trusted proxy,
 * the right-most X-Forwarded-For entry that is not itself trusted. Entries
 * left of it were written by the client and are never believed.
 */
export function clientAddress(req: IncomingMessage, trust: TrustProxy): string {
  return proxyAddr(req, trustFunction(trust));
}

/** The address of a Socket.IO connection (consumer or publisher). */
export function clientIp(socket: { request: IncomingMessage }, trust: TrustProxy): string {
  return clientAddress(socket.request, trust);
}
