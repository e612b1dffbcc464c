import { createFeedServer, testServerConfig, type FeedServer, type ServerConfig } from '@tickfeed/feed-server';
import type { BookPublish, IngestPort, SymbolDeclaration, Tick } from '@tickfeed/protocol';

/**
 * A real feed server on 127.0.0.1 (port 0 the first time) with an in-process
 * publisher through server.localIngest(): tests publish exact ticks and can
 * kill and restart the server on the same port.
 */
export class TestFeed {
  private constructor(
    public server: FeedServer,
    public ingest: IngestPort,
    readonly url: string,
    readonly port: number,
    private readonly overrides: Partial<ServerConfig>,
  ) {}

  private readonly declared = new Map<string, SymbolDeclaration>();
  private readonly last = new Map<string, { seq: number; price: number }>();
  running = true;

  static async start(overrides: Partial<ServerConfig> = {}): Promise<TestFeed> {
    const server = await createFeedServer(testServerConfig({ logLevel: 'silent', ...overrides }));
    const { url, port } = await server.listen();
    return new TestFeed(server, server.localIngest(), url, port, overrides);
  }

  async declare(symbols: readonly string[], options: { reset?: boolean; refPrice?: number; book?: boolean } = {}): Promise<void> {
    const declarations = symbols.map((symbol) => {
      const known = this.declared.get(symbol);
      const book = options.book ?? known?.book === true;
      return book ? { ...declaration(symbol, options.refPrice ?? 100), lotSize: 1, book: true } : declaration(symbol, options.refPrice ?? 100);
    });
    for (const d of declarations) this.declared.set(d.symbol, d);
    const reply = await this.ingest.declare({
      symbols: declarations,
      ...(options.reset === true ? { reset: true, reason: 'test reset' } : {}),
    });
    if (!reply.ok) throw new Error(`declare failed: ${reply.error.message}`);
    for (const d of reply.declared) this.last.set(d.symbol, { seq: d.lastSeq, price: d.last });
  }

  /** Publishes `count` ticks of `symbol` (seq continuing), `ts` = now + i ms; returns them. */
  async publish(symbol: string, count: number, tsStep = 1): Promise<Tick[]> {
    const state = this.last.get(symbol);
    if (state === undefined) throw new Error(`${symbol} not declared`);
    const ticks: Tick[] = [];
    const base = Date.now();
    for (let i = 0; i < count; i++) {
      state.seq++;
      // A deterministic zig-zag walk: up three ticks, down two.
      state.price = Math.round((state.price + (state.seq % 5 < 3 ? 0.01 : -0.01)) * 100) / 100;
      ticks.push({
        symbol,
        seq: state.seq,
        ts: base + i * tsStep,
        price: state.price,
        size: 1 + (state.seq % 7),
        bid: Math.round((state.price - 0.01) * 100) / 100,
        ask: Math.round((state.price + 0.01) * 100) / 100,
      });
    }
    const reply = await this.ingest.publish({ ticks });
    if (!reply.ok || reply.rejected.length > 0) throw new Error(`publish rejected: ${JSON.stringify(reply)}`);
    return ticks;
  }

  /** Publishes book snapshots and updates (`book:publish`) of symbols declared with `book: true`. */
  async publishBook(updates: BookPublish[]): Promise<void> {
    if (this.ingest.publishBook === undefined) throw new Error('this server offers no books');
    for (let i = 0; i < updates.length; i += 500) {
      const reply = await this.ingest.publishBook({ updates: updates.slice(i, i + 500) });
      if (!reply.ok || reply.rejected.length > 0) throw new Error(`book publish rejected: ${JSON.stringify(reply)}`);
    }
  }

  lastSeq(symbol: string): number {
    return this.last.get(symbol)?.seq ?? 0;
  }

  async kill(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.ingest.close();
    await this.server.close('test restart');
  }

  /** Starts a fresh server (empty state: new epochs) on the same port and re-declares the symbols. */
  async restart(): Promise<void> {
    await this.kill();
    this.server = await createFeedServer(testServerConfig({ logLevel: 'silent', ...this.overrides, port: this.port }));
    await this.server.listen();
    this.ingest = this.server.localIngest();
    this.running = true;
    const symbols = [...this.declared.keys()];
    this.last.clear();
    if (symbols.length > 0) await this.declare(symbols);
  }

  async metric(name: string): Promise<number> {
    const response = await fetch(`${this.url}/metrics`);
    const text = await response.text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
    return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
  }

  async close(): Promise<void> {
    await this.kill();
  }
}

function declaration(symbol: string, refPrice: number): SymbolDeclaration {
  return { symbol, name: `${symbol} Test Corp`, kind: 'equity', currency: 'USD', tickSize: 0.01, refPrice };
}
