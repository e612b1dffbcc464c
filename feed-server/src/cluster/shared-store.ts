import type { createClient } from 'redis';
import type { BookImage, SymbolBook } from '../market/market-state.js';
import type { StoredTick } from '../market/tick-ring.js';
import { StoreKeys } from './store-keys.js';
import { ALL_SCRIPTS, APPEND, DECLARE, HEADS, READ_BOOK, READ_TAIL, SEED, type StoreScript } from './store-scripts.js';
import {
  appendArgs,
  declareArgs,
  parseAppendReply,
  parseBookReply,
  parseDeclareReply,
  parseHeadsReply,
  parseSeedReply,
  parseTailReply,
  seedArgs,
  type AppendItem,
  type AppendResult,
  type StoreHead,
  type StoreTail,
} from './store-codec.js';
import type { FeedStatus, SymbolDeclaration } from '@tickfeed/protocol';

export type RedisClient = ReturnType<typeof createClient>;

export interface SharedStoreOptions {
  /** Ticks kept per symbol in the log (the history of resume). */
  historyTicks: number;
  /** Candles kept per symbol and interval. */
  candlesPerInterval: number;
}

/** Declares are sent in chunks so one script never holds Redis for long. */
const DECLARE_CHUNK = 500;

/**
 * What the instances share, in Redis: the universe, each symbol's epoch,
 * session stats, candles and recent-tick log, and the feed status. All
 * writes and multi-key reads go through the scripts of store-scripts.ts.
 * Commands fail fast while Redis is unreachable (the client's offline queue
 * is off): callers treat a rejection as "not stored" and reconcile later.
 */
export class SharedStore {
  readonly keys: StoreKeys;

  constructor(
    private readonly client: RedisClient,
    private readonly options: SharedStoreOptions,
    prefix?: string,
  ) {
    this.keys = new StoreKeys(prefix);
  }

  /** Loads every script, so pipelined calls after a Redis restart do not each miss the script cache. */
  async loadScripts(): Promise<void> {
    await Promise.all(ALL_SCRIPTS.map((s) => this.client.scriptLoad(s.source)));
  }

  async ping(): Promise<void> {
    await this.client.ping();
  }

  /** Declares symbols; returns the epoch and last seq the store holds for each, in order. */
  async declare(decls: readonly { decl: SymbolDeclaration; epoch: string }[], reset: boolean): Promise<StoreHead[]> {
    const heads: StoreHead[] = [];
    for (let i = 0; i < decls.length; i += DECLARE_CHUNK) {
      const chunk = decls.slice(i, i + DECLARE_CHUNK);
      const keys = chunk.flatMap(({ decl }) => this.keys.symbolList(decl.symbol));
      keys.push(this.keys.universe);
      const reply = await this.run(DECLARE, keys, declareArgs(chunk, reset));
      heads.push(...parseDeclareReply(reply, chunk.length));
    }
    return heads;
  }

  /** Appends ticks of several symbols in one call; one result per item, in order. */
  async append(items: readonly AppendItem[]): Promise<AppendResult[]> {
    const keys = items.flatMap((item) => this.keys.symbolList(item.symbol));
    const reply = await this.run(APPEND, keys, appendArgs(items, this.options.historyTicks));
    return parseAppendReply(reply, items.length);
  }

  /** Writes a whole book unless the store holds a newer state; returns what the store holds then. */
  async seed(book: SymbolBook, ticks: readonly StoredTick[]): Promise<{ written: boolean; head: StoreHead }> {
    const keys = [...this.keys.symbolList(book.meta.symbol), this.keys.universe];
    const reply = await this.run(SEED, keys, seedArgs(book, ticks, this.options.candlesPerInterval, this.options.historyTicks));
    return parseSeedReply(reply);
  }

  async readBook(symbol: string): Promise<BookImage | null> {
    const reply = await this.run(READ_BOOK, this.keys.symbolList(symbol), [String(this.options.historyTicks)]);
    return parseBookReply(reply, symbol);
  }

  /** The store's head of a symbol and its logged ticks from `fromSeq` on. */
  async readTail(symbol: string, fromSeq: number): Promise<StoreTail | null> {
    const keys = this.keys.symbol(symbol);
    const reply = await this.run(READ_TAIL, [keys.book, keys.ticks], [String(fromSeq), String(this.options.historyTicks)]);
    return parseTailReply(reply);
  }

  async heads(): Promise<Map<string, StoreHead>> {
    return parseHeadsReply(await this.run(HEADS, [this.keys.universe], [this.keys.prefix]));
  }

  /** Which of these symbols the store's universe holds (one command, however many). */
  async inUniverse(symbols: readonly string[]): Promise<string[]> {
    if (symbols.length === 0) return [];
    const flags = await this.client.smIsMember(this.keys.universe, [...symbols]);
    return symbols.filter((_, i) => Number(flags[i]) === 1);
  }

  async writeFeedStatus(status: FeedStatus): Promise<void> {
    await this.client.set(this.keys.feedStatus, JSON.stringify(status));
  }

  async readFeedStatus(): Promise<FeedStatus | null> {
    const text = await this.client.get(this.keys.feedStatus);
    return typeof text === 'string' ? (JSON.parse(text) as FeedStatus) : null;
  }

  private async run(script: StoreScript, keys: string[], args: string[]): Promise<unknown> {
    try {
      return await this.client.evalSha(script.sha, { keys, arguments: args });
    } catch (error) {
      // The script cache is empty after a Redis restart or SCRIPT FLUSH.
      if (error instanceof Error && error.message.startsWith('NOSCRIPT')) {
        return this.client.eval(script.source, { keys, arguments: args });
      }
      throw error;
    }
  }
}
