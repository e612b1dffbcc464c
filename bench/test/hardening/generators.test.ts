import { describe, expect, it } from 'vitest';
import { ERROR_CODES, ErrorCode, Events } from '@tickfeed/protocol';
import { Rng } from '../../src/hardening/rng.js';
import fc from 'fast-check';
import { MUTATIONS, consumerRequest, encodedBytes, ingestRequest, junkValueArbitrary, mutate, type Vocabulary } from '../../src/hardening/junk.js';
import { rawAttack, type RawFrameKind } from '../../src/hardening/raw-frames.js';
import { restCase } from '../../src/hardening/rest-cases.js';
import { Ledger, classifyReply } from '../../src/hardening/ledger.js';
import { judgeRest } from '../../src/hardening/attackers.js';
import { linearFit } from '../../src/hardening/regression.js';
import { engineRefusalCode, forwardedFor } from '../../src/hardening/edge-attackers.js';
import { MetricsSnapshot } from '../../src/hardening/prometheus.js';
import { UsageError, parseFlags } from '../../src/command-line.js';
import { vmRss } from '../../src/hardening/server-process.js';
import { floor } from '../../src/hardening/run-soak.js';

const vocab: Vocabulary = {
  knownSymbols: ['FZ00', 'FZ01', 'FZ02'],
  ownSymbols: ['ATK0', 'ATK1'],
  foreignSymbols: ['FZ00', 'FZ01', 'FZ02'],
  maxPayloadBytes: 1_000_000,
};
const ingestVocab: Vocabulary = { ...vocab, knownSymbols: [] };

/** A summary of a request that is cheap to compare (huge payloads included). */
function fingerprint(request: { event: string; args: unknown[]; withAck: boolean; mutation: string }): string {
  return `${request.event}|${request.withAck}|${request.mutation}|${encodedBytes(request.event, request.args)}`;
}

