import type { Distributions } from '../distributions.js';
import { gridValue, type Grid } from '../price-grid.js';
import { diffBooks, type BookLevels, type BookUpdate, type Level } from './levels.js';

/** Receives each book update in time order; null when nobody follows the book (the model then skips the diffs). */
export type BookSink = ((update: BookUpdate) => void) | null;

/**
 * The order flow, in units of the symbol's trade rate (`activity`, trades
 * per second), so a busy symbol's book moves faster in the same proportion.
 * With these values a book changes about 20 times per trade, as a NASDAQ
 * book does.
 */
export const BOOK_FLOW = Object.freeze({
  /** Limit orders per side per trade, placed at or behind the side's best. */
  placePerTrade: 5,
  /** Exponent α of the placement profile p(d) ∝ (d + 1)^−α, d = ticks behind the best (Cont, Stoikov & Talreja fit 0.52). */
  placeExponent: 0.52,
  /** Orders per side per trade placed one tick inside the spread, while it is at least 2 ticks wide. */
  improvePerTrade: 2,
  /** Cancellation rate of one resting order, per trade (each order lives about 1/0.13 ≈ 8 trades). */
  cancelPerOrder: 0.13,
  /** Tail index of limit order sizes in lots: P(lots ≥ k) = k^−α. */
  orderTailIndex: 1.6,
  /** Largest limit order, lots. */
  maxOrderLots: 50,
  /** Ticks modelled per side beyond the published depth (levels entering from beyond come from there). */
  margin: 10,
});

/**
 * One symbol's limit order book, a Cont–Stoikov–Talreja style Markov model
 * on the tick grid, tied to the symbol's efficient price:
 *
 * - Between trades, events arrive as a continuous-time Markov chain: limit
 *   orders at d ticks behind a side's best at rate ∝ (d + 1)^−α; orders one
 *   tick inside the spread while it is 2+ ticks wide (improvements, which
 *   move the mid); cancellations at a constant rate per resting order (a
 *   queue of q lots is cancelled at rate ∝ q; emptying the touch moves the
 *   mid). Event sizes are power-law lots.
 * - At a trade, the price model's quote (bid, ask) from the efficient price
 *   becomes the touch, the way the reference price of Huang, Lehalle &
 *   Rosenbaum's queue-reactive model III moves: the levels on the wrong side
 *   of it are depleted and the side that lags improves with a new order.
 *   Then the trade consumes the touch it hits (an execution beyond the
 *   visible queue is hidden liquidity at that price) or, inside the spread,
 *   is a hidden execution that leaves the visible book alone.
 *
 * So the trades, and the ticks' bid and ask, are exactly the price model's,
 * and the returns keep their stylized facts; the book adds its own. Each
 * side keeps its best `depth + margin` ticks as lot counts by distance from
 * its best (levels entering from beyond that window are drawn from the
 * stationary profile). The book never crosses: improvements stay strictly
 * inside the spread and depletions move a side away from the other.
 */
export class SymbolBook {
  /** Published levels per side. */
  readonly depth: number;
  private readonly window: number;
  /** Lots by distance from the best, per side (0 = bids, 1 = asks). */
  private readonly queues: [Int32Array, Int32Array];
  /** Tick index of each side's best. */
  private readonly best: [number, number];
  private readonly totals: [number, number] = [0, 0];
  /** Cumulative placement profile over d = 0 … window − 1. */
  private readonly placeCdf: Float64Array;
  /** Stationary mean lots at each distance (for levels entering the window). */
  private readonly stationaryLots: Float64Array;
  private readonly placeRate: number;
  private readonly improveRate: number;
  /** Per resting lot. */
  private readonly cancelRate: number;
  /** Model time, seconds from the start. */
  private t = 0;
  private published: BookLevels = { bids: [], asks: [] };

