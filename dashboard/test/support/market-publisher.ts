import { createRandom, type AssetKind, type FeedStatus, type IngestPort, type RandomSource, type SymbolDeclaration, type Tick } from '@tickfeed/protocol';

export interface InstrumentSpec {
  symbol: string;
  name: string;
  kind: AssetKind;
  currency: string;
  tickSize: number;
  price: number;
  /** Per-tick volatility as a fraction of price. */
  vol: number;
  /** Typical trade size. */
  size: number;
  /** Lot size declared to the server (sizes are rounded to it); without it sizes round to 0.001 or 1. */
  lotSize?: number;
}

/** A small, realistic-looking universe for browser tests and screenshots. */
export const TEST_UNIVERSE: InstrumentSpec[] = [
  { symbol: 'AAPL', name: 'Apple Inc.', kind: 'equity', currency: 'USD', tickSize: 0.01, price: 189.3, vol: 0.0004, size: 100 },
  { symbol: 'MSFT', name: 'Microsoft Corp.', kind: 'equity', currency: 'USD', tickSize: 0.01, price: 412.6, vol: 0.0003, size: 50 },
  { symbol: 'NVDA', name: 'NVIDIA Corp.', kind: 'equity', currency: 'USD', tickSize: 0.01, price: 884.1, vol: 0.0007, size: 40 },
  { symbol: 'AMZN', name: 'Amazon.com Inc.', kind: 'equity', currency: 'USD', tickSize: 0.01, price: 178.2, vol: 0.0005, size: 80 },
  { symbol: 'TSLA', name: 'Tesla Inc.', kind: 'equity', currency: 'USD', tickSize: 0.01, price: 174.9, vol: 0.0009, size: 120 },
  { symbol: 'BTC-USD', name: 'Bitcoin', kind: 'crypto', currency: 'USD', tickSize: 0.01, price: 64_250, vol: 0.0006, size: 0.05 },
  { symbol: 'ETH-USD', name: 'Ether', kind: 'crypto', currency: 'USD', tickSize: 0.01, price: 3_120, vol: 0.0007, size: 0.8 },
  { symbol: 'SOL-USD', name: 'Solana', kind: 'crypto', currency: 'USD', tickSize: 0.001, price: 146.2, vol: 0.001, size: 12 },
  { symbol: 'EUR-USD', name: 'Euro / US Dollar', kind: 'fx', currency: 'USD', tickSize: 0.00001, price: 1.0842, vol: 0.00008, size: 100_000 },
  { symbol: 'USD-JPY', name: 'US Dollar / Yen', kind: 'fx', currency: 'JPY', tickSize: 0.001, price: 151.62, vol: 0.0001, size: 100_000 },
  { symbol: 'GBP-USD', name: 'Pound / US Dollar', kind: 'fx', currency: 'USD', tickSize: 0.00001, price: 1.2655, vol: 0.0001, size: 100_000 },
];

interface Live {
  spec: InstrumentSpec;
  seq: number;
  price: number;
  lastTs: number;
}

/**
 * An in-test publisher over server.localIngest(): declares instruments and
 * publishes a seeded random walk, optionally with back-dated history so the
 * chart has candles, then live ticks on a timer that tests can pause.
 */
export class MarketPublisher {
  private readonly live = new Map<string, Live>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly source: RandomSource;
  published = 0;
  /** Added to the wall clock for tick times: a replay of another day (e.g. 2012) without its wait. */
  clockOffsetMs = 0;

  constructor(
    private ingest: IngestPort,
    private readonly universe: InstrumentSpec[] = TEST_UNIVERSE,
    seed = 12345,
  ) {
    this.source = createRandom(seed, 'market-publisher');
  }

