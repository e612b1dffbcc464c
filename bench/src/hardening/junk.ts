import { Events, type FeedStatus, type SymbolDeclaration } from '@tickfeed/protocol';
import fc from 'fast-check';
import type { Rng } from './rng.js';

/*
 * Hostile payloads for the Socket.IO events (F8): each request starts from a
 * valid payload of its event and is broken one way: wrong type, a field
 * missing, added or of the wrong type, bad numbers, deep nesting, huge
 * arrays and strings, binary. Pure: the same Rng gives the same requests.
 * The values themselves are fast-check arbitraries (so property tests over
 * them shrink a failure); which event, which mutation and where it lands are
 * ours: they encode what the server must answer, which no generic generator
 * knows.
 */

/** How a request was broken. */
export type Mutation =
  | 'valid'
  | 'wrong-type'
  | 'missing-field'
  | 'extra-field'
  | 'field-type'
  | 'bad-number'
  | 'deep-nesting'
  | 'huge-array'
  | 'huge-string'
  | 'binary'
  | 'junk'
  | 'extra-args'
  | 'no-args';

export const MUTATIONS: readonly Mutation[] = [
  'valid',
  'wrong-type',
  'missing-field',
  'extra-field',
  'field-type',
  'bad-number',
  'deep-nesting',
  'huge-array',
  'huge-string',
  'binary',
  'junk',
  'extra-args',
  'no-args',
];

/** One request a socket.io-client attacker emits. */
export interface FuzzRequest {
  event: string;
  /** Arguments before the ack callback. */
  args: unknown[];
  withAck: boolean;
  mutation: Mutation;
  /** Larger than the payload limit once encoded: the expected answer is a disconnect. */
  oversize: boolean;
  /** publish: indexes of ticks whose symbol this publisher never declared (each must be rejected, F7). */
  undeclaredIndexes: number[];
}

/** Names the generators may use. */
export interface Vocabulary {
  /** Symbols in the universe that the generated requests may name. */
  knownSymbols: readonly string[];
  /** Symbols an authenticated attacker may declare and publish (never the healthy publisher's). */
  ownSymbols: readonly string[];
  /** Symbols whose ticks an authenticated attacker may try to publish without declaring them. */
  foreignSymbols: readonly string[];
  /** Largest Socket.IO message the server accepts, bytes. */
  maxPayloadBytes: number;
}

/** Numbers that break naive validation. JSON turns NaN and ±Infinity into null on the way out of socket.io-client. */
export const BAD_NUMBERS: readonly number[] = [
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  -0,
  -1,
  0,
  0.5,
  -1e-300,
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER + 2,
  2 ** 63,
  -(2 ** 31),
  Number.MIN_VALUE,
];

/** Object keys that trip careless code (prototype pollution, empty, control characters). */
export const ODD_KEYS: readonly string[] = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '',
  ' ',
  '\u0000',
  '💥',
  'symbols',
  'resume',
  'ticks',
  'seq',
  'ok',
  'k'.repeat(300),
];

const ODD_STRINGS: readonly string[] = [
  '',
  ' ',
  'aapl',
  '../../etc/passwd',
  '%00',
  '\u0000',
  '\ud800',
  '💥📈',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '${jndi:ldap://x/a}',
  '__proto__',
  'A'.repeat(21),
  '-AAPL',
  'null',
  'NaN',
  '1e999',
];

/** UTF-16 units of random strings: lone surrogates included on purpose. */
const STRING_UNITS = 'abcXYZ019 _-.,;:{}[]"\\/\u00e9\u4e2d\ud83d\ude00'.split('');
const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.split('');

/** A hostile string: odd ones, symbol names (known or not), random units, long ones. */
export function junkStringArbitrary(vocab: Vocabulary): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(...ODD_STRINGS), weight: 4 },
    { arbitrary: fc.constantFrom(...vocab.knownSymbols, ...vocab.ownSymbols, 'NOPE', 'ZZZZ9'), weight: 3 },
    { arbitrary: fc.string({ unit: fc.constantFrom(...STRING_UNITS), minLength: 1, maxLength: 30 }), weight: 2 },
    { arbitrary: fc.string({ unit: fc.constantFrom(...ALPHANUMERIC), minLength: 1_000, maxLength: 12_000 }), weight: 1 },
  );
}