  constructor(
    depth: number,
    activity: number,
    private readonly symbol: string,
    private readonly priceGrid: Grid,
    private readonly lotGrid: Grid,
    private readonly dist: Distributions,
    private readonly startMs: number,
    bidK: number,
    askK: number,
  ) {
    if (!(Number.isInteger(depth) && depth >= 1)) throw new Error(`book depth must be an integer >= 1, got ${depth}`);
    this.depth = depth;
    this.window = depth + BOOK_FLOW.margin;
    const w = this.window;
    this.queues = [new Int32Array(w), new Int32Array(w)];
    this.best = [bidK, askK];
    const weights = Array.from({ length: w }, (_, d) => (d + 1) ** -BOOK_FLOW.placeExponent);
    const sum = weights.reduce((a, b) => a + b, 0);
    this.placeCdf = new Float64Array(w);
    let acc = 0;
    for (let d = 0; d < w; d++) this.placeCdf[d] = acc += weights[d]! / sum;
    this.placeCdf[w - 1] = 1;
    const meanOrderLots = meanPowerLaw(BOOK_FLOW.orderTailIndex, BOOK_FLOW.maxOrderLots);
    // Stationary orders at d: placements at d over the cancellation rate of one order.
    this.stationaryLots = Float64Array.from(weights, (x) => ((BOOK_FLOW.placePerTrade * x) / sum / BOOK_FLOW.cancelPerOrder) * meanOrderLots);
    this.placeRate = activity * BOOK_FLOW.placePerTrade;
    this.improveRate = activity * BOOK_FLOW.improvePerTrade;
    this.cancelRate = (activity * BOOK_FLOW.cancelPerOrder) / meanOrderLots;
    for (const s of [0, 1] as const) {
      for (let d = 0; d < w; d++) this.queues[s][d] = this.freshLots(s, d);
      if (this.queues[s][0] === 0) this.queues[s][0] = 1;
      this.totals[s] = this.queues[s].reduce((a, b) => a + b, 0);
    }
    this.published = this.levels();
  }

  /** Best bid and ask, tick indices. */
  get touch(): readonly [number, number] {
    return this.best;
  }

  /** The published book: the best `depth` occupied levels per side. */
  levels(): BookLevels {
    return { bids: this.sideLevels(0), asks: this.sideLevels(1) };
  }

  /** The book as a full update (every published level), e.g. for a snapshot. */
  snapshot(ts: number): BookUpdate {
    const book = this.levels();
    return { symbol: this.symbol, ts, bids: book.bids, asks: book.asks };
  }

  /** Runs the order flow up to model time `t` (seconds), sending each change to `sink`. */
  advance(t: number, sink: BookSink): void {
    for (;;) {
      const improving = this.best[1] - this.best[0] >= 2;
      const place = 2 * this.placeRate;
      const improve = improving ? 2 * this.improveRate : 0;
      const cancel0 = this.cancelRate * this.totals[0];
      const cancel1 = this.cancelRate * this.totals[1];
      const total = place + improve + cancel0 + cancel1;
      const next = this.t + this.dist.exponential(total);
      // Memoryless: discarding the wait that runs past t leaves the law of the chain unchanged.
      if (next > t) break;
      this.t = next;
      let u = this.dist.uniform() * total;
      if (u < place) {
        const s = u < this.placeRate ? 0 : 1;
        this.place(s, this.placeDistance(), this.orderLots());
      } else if ((u -= place) < improve) {
        const s = u < this.improveRate ? 0 : 1;
        this.improve(s, this.best[s] + (s === 0 ? 1 : -1), this.orderLots());
      } else {
        u -= improve;
        const s = u < cancel0 ? 0 : 1;
        this.cancel(s, this.orderLots());
      }
      this.publish(sink);
    }
    this.t = t;
  }

  /**
   * Makes (bidK, askK) the touch at model time `t`: levels better than the
   * target are depleted, then a lagging side improves with a new order.
   */
  recentre(t: number, bidK: number, askK: number, sink: BookSink): void {
    this.t = t;
    if (this.best[0] > bidK) this.dropTo(0, this.best[0] - bidK);
    if (this.best[1] < askK) this.dropTo(1, askK - this.best[1]);
    this.follow(0, bidK);
    this.follow(1, askK);
    this.publish(sink);
  }

  /**
   * Moves a lagging side's best to `k`: one tick by a new order inside the
   * spread; further (a jump of the efficient price, or a wide-spread symbol)
   * the side's queues move along with the price, as queues follow the
   * reference price in Huang, Lehalle & Rosenbaum's model III, rather than
   * leaving a single order in front of an empty stretch.
   */
  private follow(s: 0 | 1, k: number): void {
    const gap = s === 0 ? k - this.best[0] : this.best[1] - k;
    if (gap === 1) this.improve(s, k, this.orderLots());
    else if (gap > 1) this.best[s] = k;
  }