describe('seeded generators', () => {
  it('[F8] the same seed gives the same requests, frames and REST cases; another seed differs', () => {
    const run = (seed: number) => {
      const rng = new Rng(seed);
      const out: string[] = [];
      for (let i = 0; i < 200; i++) out.push(fingerprint(consumerRequest(rng, vocab)), fingerprint(ingestRequest(rng, ingestVocab)));
      let id = 0;
      for (let i = 0; i < 100; i++) {
        const attack = rawAttack(rng, { nsp: '', symbols: vocab.knownSymbols, maxPayloadBytes: 1_000, nextAckId: () => ++id });
        out.push(`${attack.kind}|${attack.frames.map((f) => (typeof f === 'string' ? f.length : `b${f.length}`)).join(',')}`);
      }
      for (let i = 0; i < 100; i++) {
        const c = restCase(rng, { healthySymbols: vocab.knownSymbols, adminToken: 'admin', bodyLimitBytes: 1_000 });
        out.push(`${c.method} ${c.path.slice(0, 50)} ${c.expect}`);
      }
      return out;
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
  });

  it('[F8] forked streams are independent of each other and reproducible', () => {
    const a = new Rng(1).fork('a');
    const b = new Rng(1).fork('b');
    const a2 = new Rng(1).fork('a');
    const seq = (r: Rng) => Array.from({ length: 5 }, () => r.int(0, 1e6));
    const first = seq(a);
    expect(seq(a2)).toEqual(first);
    expect(seq(b)).not.toEqual(first);
  });

  it('[F2] consumer requests cover every mutation, with and without acks, and every contract event', () => {
    const rng = new Rng(3);
    const mutations = new Set<string>();
    const events = new Set<string>();
    const acks = new Set<boolean>();
    for (let i = 0; i < 1_500; i++) {
      const r = consumerRequest(rng, vocab);
      mutations.add(r.mutation);
      events.add(r.event);
      acks.add(r.withAck);
    }
    expect([...mutations].sort()).toEqual([...MUTATIONS].sort());
    for (const e of [Events.subscribe, Events.unsubscribe, Events.declare, Events.publish, Events.status, 'error']) expect(events).toContain(e);
    expect(acks).toEqual(new Set([true, false]));
  });

  it('[F7] an authenticated attacker never declares a symbol outside its own, and its valid publishes mark undeclared ticks', () => {
    const rng = new Rng(4);
    let marked = 0;
    for (let i = 0; i < 1_500; i++) {
      const r = ingestRequest(rng, ingestVocab);
      if (r.event === Events.declare) {
        const symbols = (r.args[0] as { symbols?: unknown } | undefined)?.symbols;
        if (Array.isArray(symbols)) {
          for (const d of symbols) {
            const symbol = (d as { symbol?: unknown } | null)?.symbol;
            if (typeof symbol === 'string') expect(vocab.foreignSymbols).not.toContain(symbol);
          }
        }
      }
      if (r.undeclaredIndexes.length > 0) {
        marked++;
        const ticks = (r.args[0] as { ticks: { symbol: string }[] }).ticks;
        for (const index of r.undeclaredIndexes) expect(vocab.foreignSymbols).toContain(ticks[index]!.symbol);
      }
    }
    expect(marked).toBeGreaterThan(10);
  });

  it('[F2] a huge string mutation is flagged oversize exactly when its encoding exceeds the limit', () => {
    const rng = new Rng(5);
    let over = 0;
    let under = 0;
    for (let i = 0; i < 200; i++) {
      const args = mutate(rng, vocab, 'huge-string', { symbols: ['FZ00'] });
      const bytes = encodedBytes(Events.subscribe, args);
      if (bytes > vocab.maxPayloadBytes) over++;
      else under++;
      // Never within 20% of the limit, so the expected answer is unambiguous.
      expect(Math.abs(bytes - vocab.maxPayloadBytes)).toBeGreaterThan(vocab.maxPayloadBytes * 0.2);
    }
    expect(over).toBeGreaterThan(0);
    expect(under).toBeGreaterThan(0);
  });

  it('[F2] every request is flagged oversize exactly when its final encoding exceeds the limit', () => {
    const rng = new Rng(10);
    for (let i = 0; i < 1_000; i++) {
      for (const r of [consumerRequest(rng, vocab), ingestRequest(rng, ingestVocab)]) {
        expect(r.oversize, `${r.event} ${r.mutation}`).toBe(encodedBytes(r.event, r.args) > vocab.maxPayloadBytes);
      }
    }
  });

  it('[F2] __proto__ keys become own properties of the payload, not its prototype', () => {
    const rng = new Rng(6);
    for (let i = 0; i < 500; i++) {
      const [value] = mutate(rng, vocab, 'extra-field', { symbols: ['FZ00'] });
      expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    }
  });

  it('[F2] any junk value is data socket.io can carry: every object is plain (odd keys are own properties) and its size estimate covers its JSON text', () => {
    const plain = (value: unknown): boolean => {
      if (Array.isArray(value)) return value.every(plain);
      if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return true;
      return Object.getPrototypeOf(value) === Object.prototype && Object.keys(value).every((k) => plain((value as Record<string, unknown>)[k]));
    };
    fc.assert(
      fc.property(junkValueArbitrary(vocab), (value) => {
        expect(plain(value)).toBe(true);
        const text = JSON.stringify(['x', value], (_k, v: unknown) => (typeof v === 'object' && v !== null && (v as { type?: unknown }).type === 'Buffer' ? 0 : v));
        expect(encodedBytes('x', [value])).toBeGreaterThanOrEqual(Buffer.byteLength(text));
      }),
      { seed: 12, numRuns: 300 },
    );
  });

  it('[F2] raw attacks cover every kind; ack ids are fresh; oversize frames are flagged', () => {
    const rng = new Rng(9);
    const kinds = new Set<RawFrameKind>();
    const ids = new Set<number>();
    let id = 0;
    for (let i = 0; i < 1_000; i++) {
      const attack = rawAttack(rng, { nsp: '/ingest,', symbols: ['FZ00'], maxPayloadBytes: 50_000, nextAckId: () => ++id });
      kinds.add(attack.kind);
      if (attack.ackId !== null) {
        expect(ids.has(attack.ackId)).toBe(false);
        ids.add(attack.ackId);
      }
      const largest = Math.max(...attack.frames.map((f) => (typeof f === 'string' ? Buffer.byteLength(f) : f.length)));
      expect(attack.oversize).toBe(largest > 50_000);
    }
    expect(kinds.size).toBe(14);
  });
});

describe('judging replies', () => {
  it('[F2] a reply is ok, or an error with a catalog code and a message; anything else is malformed', () => {
    expect(classifyReply({ ok: true, subscribed: [], rejected: [{ symbol: 'X', code: ErrorCode.UNKNOWN_SYMBOL, message: 'm' }] })).toEqual({ kind: 'ok' });
    expect(classifyReply({ ok: false, error: { code: ErrorCode.RATE_LIMITED, message: 'slow down' } })).toEqual({ kind: 'error', code: 'RATE_LIMITED' });
    expect(classifyReply({ ok: false, error: { code: 'NOPE', message: 'x' } }).kind).toBe('malformed');
    expect(classifyReply({ ok: false, error: { code: ErrorCode.BAD_REQUEST } }).kind).toBe('malformed');
    expect(classifyReply({ ok: true, rejected: [{ code: 'WHAT' }] }).kind).toBe('malformed');
    expect(classifyReply(null).kind).toBe('malformed');
    expect(classifyReply('ok').kind).toBe('malformed');
    expect(ERROR_CODES.length).toBeGreaterThan(5);
  });

  it('[F2] the ledger keeps one example per kind and signature, and counts them all', () => {
    const ledger = new Ledger(2);
    for (let i = 0; i < 5; i++) ledger.violation('no-reply', `a ${i}`, 'same');
    ledger.violation('no-reply', 'b', 'other');
    ledger.violation('no-reply', 'c', 'third');
    expect(ledger.violationCounts.get('no-reply')).toBe(7);
    expect(ledger.violations.map((v) => v.detail)).toEqual(['a 0', 'b']);
  });

  it('[F6][F7] REST: 5xx and uncoded 4xx are violations; control without the token must not get through', () => {
    const get = { method: 'GET', path: '/api/symbols/%', headers: {}, route: '/api/symbols/:symbol', expect: 'any' as const };
    const response = (status: number, body: string) => ({ kind: 'response' as const, status, contentType: 'application/json', body });
    expect(judgeRest(get, response(400, '{"error":"Bad Request","code":"FST_ERR_BAD_URL"}')).violations.map((v) => v.kind)).toEqual(['rest-uncoded']);
    expect(judgeRest(get, response(404, '{"ok":false,"error":{"code":"UNKNOWN_SYMBOL","message":"x"}}')).violations).toEqual([]);
    expect(judgeRest(get, response(500, '{"ok":false,"error":{"code":"INTERNAL","message":"x"}}')).violations.map((v) => v.kind)).toEqual(['rest-5xx']);
    expect(judgeRest({ ...get, path: '/readyz', route: 'ops' }, response(503, '{}')).violations).toEqual([]);
    expect(judgeRest({ ...get, route: '/socket.io/' }, response(400, '{"code":1}')).violations).toEqual([]);
    expect(judgeRest(get, response(431, '')).violations).toEqual([]);
    const control = { method: 'POST', path: '/api/feed/control', headers: {}, route: '/api/feed/control', expect: 'unauthorized' as const };
    expect(judgeRest(control, response(401, '{"ok":false,"error":{"code":"UNAUTHORIZED","message":"x"}}')).violations).toEqual([]);
    expect(judgeRest(control, response(409, '{"ok":false,"error":{"code":"NO_CONTROLLABLE_FEED","message":"x"}}')).violations.map((v) => v.kind)).toEqual(['unauthorized-accepted']);
    expect(judgeRest(control, response(200, '{"ok":true}')).violations.map((v) => v.kind)).toEqual(['unauthorized-accepted']);
    expect(judgeRest(get, { kind: 'failed', reason: 'ECONNRESET' }).notes).toEqual(['rest: no response (ECONNRESET) to GET /api/symbols/:symbol']);
    expect(judgeRest(get, { kind: 'failed', reason: 'timeout' }).violations.map((v) => v.kind)).toEqual(['no-reply']);
  });

  it('[F7] a well-formed control command without the right token expects 401; with it, is authorized', () => {
    const rng = new Rng(11);
    const seen = new Set<string>();
    for (let i = 0; i < 1_500; i++) {
      const c = restCase(rng, { healthySymbols: ['FZ00'], adminToken: 'sekret', bodyLimitBytes: 1_000 });
      if (c.route !== '/api/feed/control') continue;
      seen.add(c.expect);
      if (c.expect === 'authorized') expect(c.headers.authorization).toBe('Bearer sekret');
      if (c.expect === 'unauthorized') expect(c.headers.authorization ?? '').not.toBe('Bearer sekret');
    }
    expect(seen).toEqual(new Set(['any', 'authorized', 'unauthorized']));
  });
});

describe('measurement helpers', () => {
  it('[F12] linear fit: exact slope of a line, r² 1; flat series slope 0', () => {
    const fit = linearFit([0, 1, 2, 3].map((x) => ({ x, y: 5 + 2 * x })));
    expect(fit.slope).toBeCloseTo(2, 10);
    expect(fit.intercept).toBeCloseTo(5, 10);
    expect(fit.r2).toBeCloseTo(1, 10);
    expect(linearFit([{ x: 0, y: 3 }, { x: 1, y: 3 }]).slope).toBe(0);
    expect(linearFit([{ x: 0, y: 3 }]).slope).toBe(0);
  });

  it('[F11] reads Prometheus text: plain samples, labelled samples, sums', () => {
    const m = MetricsSnapshot.parse(
      [
        '# HELP feed_rooms Symbol rooms',
        '# TYPE feed_rooms gauge',
        'feed_rooms 26',
        'nodejs_active_resources{type="Timeout"} 6',
        'nodejs_active_resources{type="TCPSocketWrap"} 5',
        'feed_requests_rejected_total{event="subscribe",code="RATE_LIMITED"} 12',
        'feed_requests_rejected_total{event="unknown",code="BAD_REQUEST"} 3',
        'x_bucket{le="+Inf"} +Inf',
      ].join('\n'),
    );
    expect(m.value('feed_rooms')).toBe(26);
    expect(m.value('nodejs_active_resources', { type: 'Timeout' })).toBe(6);
    expect(m.sum('feed_requests_rejected_total')).toBe(15);
    expect(m.byLabel('feed_requests_rejected_total', 'code')).toEqual({ RATE_LIMITED: 12, BAD_REQUEST: 3 });
    expect(m.value('x_bucket')).toBe(Number.POSITIVE_INFINITY);
    expect(Number.isNaN(m.value('missing'))).toBe(true);
  });

  it('[F12] the heap floor is the lowest heap of each window', () => {
    const samples = [
      { t: 0.5, heapUsedBytes: 50 },
      { t: 3, heapUsedBytes: 20 },
      { t: 9, heapUsedBytes: 40 },
      { t: 16, heapUsedBytes: 70 },
      { t: 29, heapUsedBytes: 30 },
      { t: 31, heapUsedBytes: Number.NaN },
    ];
    expect(floor(samples, 15)).toEqual([
      { t: 15, bytes: 20 },
      { t: 30, bytes: 30 },
    ]);
  });

  it('[F12] reads VmRSS from /proc/<pid>/status', () => {
    expect(vmRss('Name:\tnode\nVmRSS:\t  123456 kB\nThreads: 7\n')).toBe(123_456 * 1024);
    expect(() => vmRss('Name: node')).toThrow();
  });

  it('[F8] the CLIs take --minutes and --seed, and refuse bad flags', () => {
    const spec = { numbers: { minutes: { min: 0.01 }, seed: { min: 0 } }, strings: ['url'], booleans: ['json'] };
    const flags = parseFlags(['--minutes', '2.5', '--seed=7', '--url', 'http://x', '--json'], spec);
    expect(flags.numbers.get('minutes')).toBe(2.5);
    expect(flags.numbers.get('seed')).toBe(7);
    expect(flags.strings.get('url')).toBe('http://x');
    expect(flags.booleans.has('json')).toBe(true);
    expect(() => parseFlags(['--minutes', '0'], spec)).toThrow(UsageError);
    expect(() => parseFlags(['--minutes'], spec)).toThrow(UsageError);
    expect(() => parseFlags(['--nope', '1'], spec)).toThrow(UsageError);
    expect(() => parseFlags(['stray'], spec)).toThrow(UsageError);
  });
});

describe('edge attack verdicts', () => {
  it('[F21] an Engine.IO refusal names its catalog code, in a polling answer\'s JSON or an upgrade\'s plain text', () => {
    expect(engineRefusalCode('{"code":4,"message":"RATE_LIMITED: too many sessions from this address have not joined a namespace"}')).toBe(ErrorCode.RATE_LIMITED);
    expect(engineRefusalCode('BAD_REQUEST: host not allowed (ALLOWED_HOSTS)')).toBe(ErrorCode.BAD_REQUEST);
    expect(engineRefusalCode('{"code":4,"message":"origin not allowed"}')).toBeNull();
    expect(engineRefusalCode('NOPE: x')).toBeNull();
    expect(engineRefusalCode('Forbidden')).toBeNull();
  });

  it('[F21] a client behind the proxy is the right-most X-Forwarded-For entry; what it wrote itself stays on the left', () => {
    expect(forwardedFor('198.18.1.1')).toEqual({ 'x-forwarded-for': '198.18.1.1' });
    expect(forwardedFor('198.18.1.1', '1.2.3.4, 5.6.7.8')).toEqual({ 'x-forwarded-for': '1.2.3.4, 5.6.7.8, 198.18.1.1' });
  });
});