/**
 * A random JSON-ish value, up to three levels deep: bad and ordinary numbers,
 * hostile strings, booleans, null, undefined, small arrays, objects with odd
 * keys (own properties, '__proto__' included) and Buffers.
 */
export function junkValueArbitrary(vocab: Vocabulary): fc.Arbitrary<unknown> {
  const key = fc.oneof({ arbitrary: fc.constantFrom(...ODD_KEYS), weight: 6 }, { arbitrary: fc.string({ unit: fc.constantFrom(...ALPHANUMERIC), minLength: 1, maxLength: 8 }), weight: 4 });
  const number = fc.oneof({ arbitrary: fc.constantFrom(...BAD_NUMBERS), weight: 6 }, { arbitrary: fc.double({ min: -5e11, max: 5e11, noNaN: true }), weight: 4 });
  const { value } = fc.letrec((tie) => ({
    value: fc.oneof(
      // At the depth limit oneof takes the first: a leaf.
      { maxDepth: 3, depthIdentifier: 'junk' },
      { arbitrary: number, weight: 3 },
      { arbitrary: junkStringArbitrary(vocab), weight: 3 },
      { arbitrary: fc.boolean(), weight: 1 },
      { arbitrary: fc.constant(null), weight: 1 },
      { arbitrary: fc.constant(undefined), weight: 1 },
      { arbitrary: fc.array(tie('value'), { maxLength: 4, depthIdentifier: 'junk' }), weight: 2 },
      {
        arbitrary: fc.array(fc.tuple(key, tie('value')), { maxLength: 4, depthIdentifier: 'junk' }).map((entries) => {
          const out: Record<string, unknown> = {};
          for (const [k, v] of entries) defineKey(out, k, v);
          return out;
        }),
        weight: 2,
      },
      { arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)), weight: 1 },
    ),
  }));
  return value;
}

/**
 * One value of an arbitrary, drawn from the run's seeded Rng: fast-check's
 * generators (and their shrinking, in the property tests) with the fuzzer's
 * reproducible seed.
 */
export function draw<T>(rng: Rng, arbitrary: fc.Arbitrary<T>): T {
  return fc.sample(arbitrary, { seed: rng.int(0, 0x7fff_ffff), numRuns: 1 })[0] as T;
}

const arbitraries = new WeakMap<Vocabulary, { value: fc.Arbitrary<unknown>; string: fc.Arbitrary<string> }>();

function arbitrariesOf(vocab: Vocabulary): { value: fc.Arbitrary<unknown>; string: fc.Arbitrary<string> } {
  let found = arbitraries.get(vocab);
  if (found === undefined) {
    found = { value: junkValueArbitrary(vocab), string: junkStringArbitrary(vocab) };
    arbitraries.set(vocab, found);
  }
  return found;
}

/** A random JSON-ish value (junkValueArbitrary), drawn from `rng`. */
export function junkValue(rng: Rng, vocab: Vocabulary): unknown {
  return draw(rng, arbitrariesOf(vocab).value);
}

/** A hostile string (junkStringArbitrary), drawn from `rng`. */
export function junkString(rng: Rng, vocab: Vocabulary): string {
  return draw(rng, arbitrariesOf(vocab).string);
}

/** A request for a consumer-namespace socket: mostly subscribe/unsubscribe, also every other kind of event. */
export function consumerRequest(rng: Rng, vocab: Vocabulary): FuzzRequest {
  const kind = rng.weighted({ subscribe: 40, unsubscribe: 20, ingestEvent: 8, unknown: 14, serverEvent: 6 });
  switch (kind) {
    case 'subscribe':
      return build(rng, vocab, Events.subscribe, validSubscribe(rng, vocab));
    case 'unsubscribe':
      return build(rng, vocab, Events.unsubscribe, { symbols: pickSymbols(rng, vocab) });
    case 'ingestEvent': {
      const event = rng.pick([Events.declare, Events.publish, Events.status]);
      return build(rng, vocab, event, ingestPayload(rng, vocab, event).value);
    }
    case 'serverEvent':
      // Names the server sends, sent back to it.
      return build(rng, vocab, rng.pick([Events.ticks, Events.welcome, Events.notice, Events.reset, Events.shutdown, Events.feedStatus, 'error']), junkValue(rng, vocab));
    default:
      return build(rng, vocab, unknownEventName(rng), junkValue(rng, vocab));
  }
}

