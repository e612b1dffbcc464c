import type { CandlesResponse } from '@tickfeed/protocol';

/** What a sparkline needs of a quote: the last price, the time and seq of the tick it covers. */
export interface SparkQuote {
  readonly seq: number;
  readonly ts: number;
  readonly last: number;
}

/**
 * The closes of one watchlist sparkline: candles loaded over REST, then
 * advanced by the symbol's latest quote (conflated quotes or every tick,
 * whichever the symbol gets). A sparkline draws closes only, and a bucket's
 * close is the last price of the newest quote in it, so sampling the stream
 * loses nothing it shows. A quote older than the load is ignored; one whose
 * seq went back (a new epoch) asks for a reload.
 */
export class QuoteSpark {
  private times: number[] = [];
  closes: number[] = [];
  private seq = -1;

  constructor(
    private readonly intervalMs: number,
    private readonly maxCandles: number,
  ) {}

  get loaded(): boolean {
    return this.seq >= 0;
  }

  load(history: Pick<CandlesResponse, 'seq' | 'candles'>): void {
    const candles = history.candles.slice(-this.maxCandles);
    this.times = candles.map((c) => c.time);
    this.closes = candles.map((c) => c.close);
    this.seq = history.seq;
  }

  /** Applies the newest state: true when the line changed, 'reload' when the stream started over. */
  apply(quote: SparkQuote): boolean | 'reload' {
    if (!this.loaded || quote.seq === this.seq) return false;
    if (quote.seq < this.seq) return 'reload';
    this.seq = quote.seq;
    const bucket = Math.floor(quote.ts / this.intervalMs) * this.intervalMs;
    const lastTime = this.times[this.times.length - 1];
    if (lastTime !== undefined && bucket < lastTime) return false;
    if (lastTime === bucket) {
      if (this.closes[this.closes.length - 1] === quote.last) return false;
      this.closes[this.closes.length - 1] = quote.last;
      return true;
    }
    this.times.push(bucket);
    this.closes.push(quote.last);
    if (this.times.length > this.maxCandles) {
      this.times.shift();
      this.closes.shift();
    }
    return true;
  }
}
