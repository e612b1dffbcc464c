import { Events } from '@tickfeed/protocol';

/**
 * The load generator's fast path (SPEC B33): the symbol, seq and ts of every
 * tick of a `ticks` frame, read by scanning the frame instead of decoding it
 * (engine.io-parser, socket.io-parser and a JSON.parse building every tick's
 * object), which was most of the load generator's CPU per delivery. Exact or
 * nothing: any frame it is not sure of (another event, an ack, a namespace,
 * a backslash, a nested object, a repeated key, a number that is not a plain
 * integer) gives null and goes through the full decode, so the verdict rules
 * (B2, B3) see the same values either way. Pure.
 */
const PREFIX = `42[${JSON.stringify(Events.ticks)},[`;

export interface ScannedTicks {
  symbols: string[];
  seqs: number[];
  ts: number[];
}

const SYMBOL_KEY = '"symbol":"';
const SEQ_KEY = '"seq":';
const TS_KEY = '"ts":';

/** The frame's ticks, or null when the frame is not a `ticks` event this scanner reads exactly. */
export function scanTicksFrame(frame: string): ScannedTicks | null {
  if (!frame.startsWith(PREFIX) || !frame.endsWith(']]') || frame.includes('\\')) return null;
  const out: ScannedTicks = { symbols: [], seqs: [], ts: [] };
  const last = frame.length - 2;
  let i = PREFIX.length;
  if (i === last) return out;
  for (;;) {
    if (frame.charCodeAt(i) !== 0x7b /* { */) return null;
    const end = frame.indexOf('}', i);
    if (end < 0 || end >= last) return null;
    const nested = frame.indexOf('{', i + 1);
    if (nested >= 0 && nested < end) return null;
    const symbol = stringField(frame, i, end, SYMBOL_KEY);
    const seq = intField(frame, i, end, SEQ_KEY);
    const ts = intField(frame, i, end, TS_KEY);
    if (symbol === null || seq === null || ts === null) return null;
    out.symbols.push(symbol);
    out.seqs.push(seq);
    out.ts.push(ts);
    i = end + 1;
    if (i === last) return out;
    if (frame.charCodeAt(i) !== 0x2c /* , */) return null;
    i += 1;
  }
}

/** Where the key's value starts inside [from, end), or -1 when the key is absent or there twice. */
function valueAt(frame: string, from: number, end: number, key: string): number {
  const at = frame.indexOf(key, from);
  if (at < 0 || at >= end) return -1;
  const again = frame.indexOf(key, at + key.length);
  if (again >= 0 && again < end) return -1;
  // A key follows '{' or ','; anything else means the text sits inside another token.
  const before = frame.charCodeAt(at - 1);
  if (before !== 0x7b && before !== 0x2c) return -1;
  return at + key.length;
}

function stringField(frame: string, from: number, end: number, key: string): string | null {
  const start = valueAt(frame, from, end, key);
  if (start < 0) return null;
  const close = frame.indexOf('"', start);
  if (close < 0 || close >= end) return null;
  return frame.slice(start, close);
}

function intField(frame: string, from: number, end: number, key: string): number | null {
  const start = valueAt(frame, from, end, key);
  if (start < 0) return null;
  let i = start;
  let n = 0;
  for (; i < end; i++) {
    const c = frame.charCodeAt(i);
    if (c < 0x30 || c > 0x39) break;
    n = n * 10 + (c - 0x30);
  }
  const next = frame.charCodeAt(i);
  if (i === start || (next !== 0x2c && i !== end) || i - start > 15 || (frame.charCodeAt(start) === 0x30 && i - start > 1)) return null;
  return n;
}