/** A request for an authenticated /ingest socket. Never declares a symbol outside `ownSymbols`. */
export function ingestRequest(rng: Rng, vocab: Vocabulary): FuzzRequest {
  const kind = rng.weighted({ declare: 25, publish: 45, status: 15, unknown: 10, consumerEvent: 5 });
  if (kind === 'unknown') return build(rng, vocab, unknownEventName(rng), junkValue(rng, vocab));
  if (kind === 'consumerEvent') return build(rng, vocab, rng.pick([Events.subscribe, Events.unsubscribe]), validSubscribe(rng, vocab));
  const event = kind === 'declare' ? Events.declare : kind === 'publish' ? Events.publish : Events.status;
  const { value, undeclaredIndexes } = ingestPayload(rng, vocab, event);
  const request = build(rng, vocab, event, value);
  // Only an untouched publish keeps its tick indexes; a mutated one is checked by the state comparison instead.
  if (request.mutation === 'valid' && event === Events.publish) request.undeclaredIndexes = undeclaredIndexes;
  if (event === Events.declare) {
    request.args = request.args.map((arg) => scrubDeclare(arg, vocab));
    request.oversize = encodedBytes(request.event, request.args) > vocab.maxPayloadBytes;
  }
  return request;
}

/** Unknown event names, including ones that look like Object.prototype members. */
export function unknownEventName(rng: Rng): string {
  return rng.pick([
    'hello',
    'SUBSCRIBE',
    'subscribe ',
    'admin',
    'control',
    '__proto__',
    'constructor',
    'toString',
    'hasOwnProperty',
    '',
    '💥',
    'x'.repeat(2_000),
    rng.string(rng.int(1, 20), 'abcdefghijklmnopqrstuvwxyz:_-'),
  ]);
}

function validSubscribe(rng: Rng, vocab: Vocabulary): Record<string, unknown> {
  const symbols = pickSymbols(rng, vocab);
  if (!rng.chance(0.3)) return { symbols };
  const resume: Record<string, unknown> = {};
  for (const symbol of symbols) {
    defineKey(resume, symbol, { epoch: rng.chance(0.5) ? rng.string(8) : 'x', seq: rng.int(0, 100_000) });
  }
  return { symbols, resume };
}

function pickSymbols(rng: Rng, vocab: Vocabulary): string[] {
  const pool = [...vocab.knownSymbols, ...vocab.ownSymbols, 'NOPE', 'zz', 'A'.repeat(25)];
  return rng.sample(pool, rng.int(1, 6));
}

function ingestPayload(rng: Rng, vocab: Vocabulary, event: string): { value: unknown; undeclaredIndexes: number[] } {
  if (event === Events.declare) {
    const symbols = rng.sample(vocab.ownSymbols, rng.int(1, vocab.ownSymbols.length)).map((s) => declaration(rng, s));
    const value: Record<string, unknown> = { symbols };
    if (rng.chance(0.3)) value.reset = rng.chance(0.5);
    if (rng.chance(0.2)) value.reason = junkString(rng, vocab).slice(0, 120);
    return { value, undeclaredIndexes: [] };
  }
  if (event === Events.publish) {
    const ticks: unknown[] = [];
    const undeclaredIndexes: number[] = [];
    for (let i = rng.int(1, 8); i > 0; i--) {
      const foreign = rng.chance(0.3);
      if (foreign) undeclaredIndexes.push(ticks.length);
      ticks.push(plausibleTick(rng, foreign ? rng.pick(vocab.foreignSymbols) : rng.pick(vocab.ownSymbols)));
    }
    return { value: { ticks }, undeclaredIndexes };
  }
  const status: FeedStatus = {
    mode: rng.chance(0.5) ? 'live' : 'replay',
    state: rng.pick(['playing', 'paused', 'ended'] as const),
    speed: rng.chance(0.2) ? 'max' : rng.int(1, 100),
    clock: rng.chance(0.5) ? null : 1_700_000_000_000 + rng.int(0, 1e9),
    loop: rng.chance(0.5),
    completions: rng.int(0, 5),
    marker: null,
    source: 'fuzz',
    controllable: rng.chance(0.3),
  };
  return { value: status, undeclaredIndexes: [] };
}