  /** A trade of `lots` at tick `priceK` consumes the touch it hits; a trade inside the spread leaves the visible book alone. */
  trade(priceK: number, lots: number, sink: BookSink): void {
    if (priceK !== this.best[0] && priceK !== this.best[1]) return;
    const s = priceK === this.best[0] ? 0 : 1;
    const q = this.queues[s];
    const taken = Math.min(q[0]!, lots);
    q[0]! -= taken;
    this.totals[s] -= taken;
    if (q[0] === 0) this.dropTo(s, 0);
    this.publish(sink);
  }

  private sideLevels(s: 0 | 1): Level[] {
    const out: Level[] = [];
    const q = this.queues[s];
    const sign = s === 0 ? -1 : 1;
    for (let d = 0; d < this.window && out.length < this.depth; d++) {
      const lots = q[d]!;
      const k = this.best[s] + sign * d;
      if (lots > 0 && k >= 1) out.push([gridValue(this.priceGrid, k), gridValue(this.lotGrid, lots)]);
    }
    return out;
  }

  private publish(sink: BookSink): void {
    if (sink === null) return;
    const now = this.levels();
    const change = diffBooks(this.published, now);
    this.published = now;
    if (change.bids.length === 0 && change.asks.length === 0) return;
    sink({ symbol: this.symbol, ts: this.startMs + Math.floor(this.t * 1000), bids: change.bids, asks: change.asks });
  }

  private placeDistance(): number {
    const u = this.dist.uniform();
    const cdf = this.placeCdf;
    let d = 0;
    while (cdf[d]! < u) d++;
    return d;
  }

  private orderLots(): number {
    return this.dist.powerLawInt(BOOK_FLOW.orderTailIndex, BOOK_FLOW.maxOrderLots);
  }

  /** Lots for a level entering the window at distance d: uniform around the stationary mean (0 leaves the tick empty). */
  private freshLots(s: 0 | 1, d: number): number {
    if (s === 0 && this.best[0] - d < 1) return 0;
    return Math.floor(this.dist.uniform() * 2 * this.stationaryLots[d]! + 0.5);
  }

  private place(s: 0 | 1, d: number, lots: number): void {
    if (s === 0 && this.best[0] - d < 1) return;
    this.queues[s][d]! += lots;
    this.totals[s] += lots;
  }

  private cancel(s: 0 | 1, lots: number): void {
    // A queue is cancelled at a rate proportional to its size: pick a resting lot uniformly.
    const q = this.queues[s];
    let u = Math.floor(this.dist.uniform() * this.totals[s]);
    let d = 0;
    while (u >= q[d]!) u -= q[d++]!;
    const taken = Math.min(q[d]!, lots);
    q[d]! -= taken;
    this.totals[s] -= taken;
    if (d === 0 && q[0] === 0) this.dropTo(s, 0);
  }

  /** A new best `k` (strictly inside the spread) holding `lots`; the window's far end drops off. */
  private improve(s: 0 | 1, k: number, lots: number): void {
    const q = this.queues[s];
    const w = this.window;
    const j = Math.min(Math.abs(k - this.best[s]), w);
    for (let d = w - j; d < w; d++) this.totals[s] -= q[d]!;
    q.copyWithin(j, 0, w - j);
    q.fill(0, 1, j);
    q[0] = lots;
    this.totals[s] += lots;
    this.best[s] = k;
  }

  /**
   * Depletes the first `j` ticks of a side, then moves its best to the next
   * occupied tick; ticks entering the window from beyond get stationary sizes.
   */
  private dropTo(s: 0 | 1, j: number): void {
    const q = this.queues[s];
    const w = this.window;
    const sign = s === 0 ? -1 : 1;
    let shift = Math.min(j, w);
    while (shift < w && q[shift] === 0) shift++;
    if (shift === 0) return;
    for (let d = 0; d < shift; d++) this.totals[s] -= q[d]!;
    q.copyWithin(0, shift);
    // Beyond the window the distance is unknown: a jump moves the best by exactly j (or to the next level).
    this.best[s] += sign * (shift === w ? Math.max(j, w) : shift);
    for (let d = w - shift; d < w; d++) {
      q[d] = this.freshLots(s, d);
      this.totals[s] += q[d]!;
    }
    if (q[0] === 0) {
      if (s === 0 && this.best[0] < 1) this.best[0] = 1;
      q[0] = 1;
      this.totals[s] += 1;
    }
  }
}

/** E[min(X, max)] for P(X ≥ k) = k^−α on 1, 2, …: Σ_{k=1..max} P(X ≥ k). */
function meanPowerLaw(alpha: number, max: number): number {
  let sum = 0;
  for (let k = 1; k <= max; k++) sum += k ** -alpha;
  return sum;
}
