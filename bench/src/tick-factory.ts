import type { SymbolDeclaration, Tick } from '@tickfeed/protocol';
import type { RandomSource } from '@tickfeed/protocol';

/**
 * Valid ticks for the bench's symbols: seq +1 per symbol, a small random
 * walk of the price around 100, a one-cent spread. Pure: the caller stamps
 * `ts` and supplies the random source.
 */
export class TickFactory {
  private readonly seq: number[];
  private readonly price: number[];

  constructor(
    readonly symbols: readonly string[],
    private readonly random: RandomSource,
    start: { lastSeq: number; last: number }[] = [],
  ) {
    this.seq = symbols.map((_, i) => start[i]?.lastSeq ?? 0);
    this.price = symbols.map((_, i) => start[i]?.last ?? 100);
  }

  /** The next tick of a uniformly random symbol. */
  next(ts: number): Tick {
    return this.nextOf(Math.floor(this.random.next() * this.symbols.length), ts);
  }

  nextOf(index: number, ts: number): Tick {
    const seq = (this.seq[index] ?? 0) + 1;
    this.seq[index] = seq;
    const drift = (this.random.next() - 0.5) * 0.002;
    const price = Math.max(1, round2((this.price[index] ?? 100) * (1 + drift)));
    this.price[index] = price;
    return {
      symbol: this.symbols[index] as string,
      seq,
      ts,
      price,
      size: 1 + Math.floor(this.random.next() * 100),
      bid: round2(price - 0.01),
      ask: round2(price + 0.01),
    };
  }
}

/** Names of the bench's universe: BENCH000, BENCH001, ... */
export function benchSymbols(count: number): string[] {
  const width = Math.max(3, String(count - 1).length);
  return Array.from({ length: count }, (_, i) => `BENCH${String(i).padStart(width, '0')}`);
}

export function benchDeclarations(symbols: readonly string[]): SymbolDeclaration[] {
  return symbols.map((symbol) => ({
    symbol,
    name: `Bench ${symbol}`,
    kind: 'equity',
    currency: 'USD',
    tickSize: 0.01,
    refPrice: 100,
  }));
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