function declaration(rng: Rng, symbol: string): SymbolDeclaration {
  return {
    symbol,
    name: `${symbol} fuzz`,
    kind: rng.pick(['equity', 'crypto', 'fx'] as const),
    currency: 'USD',
    tickSize: 0.01,
    refPrice: rng.int(1, 1_000),
  };
}

function plausibleTick(rng: Rng, symbol: string): Record<string, unknown> {
  const price = rng.int(100, 100_000) / 100;
  return { symbol, seq: rng.int(1, 50), ts: Date.UTC(2026, 0, 5) + rng.int(0, 1e7), price, size: rng.int(0, 1_000), bid: price - 0.01, ask: price + 0.01 };
}

/**
 * A mutated declare could name a symbol outside the attacker's own: swap such
 * a name for one of its own, so an authorised publisher never rewrites the
 * healthy publisher's symbols (that is allowed, and not what is tested).
 */
function scrubDeclare(value: unknown, vocab: Vocabulary): unknown {
  if (typeof value !== 'object' || value === null || Buffer.isBuffer(value)) return value;
  const symbols = (value as { symbols?: unknown }).symbols;
  if (!Array.isArray(symbols)) return value;
  for (const entry of symbols) {
    if (typeof entry !== 'object' || entry === null) continue;
    const decl = entry as Record<string, unknown>;
    if (typeof decl.symbol === 'string' && !vocab.ownSymbols.includes(decl.symbol)) decl.symbol = `X${decl.symbol}`.slice(0, 64);
  }
  return value;
}

function build(rng: Rng, vocab: Vocabulary, event: string, valid: unknown): FuzzRequest {
  const mutation = rng.weighted<Mutation>({
    valid: 18,
    'wrong-type': 8,
    'missing-field': 8,
    'extra-field': 8,
    'field-type': 12,
    'bad-number': 8,
    'deep-nesting': 3,
    'huge-array': 3,
    'huge-string': 3,
    binary: 5,
    junk: 8,
    'extra-args': 4,
    'no-args': 3,
  });
  const args = mutate(rng, vocab, mutation, valid);
  return {
    event,
    args,
    withAck: rng.chance(0.85),
    mutation,
    oversize: encodedBytes(event, args) > vocab.maxPayloadBytes,
    undeclaredIndexes: [],
  };
}

/** The arguments of a request broken by `mutation`. */
export function mutate(rng: Rng, vocab: Vocabulary, mutation: Mutation, valid: unknown): unknown[] {
  const value = clone(valid);
  switch (mutation) {
    case 'valid':
      return [value];
    case 'wrong-type':
      return [rng.pick<unknown>([null, undefined, 0, -1, true, 'subscribe', [], [value], junkString(rng, vocab)])];
    case 'junk':
      return [junkValue(rng, vocab)];
    case 'no-args':
      return [];
    case 'extra-args':
      return [value, ...Array.from({ length: rng.int(1, 4) }, () => junkValue(rng, vocab))];
    case 'deep-nesting':
      // socket.io-client walks payloads recursively (hasBinary): keep it within the client's stack.
      return [replaceSomewhere(rng, value, deepValue(rng, rng.int(50, 1_500)))];
    case 'huge-array':
      return [replaceSomewhere(rng, value, hugeArray(rng, vocab))];
    case 'huge-string':
      return [replaceSomewhere(rng, value, hugeString(rng, vocab.maxPayloadBytes))];
    case 'binary':
      return [rng.chance(0.3) ? rng.bytes(rng.int(0, 4_096)) : replaceSomewhere(rng, value, rng.bytes(rng.int(0, 2_048)))];
    case 'bad-number':
      return [replaceSomewhere(rng, value, rng.pick(BAD_NUMBERS), (v) => typeof v === 'number')];
    case 'field-type':
      return [replaceSomewhere(rng, value, junkValue(rng, vocab))];
    case 'missing-field':
      return [removeSomewhere(rng, value)];
    case 'extra-field':
      return [addSomewhere(rng, value, rng.pick(ODD_KEYS), junkValue(rng, vocab))];
  }
}

