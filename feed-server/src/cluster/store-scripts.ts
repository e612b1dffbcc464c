import { createHash } from 'node:crypto';
import { INTERVALS } from '@tickfeed/protocol';
import { KEYS_PER_SYMBOL } from './store-keys.js';

/**
 * The shared store's writes and consistent reads, as Lua scripts: each runs
 * atomically in Redis, so a reader never sees a book's stats, candles and
 * tick log from different moments, and the checks (epoch, seq continuity)
 * and the writes they guard cannot interleave with another instance's.
 *
 * Per symbol the store holds one contiguous log per epoch: the book's `seq` is
 * the last tick in the log, and a write that would leave a hole is refused.
 */
export interface StoreScript {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

function script(name: string, body: string): StoreScript {
  const source = `-- tickfeed ${name}\nlocal NI = ${INTERVALS.length}\nlocal KPS = ${KEYS_PER_SYMBOL}\n${body.trim()}\n`;
  return { name, source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * Declares symbols. KEYS: KPS keys per symbol, then the universe set.
 * ARGV: '1' to start new epochs, the symbol count, then per symbol:
 * symbol, meta JSON, refPrice, proposed epoch, initial stats JSON.
 * A symbol the store lacks (or any symbol, with reset) starts an empty epoch
 * with the proposed id; an existing one keeps its epoch and history and only
 * takes the new metadata (and the reference price while it has no tick),
 * the same rule as MarketState.declare.
 * Returns per symbol { epoch, seq }.
 */
export const DECLARE = script(
  'declare',
  `
local universe = KEYS[#KEYS]
local reset = ARGV[1] == '1'
local out = {}
for s = 0, tonumber(ARGV[2]) - 1 do
  local k = s * KPS
  local a = 3 + s * 5
  local book = KEYS[k + 1]
  local head = redis.call('HMGET', book, 'epoch', 'seq')
  if reset or not head[1] then
    for i = 2, KPS do redis.call('DEL', KEYS[k + i]) end
    redis.call('HSET', book, 'epoch', ARGV[a + 3], 'seq', '0', 'meta', ARGV[a + 1], 'refPrice', ARGV[a + 2], 'stats', ARGV[a + 4])
    redis.call('SADD', universe, ARGV[a])
    out[s + 1] = { ARGV[a + 3], '0' }
  else
    redis.call('HSET', book, 'meta', ARGV[a + 1])
    if tonumber(head[2]) == 0 then
      redis.call('HSET', book, 'refPrice', ARGV[a + 2], 'stats', ARGV[a + 4])
    end
    out[s + 1] = { head[1], head[2] }
  end
end
return out
`,
);

/**
 * Appends accepted ticks. KEYS: KPS keys per symbol. ARGV: stream max length,
 * symbol count, then per symbol: epoch, stats JSON (after the last tick),
 * tick count n, n pairs (seq, tick JSON), then per interval: trimBefore
 * (0: none), count m, m pairs (bucket time, candle JSON) of the candles these
 * ticks changed.
 * Ticks the log already holds are skipped when identical (a retry) and
 * refused as CONFLICT when not; the first new tick must be seq + 1 (else GAP).
 * Returns per symbol { status, seq }: OK | GAP | EPOCH | MISSING | CONFLICT,
 * and the log's last seq.
 */
export const APPEND = script(
  'append',
  `
local maxlen = ARGV[1]
local a = 3
local out = {}
for s = 0, tonumber(ARGV[2]) - 1 do
  local k = s * KPS
  local book, stream = KEYS[k + 1], KEYS[k + 2]
  local epoch, stats, n = ARGV[a], ARGV[a + 1], tonumber(ARGV[a + 2])
  local t0 = a + 3
  local c0 = t0 + 2 * n
  local c = c0
  for i = 1, NI do c = c + 2 + 2 * tonumber(ARGV[c + 1]) end
  a = c
  local head = redis.call('HMGET', book, 'epoch', 'seq')
  local status, stored = 'OK', 0
  if not head[1] then
    status = 'MISSING'
  elseif head[1] ~= epoch then
    status = 'EPOCH'
    stored = tonumber(head[2])
  else
    stored = tonumber(head[2])
    local expected = stored + 1
    for i = 0, n - 1 do
      local seq = tonumber(ARGV[t0 + 2 * i])
      if seq <= stored then
        local id = ARGV[t0 + 2 * i] .. '-0'
        local e = redis.call('XRANGE', stream, id, id)
        if e[1] and e[1][2][2] ~= ARGV[t0 + 2 * i + 1] then
          status = 'CONFLICT'
          break
        end
      elseif seq == expected then
        expected = expected + 1
      else
        status = 'GAP'
        break
      end
    end
    if status == 'OK' and expected > stored + 1 then
      for i = 0, n - 1 do
        if tonumber(ARGV[t0 + 2 * i]) > stored then
          redis.call('XADD', stream, 'MAXLEN', '~', maxlen, ARGV[t0 + 2 * i] .. '-0', 't', ARGV[t0 + 2 * i + 1])
        end
      end
      c = c0
      for i = 1, NI do
        local key = KEYS[k + 2 + i]
        local trim, m = ARGV[c], tonumber(ARGV[c + 1])
        for j = 0, m - 1 do
          local time = ARGV[c + 2 + 2 * j]
          redis.call('ZREMRANGEBYSCORE', key, time, time)
          redis.call('ZADD', key, time, ARGV[c + 3 + 2 * j])
        end
        if trim ~= '0' then redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. trim) end
        c = c + 2 + 2 * m
      end
      stored = expected - 1
      redis.call('HSET', book, 'seq', string.format('%.0f', stored), 'stats', stats)
    end
  end
  out[s + 1] = { status, string.format('%.0f', stored) }
end
return out
`,
);

/**
 * Writes a whole book (after Redis lost it, or when the log cannot be
 * continued). KEYS: the symbol's KPS keys, then the universe set. ARGV:
 * symbol, epoch, meta JSON, refPrice, stats JSON, seq, stream max length,
 * tick count n, n pairs (seq, tick JSON), then per interval: count m, m pairs
 * (bucket time, candle JSON).
 * Only replaces a missing book or an older state of the same epoch; returns
 * { 'OK' | 'SKIP', epoch, seq } with what the store holds afterwards.
 */
export const SEED = script(
  'seed',
  `
local head = redis.call('HMGET', KEYS[1], 'epoch', 'seq')
if head[1] and (head[1] ~= ARGV[2] or tonumber(head[2]) >= tonumber(ARGV[6])) then
  return { 'SKIP', head[1], head[2] }
end
for i = 2, KPS do redis.call('DEL', KEYS[i]) end
local n = tonumber(ARGV[8])
for i = 0, n - 1 do
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[7], ARGV[9 + 2 * i] .. '-0', 't', ARGV[10 + 2 * i])
end
local c = 9 + 2 * n
for i = 1, NI do
  local m = tonumber(ARGV[c])
  for j = 0, m - 1 do redis.call('ZADD', KEYS[2 + i], ARGV[c + 1 + 2 * j], ARGV[c + 2 + 2 * j]) end
  c = c + 1 + 2 * m
end
redis.call('HSET', KEYS[1], 'epoch', ARGV[2], 'seq', ARGV[6], 'meta', ARGV[3], 'refPrice', ARGV[4], 'stats', ARGV[5])
redis.call('SADD', KEYS[KPS + 1], ARGV[1])
return { 'OK', ARGV[2], ARGV[6] }
`,
);

/**
 * Reads a whole book. KEYS: the symbol's KPS keys. ARGV: most ticks to return.
 * Returns nil, or { {epoch, seq, meta, refPrice, stats}, {tick JSON...} oldest
 * first, { {candle JSON...} per interval } }.
 */
export const READ_BOOK = script(
  'read-book',
  `
local h = redis.call('HMGET', KEYS[1], 'epoch', 'seq', 'meta', 'refPrice', 'stats')
if not h[1] then return false end
local entries = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', ARGV[1])
local ticks = {}
for i = #entries, 1, -1 do ticks[#ticks + 1] = entries[i][2][2] end
local candles = {}
for i = 1, NI do candles[i] = redis.call('ZRANGE', KEYS[2 + i], 0, -1) end
return { h, ticks, candles }
`,
);

/**
 * Reads the log from a seq on. KEYS: book, ticks. ARGV: first seq, most ticks.
 * Returns nil, or { epoch, seq, {id, tick JSON, id, tick JSON...} }.
 */
export const READ_TAIL = script(
  'read-tail',
  `
local h = redis.call('HMGET', KEYS[1], 'epoch', 'seq')
if not h[1] then return false end
local entries = redis.call('XRANGE', KEYS[2], ARGV[1] .. '-0', '+', 'COUNT', ARGV[2])
local flat = {}
for i = 1, #entries do
  flat[#flat + 1] = entries[i][1]
  flat[#flat + 1] = entries[i][2][2]
end
return { h[1], h[2], flat }
`,
);

/**
 * Epoch and last seq of every symbol. KEYS: the universe set. ARGV: the key
 * prefix (book keys are derived from it, as StoreKeys does).
 * Returns { {symbol, epoch, seq}... }.
 */
export const HEADS = script(
  'heads',
  `
local symbols = redis.call('SMEMBERS', KEYS[1])
local out = {}
for i = 1, #symbols do
  local h = redis.call('HMGET', ARGV[1] .. '{' .. symbols[i] .. '}:book', 'epoch', 'seq')
  out[i] = { symbols[i], h[1] or '', h[2] or '0' }
end
return out
`,
);

export const ALL_SCRIPTS: readonly StoreScript[] = [DECLARE, APPEND, SEED, READ_BOOK, READ_TAIL, HEADS];
