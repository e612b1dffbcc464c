import { INTERVALS } from '@tickfeed/protocol';

/** Default prefix of every key and channel the cluster uses in Redis. */
export const DEFAULT_KEY_PREFIX = 'tickfeed:';

/** Keys of one symbol, in the order the store's scripts expect them. */
export interface SymbolKeys {
  /** HASH: epoch, seq, meta (JSON), refPrice, stats (JSON). */
  readonly book: string;
  /** STREAM of the epoch's recent ticks; entry id `<seq>-0`, field `t` = tick JSON. */
  readonly ticks: string;
  /** ZSET per interval (INTERVALS order): score = bucket start, member = candle JSON. */
  readonly candles: readonly string[];
}

/** Number of keys of one symbol passed to a script: book, ticks and one per interval. */
export const KEYS_PER_SYMBOL = 2 + INTERVALS.length;

/**
 * Key names. A symbol's keys share the hash tag `{SYMBOL}` so they would sit
 * in one slot; the symbol set and the feed status are global.
 */
export class StoreKeys {
  readonly universe: string;
  readonly feedStatus: string;
  /** Channel prefix of the Socket.IO Redis adapter. */
  readonly adapterChannel: string;

  constructor(readonly prefix: string = DEFAULT_KEY_PREFIX) {
    this.universe = `${prefix}universe`;
    this.feedStatus = `${prefix}feed-status`;
    this.adapterChannel = `${prefix}io`;
  }

  symbol(symbol: string): SymbolKeys {
    const base = `${this.prefix}{${symbol}}:`;
    return {
      book: `${base}book`,
      ticks: `${base}ticks`,
      candles: INTERVALS.map((interval) => `${base}candles:${interval}`),
    };
  }

  /** The symbol's keys flattened in script order (see KEYS_PER_SYMBOL). */
  symbolList(symbol: string): string[] {
    const keys = this.symbol(symbol);
    return [keys.book, keys.ticks, ...keys.candles];
  }
}
