import { SymbolBook, type BookSink } from './book/book-model.js';
import type { FeedEvent } from './book/book-source.js';
import type { FactorProcess } from './factor-process.js';
import { gridValue, makeGrid, nearestIndex, type Grid } from './price-grid.js';
import { createRandom, type Tick } from '@tickfeed/protocol';
import { Distributions } from './distributions.js';
import type { FactorSpec, ModelParams, SymbolSpec } from './universe.js';
import { VolatilityProcess } from './volatility.js';

/** A simulated trade before it gets its seq (the publisher numbers ticks); ts is the event time, epoch ms (integer). */
export type ModelTrade = Omit<Tick, 'seq'>;

/**
 * One symbol's trades. The efficient log-price is
 *
 *   ln P(t) = ln P0 + b·F(t) + X(t),   b = corr·vol / vol_F
 *
 * with F the factor and X an idiosyncratic VolatilityProcess of annual vol
 * vol·√(1 − corr²). Trades arrive as a Hawkes process with a constant
 * baseline: λ(t) = activity·(1 − n) + Σ n·β·e^{−β(t − t_i)}, whose mean rate
 * is `activity` and whose count over a minute stays close to it. (A baseline
 * that followed the volatility would tie the whole universe's rate to the
 * slow, mostly common volatility state: over any minute the aggregate rate
 * was anywhere from 0.4× to 1.8× the configured one.) The quote straddles the efficient price on the tick grid with a
 * half-spread spread/2·√(σ_t/σ_median), so it widens with volatility; a trade
 * prints at the ask (buyer), the bid (seller) or, with probability insideProb,
 * at a level strictly inside. Sizes are power-law lots.
 */
export class SymbolModel {
  readonly spec: SymbolSpec;
  /** Time of the pending trade, seconds from the model's start. */
  nextTime = 0;
  private readonly dist: Distributions;
  private readonly idio: VolatilityProcess;
  private readonly priceGrid: Grid;
  private readonly lotGrid: Grid;
  private readonly loading: number;
  private readonly logRef: number;
  private readonly halfSpread: number;
  private readonly baseRate: number;
  private readonly alpha: number;
  private readonly beta: number;
  private x = 0;
  private t = 0;
  /** Hawkes excitation right after the last trade. */
  private excitation = 0;
  /** The limit order book, when the symbol has one (book depth > 0). */
  readonly book: SymbolBook | null = null;

  constructor(
    spec: SymbolSpec,
    factorSpec: FactorSpec,
    private readonly factor: FactorProcess,
    private readonly params: ModelParams,
    seed: number,
    private readonly startMs: number,
    startPrice = spec.refPrice,
    bookDepth = 0,
  ) {
    this.spec = spec;
    this.dist = new Distributions(createRandom(seed, `symbol:${spec.symbol}`));
    this.idio = new VolatilityProcess(
      spec.vol * Math.sqrt(1 - spec.corr * spec.corr),
      params,
      params.jumpsPerDay,
      this.dist,
      params.volCommonality,
    );
    this.priceGrid = makeGrid(spec.tickSize);
    this.lotGrid = makeGrid(spec.lotSize);
    this.loading = (spec.corr * spec.vol) / factorSpec.vol;
    this.logRef = Math.log(startPrice);
    this.halfSpread = spec.spread / 2;
    this.baseRate = spec.activity * (1 - params.hawkesBranching);
    this.beta = params.hawkesDecayPerSec;
    this.alpha = params.hawkesBranching * this.beta;
    // Start at the stationary mean excitation (n·activity), so the rate is `activity` from the first
    // second; from zero it would take about 1/(β(1 − n)) to build up and lose that many seconds' worth.
    this.excitation = params.hawkesBranching * spec.activity;
    if (bookDepth > 0) {
      // Its own stream: the trades draw exactly what they draw without a book.
      const [bidK, askK] = this.quote(startPrice);
      this.book = new SymbolBook(bookDepth, spec.activity, spec.symbol, this.priceGrid, this.lotGrid, new Distributions(createRandom(seed, `book:${spec.symbol}`)), startMs, bidK, askK);
    }
    this.scheduleNext();
  }

  /** Epoch-ms time of the pending trade. */
  get nextTs(): number {
    return this.startMs + Math.floor(this.nextTime * 1000);
  }

  /**
   * Produces the pending trade and schedules the one after it. With a book
   * and `events`, appends in order the book's updates up to the trade, the
   * trade, and the update the trade itself makes (the book is simulated
   * either way; without `events` no update is built).
   */
  emit(events: FeedEvent[] | null = null): ModelTrade {
    const bookSink: BookSink = events === null || this.book === null ? null : (update) => events.push({ kind: 'book', update });
    const dt = this.nextTime - this.t;
    this.t = this.nextTime;
    const f = this.factor.valueAt(this.t);
    this.x += this.idio.step(dt, true, this.factor.volDeviation);
    const mid = Math.exp(this.logRef + this.loading * f + this.x);

    const grid = this.priceGrid;
    const [bidK, askK] = this.quote(mid);
    // The book's order flow up to now, then the price model's quote becomes its touch.
    this.book?.advance(this.t, bookSink);
    this.book?.recentre(this.t, bidK, askK, bookSink);

    let priceK: number;
    const inside = askK - bidK - 1;
    if (inside > 0 && this.dist.chance(this.params.insideProb)) {
      priceK = bidK + 1 + Math.floor(this.dist.uniform() * inside);
    } else {
      priceK = this.dist.chance(0.5) ? askK : bidK;
    }
    const lots = this.dist.powerLawInt(this.params.sizeTailIndex, this.params.maxLots);

    const trade: ModelTrade = {
      symbol: this.spec.symbol,
      ts: this.startMs + Math.floor(this.t * 1000),
      price: gridValue(grid, priceK),
      size: gridValue(this.lotGrid, lots),
      bid: gridValue(grid, bidK),
      ask: gridValue(grid, askK),
    };
    if (this.book !== null) {
      events?.push({ kind: 'trade', trade });
      this.book.trade(priceK, lots, bookSink);
    }
    this.scheduleNext();
    return trade;
  }

  /**
   * The quote around the efficient price: a half-spread that widens with
   * volatility, less than proportionally (dealers quote wider in fast
   * markets), edges rounded to the nearest grid level, at least one tick
   * apart. Draws nothing.
   */
  private quote(mid: number): [number, number] {
    const half = this.halfSpread * Math.sqrt(this.idio.relativeVol);
    const grid = this.priceGrid;
    let bidK = nearestIndex(grid, mid - half);
    if (bidK < 1) bidK = 1;
    let askK = nearestIndex(grid, mid + half);
    if (askK <= bidK) {
      // Both edges fell on one level: it is the bid when the efficient price is at or above it.
      if (mid >= gridValue(grid, bidK) || bidK === 1) askK = bidK + 1;
      else bidK = askK - 1;
    }
    return [bidK, askK];
  }

  /** Draws the next arrival of the Hawkes process exactly (Dassios & Zhao, 2013). */
  private scheduleNext(): void {
    const base = this.baseRate;
    const fromBase = base > 0 ? -Math.log(this.dist.uniform()) / base : Infinity;
    let fromExcitation = Infinity;
    if (this.excitation > 0) {
      const d = 1 + (this.beta * Math.log(this.dist.uniform())) / this.excitation;
      if (d > 0) fromExcitation = -Math.log(d) / this.beta;
    }
    const wait = fromBase < fromExcitation ? fromBase : fromExcitation;
    this.excitation = this.excitation * Math.exp(-this.beta * wait) + this.alpha;
    this.nextTime = this.t + wait;
  }
}
