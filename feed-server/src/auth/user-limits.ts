import { TokenBucket } from '../consumer/token-bucket.js';

/** What the other instances report about a user (through Redis); none when the instance runs alone. */
export interface RemoteUsage {
  /** Subscriptions the user holds on other instances. */
  held(sub: string): number;
  /** Other instances where the user has at least one connection. */
  instances(sub: string): number;
}

const ALONE: RemoteUsage = { held: () => 0, instances: () => 0 };

/**
 * Limits per user (`sub`) across that user's connections: a cap on the
 * subscriptions they hold together and a token bucket for their
 * subscribe/unsubscribe/refresh requests. Subscriptions are not counted here:
 * `held` reads each connection's own count (its rooms), so nothing can drift.
 * With other instances (RemoteUsage), their holdings count against the cap,
 * and each instance charges a request as many tokens as there are instances
 * the user is on, so the user's total rate stays near the configured one.
 */
export class UserLimits<C> {
  private readonly users = new Map<string, { connections: Set<C>; bucket: TokenBucket }>();
  private remote: RemoteUsage = ALONE;

  constructor(
    private readonly limits: { maxSubscriptions: number; burst: number; ratePerSec: number },
    private readonly held: (connection: C) => number,
    private readonly now: () => number,
  ) {}

  /** Users with at least one connection. */
  get size(): number {
    return this.users.size;
  }

  /** Uses what the other instances report from now on. */
  setRemote(remote: RemoteUsage): void {
    this.remote = remote;
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

  /** Takes request tokens of the user; false when the user is over its rate. */
  take(sub: string): boolean {
    const user = this.users.get(sub);
    if (user === undefined) return true;
    return user.bucket.take(Math.min(this.limits.burst, 1 + this.remote.instances(sub)));
  }

  /** Subscriptions this connection may still add: the user's cap minus what all its connections hold. */
  room(sub: string): number {
    return Math.max(0, this.limits.maxSubscriptions - this.localHeld(sub) - this.remote.held(sub));
  }

  /** Subscriptions the user holds on this instance. */
  localHeld(sub: string): number {
    const user = this.users.get(sub);
    if (user === undefined) return 0;
    let total = 0;
    for (const c of user.connections) total += this.held(c);
    return total;
  }

  /** Every user connected here, with what it holds here (what this instance reports to the others). */
  localUsage(): Map<string, number> {
    const usage = new Map<string, number>();
    for (const sub of this.users.keys()) usage.set(sub, this.localHeld(sub));
    return usage;
  }
}
