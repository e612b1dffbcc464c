import { createHash } from 'node:crypto';
import type { BookSides } from '@tickfeed/protocol';
import type { RedisClient } from './shared-store.js';
import type { StoreKeys } from './store-keys.js';

/**
 * Appends book messages to a symbol's book log. KEYS: the symbol's hash, its book hash, its book log.
 * ARGV: symbol epoch, first seq, last seq, ts, levels JSON after the last, log cap, '1' to replace
 * what the store holds, then the messages (first..last). Refused with EPOCH when the symbol's
 * epoch in the store differs, GAP when the messages do not continue the stored book; a book of
 * another epoch is dropped first; messages already stored change nothing; other messages at stored seqs are
 * refused with CONFLICT (this instance's book fell behind the store's).
 */
const APPEND_BOOK = script(
  'append-book',
  `
if redis.call('HGET', KEYS[1], 'epoch') ~= ARGV[1] then return 'EPOCH' end
local first = tonumber(ARGV[2])
local last = tonumber(ARGV[3])
local head = redis.call('HMGET', KEYS[2], 'epoch', 'seq')
if head[1] ~= ARGV[1] or ARGV[7] == '1' then
  redis.call('DEL', KEYS[2], KEYS[3])
elseif head[2] then
  local seq = tonumber(head[2])
  if last <= seq then
    local held = redis.call('XRANGE', KEYS[3], last .. '-0', last .. '-0')
    if held[1] and held[1][2][2] == ARGV[#ARGV] then return 'OK' end
    return 'CONFLICT'
  end
  if first ~= seq + 1 then return 'GAP' end
end
for i = 8, #ARGV do
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[6], (first + i - 8) .. '-0', 'm', ARGV[i])
end
redis.call('HSET', KEYS[2], 'epoch', ARGV[1], 'seq', ARGV[3], 'ts', ARGV[4], 'sides', ARGV[5])
return 'OK'
`,
);

/**
 * Reads a symbol's stored book and its logged messages from a seq on, in one moment.
 * KEYS: the symbol's hash, its book hash, its book log. ARGV: the first seq wanted.
 * Returns { symbol epoch, book epoch, seq, ts, levels JSON, [[id, [field, message]]...] }.
 */
const READ_BOOK_LOG = script(
  'read-book-log',
  `
local epoch = redis.call('HGET', KEYS[1], 'epoch') or ''
local head = redis.call('HMGET', KEYS[2], 'epoch', 'seq', 'ts', 'sides')
if head[1] ~= epoch then return { epoch, '', '0', '0', '', {} } end
return { epoch, head[1], head[2], head[3], head[4], redis.call('XRANGE', KEYS[3], ARGV[1] .. '-0', '+') }
`,
);

interface Script {
  readonly source: string;
  readonly sha: string;
}

function script(name: string, body: string): Script {
  const source = `-- tickfeed ${name}\n${body.trim()}\n`;
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/** Book messages of one symbol accepted here, to be appended to its log in one write. */
export interface BookAppend {
  symbol: string;
  symbolEpoch: string;
  firstSeq: number;
  lastSeq: number;
  ts: number;
  /** The book after the last message. */
  sides: BookSides;
  /** The messages' JSON texts, first..last. */
  messages: string[];
}

/** A symbol's stored book (in the symbol's stored epoch) and its logged messages from the seq asked for. */
export interface StoredBookLog {
  symbolEpoch: string;
  seq: number;
  ts: number;
  sides: BookSides;
  /** Logged messages, ascending by seq. */
  entries: { seq: number; json: string }[];
}

/**
 * The books' part of the shared store (C30): per symbol a hash with the book
 * after its last stored message (epoch, seq, ts, levels) and a Stream of its
 * messages (id `<seq>-0`, capped at `MAXLEN ~ BOOK_HISTORY_UPDATES`), and
 * one key naming the store's copy of the books (L2).
 */
export class BookStore {
  private readonly copyKey: string;

  constructor(
    private readonly client: RedisClient,
    private readonly keys: StoreKeys,
    private readonly logCap: number,
  ) {
    this.copyKey = `${keys.prefix}book-copy`;
  }

  /** The store's copy of the books: the one already stored, or `proposed` when there is none. */
  async copy(proposed: string): Promise<string> {
    await this.client.set(this.copyKey, proposed, { NX: true });
    const stored = await this.client.get(this.copyKey);
    return typeof stored === 'string' ? stored : proposed;
  }

  /** 'OK', or why the store refused: 'EPOCH' (another symbol epoch), 'GAP' (does not continue it) or 'CONFLICT' (other messages at those seqs). */
  async append(item: BookAppend, replace: boolean): Promise<string> {
    const args = [
      item.symbolEpoch,
      String(item.firstSeq),
      String(item.lastSeq),
      String(item.ts),
      JSON.stringify(item.sides),
      String(this.logCap),
      replace ? '1' : '0',
      ...item.messages,
    ];
    return String(await this.run(APPEND_BOOK, this.bookKeys(item.symbol), args));
  }

  /** The stored book and its messages from `fromSeq` on; null when the store holds no book of the symbol's stored epoch. */
  async read(symbol: string, fromSeq: number): Promise<StoredBookLog | null> {
    const reply = (await this.run(READ_BOOK_LOG, this.bookKeys(symbol), [String(Math.max(0, fromSeq))])) as [string, string, string, string, string, [string, string[]][]];
    const [symbolEpoch, bookEpoch, seq, ts, sides, entries] = reply;
    if (bookEpoch === '' || symbolEpoch === '') return null;
    return {
      symbolEpoch,
      seq: Number(seq),
      ts: Number(ts),
      sides: JSON.parse(sides) as BookSides,
      entries: entries.map(([id, fields]) => ({ seq: Number(id.split('-')[0]), json: String(fields[1]) })),
    };
  }

  private bookKeys(symbol: string): string[] {
    const base = `${this.keys.prefix}{${symbol}}:`;
    return [this.keys.symbol(symbol).book, `${base}l2`, `${base}l2log`];
  }

  private async run(s: Script, keys: string[], args: string[]): Promise<unknown> {
    try {
      return await this.client.evalSha(s.sha, { keys, arguments: args });
    } catch (error) {
      // The script cache is empty after a Redis restart or SCRIPT FLUSH.
      if (error instanceof Error && error.message.startsWith('NOSCRIPT')) return this.client.eval(s.source, { keys, arguments: args });
      throw error;
    }
  }
}