  /** Declares every instrument; continues each symbol at the seq the server holds. */
  async declare(): Promise<void> {
    const symbols: SymbolDeclaration[] = this.universe.map((s) => ({
      symbol: s.symbol,
      name: s.name,
      kind: s.kind,
      currency: s.currency,
      tickSize: s.tickSize,
      ...(s.lotSize !== undefined ? { lotSize: s.lotSize } : {}),
      refPrice: s.price,
    }));
    const reply = await this.ingest.declare({ symbols });
    if (!reply.ok) throw new Error(reply.error.message);
    for (const d of reply.declared) {
      const spec = this.universe.find((s) => s.symbol === d.symbol)!;
      this.live.set(d.symbol, { spec, seq: d.lastSeq, price: d.last, lastTs: d.lastTs });
    }
  }

  /** Publishes `minutes` of back-dated ticks ending now, one per symbol every `stepMs`. */
  async history(minutes: number, stepMs: number, now = Date.now() + this.clockOffsetMs): Promise<void> {
    const start = now - minutes * 60_000;
    for (const live of this.live.values()) {
      const ticks: Tick[] = [];
      for (let ts = start; ts < now; ts += stepMs + Math.floor(this.random() * stepMs)) ticks.push(this.next(live, ts));
      for (let i = 0; i < ticks.length; i += 2000) await this.send(ticks.slice(i, i + 2000));
    }
  }

  /** Starts publishing about `ticksPerSecond` ticks in total, spread over the symbols, every 50 ms. */
  start(ticksPerSecond: number): void {
    this.stop();
    const perFlush = ticksPerSecond / 20;
    let carry = 0;
    this.timer = setInterval(() => {
      carry += perFlush;
      const count = Math.floor(carry);
      carry -= count;
      if (count === 0) return;
      const all = [...this.live.values()];
      const ticks: Tick[] = [];
      const now = Date.now() + this.clockOffsetMs;
      for (let i = 0; i < count; i++) ticks.push(this.next(all[Math.floor(this.random() * all.length)]!, now));
      void this.send(ticks).catch(() => {});
    }, 50);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Publishes one tick of each listed symbol now (for tests that need a known change). */
  async tickNow(symbols: string[], override: { price?: number; size?: number } = {}): Promise<void> {
    const now = Date.now() + this.clockOffsetMs;
    await this.send(symbols.map((symbol) => ({ ...this.next(this.live.get(symbol)!, now), ...override })));
    if (override.price !== undefined) for (const symbol of symbols) this.live.get(symbol)!.price = override.price;
  }

  /** Announces a feed status (e.g. a replay) as a simulator would. */
  status(status: FeedStatus): void {
    this.ingest.status(status);
  }

  lastSeq(symbol: string): number {
    return this.live.get(symbol)?.seq ?? 0;
  }

  /** After a server restart: a new ingest port, state starts over at the server's (new epoch). */
  async reattach(ingest: IngestPort): Promise<void> {
    this.ingest = ingest;
    await this.declare();
  }

  private async send(ticks: Tick[]): Promise<void> {
    // Group per symbol in seq order: the server validates seq = last + 1.
    const reply = await this.ingest.publish({ ticks });
    if (!reply.ok) throw new Error(reply.error.message);
    this.published += reply.accepted;
  }

  private next(live: Live, ts: number): Tick {
    const { spec } = live;
    const shock = (this.random() + this.random() + this.random() - 1.5) * 2 * spec.vol;
    const raw = live.price * (1 + shock);
    const price = roundTo(Math.max(spec.tickSize, raw), spec.tickSize);
    const spread = spec.tickSize * (1 + Math.floor(this.random() * 3));
    live.price = price;
    live.seq++;
    live.lastTs = Math.max(live.lastTs, ts);
    const size = roundTo(spec.size * (0.2 + this.random() * 1.8), spec.lotSize ?? (spec.size < 1 ? 0.001 : 1));
    return {
      symbol: spec.symbol,
      seq: live.seq,
      ts: live.lastTs,
      price,
      size,
      bid: roundTo(price - spread / 2, spec.tickSize),
      ask: roundTo(price - spread / 2 + spread, spec.tickSize),
    };
  }

  private random(): number {
    return this.source.next();
  }
}

function roundTo(value: number, step: number): number {
  const decimals = Math.max(0, Math.ceil(-Math.log10(step) - 1e-9));
  return Number((Math.round(value / step) * step).toFixed(decimals));
}
