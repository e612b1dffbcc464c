import { TokenBucket } from '../consumer/token-bucket.js';

/**
 * Limits per user (`sub`) across that user's connections on this instance: a
 * cap on the subscriptions they hold together and one token bucket for their
 * subscribe/unsubscribe/refresh requests. Subscriptions are not counted here:
 * `held` reads each connection's own count (its rooms), so nothing can drift.
 */
export class UserLimits<C> {
  private readonly users = new Map<string, { connections: Set<C>; bucket: TokenBucket }>();

  constructor(
    private readonly limits: { maxSubscriptions: number; burst: number; ratePerSec: number },
    private readonly held: (connection: C) => number,
    private readonly now: () => number,
  ) {}

  /** Users with at least one connection. */
  get size(): number {
    return this.users.size;
  }

  add(sub: string, connection: C): void {
    let user = this.users.get(sub);
    if (user === undefined) {
      user = { connections: new Set(), bucket: new TokenBucket(this.limits.burst, this.limits.ratePerSec, this.now) };
      this.users.set(sub, user);
    }
    user.connections.add(connection);
  }

  remove(sub: string, connection: C): void {
    const user = this.users.get(sub);
    if (user === undefined) return;
    user.connections.delete(connection);
    // The bucket goes with the last connection: reconnecting refills it, which the per-IP and per-connection limits bound.
    if (user.connections.size === 0) this.users.delete(sub);
  }

  /** Takes one request token of the user; false when the user is over its rate. */
  take(sub: string): boolean {
    return this.users.get(sub)?.bucket.take() ?? true;
  }

  /** Subscriptions this connection may still add: the user's cap minus what all its connections hold. */
  room(sub: string, connection: C): number {
    const user = this.users.get(sub);
    if (user === undefined) return this.limits.maxSubscriptions;
    let total = 0;
    for (const c of user.connections) total += this.held(c);
    return Math.max(0, this.limits.maxSubscriptions - total);
  }
}
