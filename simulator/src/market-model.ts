import type { BookSource, FeedEvent } from './book/book-source.js';
import type { BookLevels } from './book/levels.js';
import { FactorProcess } from './factor-process.js';
import { SymbolModel, type ModelTrade } from './symbol-model.js';
import type { Universe } from './universe.js';

export interface MarketModelOptions {
  seed: number;
  /** Epoch ms of the model's time 0: the first trades carry ts at or after it. */
  startMs: number;
  /** Starting prices by symbol (default: each symbol's refPrice), e.g. the server's last prices. */
  startPrices?: ReadonlyMap<string, number>;
  /**
   * Levels per side each symbol's limit order book publishes (--book-depth;
   * default 0: no book). The book has its own random streams, so the trades
   * are the same with or without it.
   */
  bookDepth?: number;
}

/**
 * The whole universe's trades in time order: each symbol is a SymbolModel with
 * its own random stream, merged by a binary heap on the pending trade time
 * (ties go to the symbol listed first). Pure: no clock, no I/O; the same
 * universe, seed and start give the same trades, and a symbol's trades do not
 * depend on which other symbols are simulated.
 */
export class MarketModel implements BookSource {
  readonly symbols: readonly SymbolModel[];
  private readonly heap: number[];
  private readonly bySymbol: ReadonlyMap<string, SymbolModel>;

  constructor(universe: Universe, options: MarketModelOptions) {
    const factors = new Map<string, FactorProcess>();
    this.symbols = universe.symbols.map((spec) => {
      const factorSpec = universe.factors[spec.factor];
      if (factorSpec === undefined) throw new Error(`symbol ${spec.symbol}: unknown factor ${spec.factor}`);
      let factor = factors.get(spec.factor);
      if (factor === undefined) {
        factor = new FactorProcess(spec.factor, factorSpec, universe.model, options.seed);
        factors.set(spec.factor, factor);
      }
      const startPrice = options.startPrices?.get(spec.symbol) ?? spec.refPrice;
      return new SymbolModel(spec, factorSpec, factor, universe.model, options.seed, options.startMs, startPrice, options.bookDepth ?? 0);
    });
    this.bySymbol = new Map(this.symbols.map((s) => [s.spec.symbol, s]));
    this.heap = this.symbols.map((_, i) => i);
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  /** Epoch-ms time of the next trade. */
  peekTs(): number {
    return this.symbols[this.heap[0]!]!.nextTs;
  }

  /** The next trade of the universe. */
  next(): ModelTrade {
    const top = this.heap[0]!;
    const trade = this.symbols[top]!.emit();
    this.siftDown(0);
    return trade;
  }

  /**
   * The next trade of the universe with its symbol's book updates: appends
   * to `out` the book's changes up to the trade, the trade, and the change
   * the trade makes (only the trade for a symbol without a book). Returns the trade.
   */
  nextEvents(out: FeedEvent[]): ModelTrade {
    const top = this.heap[0]!;
    const model = this.symbols[top]!;
    const trade = model.emit(out);
    if (model.book === null) out.push({ kind: 'trade', trade });
    this.siftDown(0);
    return trade;
  }

  bookDepths(): ReadonlyMap<string, number> {
    const depths = new Map<string, number>();
    for (const s of this.symbols) if (s.book !== null) depths.set(s.spec.symbol, s.book.depth);
    return depths;
  }

  bookOf(symbol: string): BookLevels | null {
    return this.bySymbol.get(symbol)?.book?.levels() ?? null;
  }

  /** Appends every trade with ts ≤ untilMs to `out`, at most `max` of them; returns how many. */
  takeUntil(untilMs: number, out: ModelTrade[], max: number): number {
    let n = 0;
    while (n < max && this.peekTs() <= untilMs) {
      out.push(this.next());
      n++;
    }
    return n;
  }

  private less(a: number, b: number): boolean {
    const ta = this.symbols[a]!.nextTime;
    const tb = this.symbols[b]!.nextTime;
    return ta < tb || (ta === tb && a < b);
  }

  private siftDown(start: number): void {
    const heap = this.heap;
    const n = heap.length;
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) return;
      const r = l + 1;
      const m = r < n && this.less(heap[r]!, heap[l]!) ? r : l;
      if (!this.less(heap[m]!, heap[i]!)) return;
      const tmp = heap[i]!;
      heap[i] = heap[m]!;
      heap[m] = tmp;
      i = m;
    }
  }
}
