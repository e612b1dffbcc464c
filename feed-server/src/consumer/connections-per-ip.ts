/** Counts open connections per client address against a cap (0 = no cap). */
export class ConnectionsPerIp {
  private readonly counts = new Map<string, number>();

  constructor(private readonly max: number) {}

  tryAdd(ip: string): boolean {
    const count = this.counts.get(ip) ?? 0;
    if (this.max > 0 && count >= this.max) return false;
    this.counts.set(ip, count + 1);
    return true;
  }

  remove(ip: string): void {
    const count = this.counts.get(ip);
    if (count === undefined) return;
    if (count <= 1) this.counts.delete(ip);
    else this.counts.set(ip, count - 1);
  }
}
