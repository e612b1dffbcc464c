/** Something that says once that it has closed: an Engine.IO connection, an HTTP response. */
export interface Closable {
  once(event: 'close', listener: () => void): unknown;
}

/**
 * Counts open connections per client address against a cap (0 = no cap).
 * Every count is undone by the close of the connection it counts, so an
 * address's count cannot outlive its connections however they end.
 */
export class ConnectionsPerIp {
  private readonly counts = new Map<string, number>();
  private sum = 0;

  constructor(private readonly max: number) {}

  /** Open connections counted, over every address. */
  get total(): number {
    return this.sum;
  }

  count(ip: string): number {
    return this.counts.get(ip) ?? 0;
  }

  /** True when one more connection from `ip` would be over the cap. */
  full(ip: string): boolean {
    return this.max > 0 && this.count(ip) >= this.max;
  }

  tryAdd(ip: string): boolean {
    if (this.full(ip)) return false;
    this.counts.set(ip, this.count(ip) + 1);
    this.sum++;
    return true;
  }

  remove(ip: string): void {
    const count = this.counts.get(ip);
    if (count === undefined) return;
    this.sum--;
    if (count <= 1) this.counts.delete(ip);
    else this.counts.set(ip, count - 1);
  }

  /**
   * Counts a connection of `ip` until `connection` closes; false (nothing
   * counted) when the address is at its cap. The caller must know that
   * `connection` has not closed yet, or the count would never be undone.
   */
  holdUntilClosed(ip: string, connection: Closable): boolean {
    if (!this.tryAdd(ip)) return false;
    connection.once('close', () => this.remove(ip));
    return true;
  }
}