function deepValue(rng: Rng, depth: number): unknown {
  let value: unknown = rng.chance(0.5) ? 'AAPL' : 1;
  for (let i = 0; i < depth; i++) value = rng.chance(0.5) ? [value] : { a: value };
  return value;
}

function hugeArray(rng: Rng, vocab: Vocabulary): unknown[] {
  const length = rng.pick([201, 5_001, 10_001, 100_000]);
  const element = rng.weighted({ symbol: 3, number: 2, object: 1 });
  if (element === 'symbol') return new Array<string>(length).fill(rng.pick([...vocab.knownSymbols, 'NOPE']));
  if (element === 'number') return new Array<number>(length).fill(rng.int(0, 9));
  return new Array<unknown>(Math.min(length, 20_000)).fill({ symbol: 'NOPE', seq: 1 });
}

function hugeString(rng: Rng, maxPayloadBytes: number): string {
  // Clearly under or clearly over the limit, never on the edge, so the expected answer is known.
  const length = rng.pick([10_000, 100_000, Math.floor(maxPayloadBytes * 0.7), Math.ceil(maxPayloadBytes * 1.3)]);
  return 'A'.repeat(length);
}

interface Slot {
  parent: Record<string, unknown> | unknown[];
  key: string | number;
}

/** Every (parent, key) in a JSON tree, breadth first. */
function slots(root: unknown): Slot[] {
  const out: Slot[] = [];
  const queue: unknown[] = [root];
  while (queue.length > 0 && out.length < 500) {
    const node = queue.shift();
    if (Array.isArray(node)) {
      node.forEach((child, i) => {
        out.push({ parent: node, key: i });
        queue.push(child);
      });
    } else if (isPlainObject(node)) {
      for (const key of Object.keys(node)) {
        out.push({ parent: node, key });
        queue.push(node[key]);
      }
    }
  }
  return out;
}

function replaceSomewhere(rng: Rng, root: unknown, replacement: unknown, filter?: (v: unknown) => boolean): unknown {
  const candidates = slots(root).filter((s) => filter === undefined || filter(get(s)));
  if (candidates.length === 0 || rng.chance(0.15)) return filter === undefined ? replacement : root;
  set(rng.pick(candidates), replacement);
  return root;
}

function removeSomewhere(rng: Rng, root: unknown): unknown {
  const candidates = slots(root);
  if (candidates.length === 0) return root;
  const slot = rng.pick(candidates);
  if (Array.isArray(slot.parent)) slot.parent.splice(Number(slot.key), 1);
  else delete slot.parent[slot.key];
  return root;
}

function addSomewhere(rng: Rng, root: unknown, key: string, value: unknown): unknown {
  const objects = [root, ...slots(root).map(get)].filter(isPlainObject);
  if (objects.length === 0) return root;
  defineKey(rng.pick(objects), key, value);
  return root;
}

function get(slot: Slot): unknown {
  return Array.isArray(slot.parent) ? slot.parent[Number(slot.key)] : slot.parent[slot.key];
}

function set(slot: Slot, value: unknown): void {
  if (Array.isArray(slot.parent)) slot.parent[Number(slot.key)] = value;
  else defineKey(slot.parent, String(slot.key), value);
}

/** Sets an own, enumerable property, also for '__proto__' (plain assignment would change the prototype). */
function defineKey(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

function clone(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clone);
  if (Buffer.isBuffer(value)) return Buffer.from(value);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) defineKey(out, key, clone(value[key]));
    return out;
  }
  return value;
}

/**
 * Bytes of the largest Engine.IO packet socket.io-client makes of this emit:
 * the JSON text, or one binary attachment, whichever is larger.
 */
export function encodedBytes(event: string, args: readonly unknown[]): number {
  let largestBuffer = 0;
  const json = JSON.stringify([event, ...args], (_key, v: unknown) => {
    if (isSerializedBuffer(v)) {
      largestBuffer = Math.max(largestBuffer, v.data.length);
      return { _placeholder: true, num: 0 };
    }
    return v;
  });
  return Math.max(Buffer.byteLength(json ?? '') + 16, largestBuffer);
}

/** JSON.stringify calls Buffer#toJSON before the replacer sees the value. */
function isSerializedBuffer(v: unknown): v is { type: 'Buffer'; data: number[] } {
  return typeof v === 'object' && v !== null && (v as { type?: unknown }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data);
}
