import { describe, expect, it } from 'vitest';
import { TickRing } from '../src/market/tick-ring.js';
import { TokenBucket } from '../src/consumer/token-bucket.js';
import { ClientOutbox } from '../src/delivery/client-outbox.js';
import { symbolOfTickJson, ticksFrame, ticksPacket } from '../src/delivery/frames.js';
import { ConfigError, loadServerConfig, parseServerConfig } from '../src/config.js';
import { MarketState } from '../src/market/market-state.js';
import { ErrorCode, normalizeTick } from '@tickfeed/protocol';
import { declaration, makeTicks, range } from './support/harness.js';

const stored = (seq: number) => {
  const tick = makeTicks('AAPL', seq, 1)[0]!;
  return { tick, json: JSON.stringify(normalizeTick(tick)) };
};

describe('tick ring', () => {
  it('[R29] holds the last `capacity` ticks by seq and says when older ones are gone', () => {
    const ring = new TickRing(5);
    const seqs = (jsons: string[] | null) => jsons?.map((json) => (JSON.parse(json) as { seq: number }).seq);
    expect(ring.after(0)).toEqual([]);
    for (let seq = 1; seq <= 12; seq++) ring.push(seq, stored(seq).json);
    expect([ring.firstSeq, ring.lastSeq, ring.size]).toEqual([8, 12, 5]);
    expect(seqs(ring.after(7))).toEqual(range(8, 12));
    expect(seqs(ring.after(9, 2))).toEqual([10, 11]);
    expect(ring.after(6)).toBeNull();
    expect(ring.after(12)).toEqual([]);
    expect(seqs(ring.latest(2))).toEqual([11, 12]);
    expect(() => ring.push(14, stored(14).json)).toThrow(/does not follow/);
  });

  it('[R29] returns exactly the texts pushed, across buffer growth and wrap-around, for any capacity and starting seq', () => {
    // Texts of varying length (and non-ASCII) so a wrong offset shows.
    const text = (seq: number) => `{"symbol":"X","seq":${seq},"note":"${'é'.repeat(seq % 7)}${'x'.repeat(seq % 13)}"}`;
    for (const capacity of [1, 7, 31, 32, 33, 255, 256, 1_000]) {
      for (const start of [1, 1_000_003]) {
        const ring = new TickRing(capacity);
        const total = 1_297;
        for (let i = 0; i < total; i++) {
          const seq = start + i;
          ring.push(seq, text(seq));
          if (i % 97 === 0 || i === total - 1) {
            const first = Math.max(start, seq - capacity + 1);
            expect([ring.firstSeq, ring.lastSeq]).toEqual([first, seq]);
            expect(ring.after(first - 1)).toEqual(range(first, seq).map(text));
            expect(ring.latest(3)).toEqual(range(Math.max(first, seq - 2), seq).map(text));
            if (first > start) expect(ring.after(first - 2)).toBeNull();
          }
        }
      }
    }
    // A much longer text once the buffer is sized for short ones: the buffer grows, nothing held is lost.
    const mixed = new TickRing(10);
    const sized = (seq: number) => (seq === 35 ? `{"seq":${seq},"pad":"${'y'.repeat(20_000)}"}` : text(seq));
    for (let seq = 1; seq <= 50; seq++) {
      mixed.push(seq, sized(seq));
      expect(mixed.after(Math.max(0, seq - 10))).toEqual(range(Math.max(1, seq - 9), seq).map(sized));
    }
    const ring = new TickRing(10);
    ring.push(5, text(5));
    ring.clear();
    expect([ring.size, ring.after(0)]).toEqual([0, []]);
    ring.push(40, text(40));
    expect(ring.latest(10)).toEqual([text(40)]);
  });
});

describe('token bucket', () => {
  it('[R30] allows a burst, then the sustained rate, with an injected clock', () => {
    let now = 0;
    const bucket = new TokenBucket(3, 2, () => now);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    now += 499;
    expect(bucket.take()).toBe(false);
    now += 1;
    expect(bucket.take()).toBe(true);
    now += 10_000;
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
  });
});

describe('frames and outbox', () => {
  it('[R31] a ticks frame is a standard Socket.IO EVENT packet whose argument is the tick array', () => {
    const a = stored(1);
    const b = stored(2);
    const packet = ticksPacket([a.json, b.json]);
    expect(packet[0]).toBe('2');
    expect(JSON.parse(packet.slice(1))).toEqual(['ticks', [a.tick, b.tick]]);
    expect(symbolOfTickJson(a.json)).toBe('AAPL');
  });

  it('[R31] a pre-encoded frame is one unmasked WebSocket text frame carrying the Engine.IO message of the same packet, byte for byte what ws frames', async () => {
    // ws types leave its Sender out; Socket.IO's adapter frames broadcasts with Sender.frame the same way.
    const { createRequire } = await import('node:module');
    type FrameOptions = { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean };
    const { Sender } = createRequire(import.meta.url)('ws') as { Sender: { frame(data: Buffer, options: FrameOptions): Buffer[] } };
    // RFC 6455 §5.2: 7-bit length up to 125, then 126 + 16-bit, then 127 + 64-bit.
    const decode = (frame: Buffer) => {
      expect(frame[0]).toBe(0x81);
      const len7 = frame[1]! & 0x7f;
      expect(frame[1]! & 0x80).toBe(0);
      const [length, offset] = len7 === 126 ? [frame.readUInt16BE(2), 4] : len7 === 127 ? [Number(frame.readBigUInt64BE(2)), 10] : [len7, 2];
      expect(frame.length).toBe(offset + length);
      return { lengthBytes: offset - 2, payload: frame.subarray(offset).toString('utf8') };
    };
    const tiny = ['{"symbol":"A","seq":1}'];
    const few = [stored(1).json, stored(2).json, stored(3).json];
    const many = Array.from({ length: 1_000 }, (_, i) => stored(i + 1).json);
    // Characters and UTF-8 bytes differ outside ASCII: the length is the bytes'.
    const wide = ['{"symbol":"A","note":"€ – ✓"}', '{"symbol":"A","note":"é"}'];
    const wideLong = Array.from({ length: 40 }, () => '{"symbol":"A","note":"€ – ✓"}');
    for (const [ticks, lengthBytes] of [[tiny, 0], [few, 2], [many, 8], [wide, 0], [wideLong, 2]] as const) {
      const frame = ticksFrame(ticksPacket(ticks));
      // What the transport writes: one buffer, header then payload.
      expect(frame).toHaveLength(1);
      const bytes = frame[0];
      const decoded = decode(bytes);
      expect(decoded.lengthBytes).toBe(lengthBytes);
      expect(decoded.payload).toBe(`4${ticksPacket(ticks)}`);
      const framedByWs = Sender.frame(Buffer.from(`4${ticksPacket(ticks)}`), { fin: true, opcode: 1, mask: false, readOnly: false, rsv1: false });
      expect(bytes.equals(Buffer.concat(framedByWs))).toBe(true);
    }
  });

  it('[R32] conflation keeps the newest tick per symbol and names the symbols that lost ticks', () => {
    const outbox = new ClientOutbox();
    outbox.add('A', '{"symbol":"A","seq":1}');
    outbox.add('B', '{"symbol":"B","seq":1}');
    outbox.add('A', '{"symbol":"A","seq":2}');
    outbox.startConflating(symbolOfTickJson);
    outbox.add('A', '{"symbol":"A","seq":3}');
    outbox.add('C', '{"symbol":"C","seq":1}');
    const { latest, dropped } = outbox.stopConflating();
    expect(latest).toEqual(['{"symbol":"A","seq":3}', '{"symbol":"B","seq":1}', '{"symbol":"C","seq":1}']);
    expect(dropped).toEqual(['A']);
    expect(outbox.isEmpty).toBe(true);
  });
});

describe('market state', () => {
  it('[R33] applies ticks in seq order only, and a reset declare starts a new epoch from scratch', () => {
    let n = 0;
    const market = new MarketState({ historyTicks: 10, candlesPerInterval: 5, newEpoch: () => `e${++n}` });
    market.declare(declaration('AAPL', 50), false);
    for (const t of makeTicks('AAPL', 1, 3)) {
      expect(market.checkSequence(t)).toBeNull();
      market.apply({ tick: t, json: JSON.stringify(t) });
    }
    expect(market.checkSequence(makeTicks('AAPL', 5, 1)[0]!)?.code).toBe(ErrorCode.SEQ_MISMATCH);
    expect(market.checkSequence(makeTicks('ZZZ', 1, 1)[0]!)?.code).toBe(ErrorCode.UNKNOWN_SYMBOL);
    expect(market.declare(declaration('AAPL', 50), false).newEpoch).toBe(false);
    expect(market.get('AAPL')!.epoch).toBe('e1');
    const { book, newEpoch } = market.declare(declaration('AAPL', 60), true);
    expect(newEpoch).toBe(true);
    expect(book.epoch).toBe('e2');
    expect(market.snapshot('AAPL')).toMatchObject({ seq: 0, last: 60, volume: 0 });
    expect(book.candles['1m']).toEqual([]);
    expect(book.ring.size).toBe(0);
  });
});

describe('config', () => {
  it('[R34] reads the environment and flags (flags win), with defaults, and names the bad variable', () => {
    const config = loadServerConfig({ env: { PORT: '4000', REDIS_URL: 'redis://127.0.0.1:6379', FLUSH_INTERVAL_MS: '10' }, argv: ['--port', '5000'] });
    expect(config).toMatchObject({ port: 5000, redisUrl: 'redis://127.0.0.1:6379', flushIntervalMs: 10, maxSubscriptions: 200, host: '127.0.0.1' });
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => loadServerConfig({ env: { PORT: 'eighty' } })).toThrow(new ConfigError("PORT must be an integer from 0 to 65535, got 'eighty'"));
    expect(() => loadServerConfig({ env: { SLOW_CONSUMER_POLICY: 'ignore' } })).toThrow(/SLOW_CONSUMER_POLICY must be one of conflate, disconnect/);
    expect(() => loadServerConfig({ env: { TLS_CERT: 'x' } })).toThrow(/TLS_CERT and TLS_KEY/);
    expect(() => loadServerConfig({ env: { REDIS_URL: 'localhost' } })).toThrow(/REDIS_URL/);
    expect(parseServerConfig({ env: {}, argv: ['--replay', 'x.csv', '--flush-interval-ms=5'] })).toMatchObject({
      config: { flushIntervalMs: 5 },
      unknownArgs: ['--replay', 'x.csv'],
    });
  });
});

describe('flush pacing', () => {
  it('[R35] a flush starts as soon as there is something to send and the previous flush is done; work that arrives meanwhile waits for the next one', async () => {
    const { FlushPacer } = await import('../src/delivery/flush-pacing.js');
    const pacer = new FlushPacer(0);
    // Idle: the first tick is flushed on the next turn of the event loop.
    expect(pacer.onWork(1_000)).toBe(0);
    // More ticks before it starts ride along: nothing more to schedule.
    expect(pacer.onWork(1_000.1)).toBeNull();
    pacer.onStart(1_000.2);
    // While it runs (it may yield to the event loop), arriving ticks schedule nothing...
    expect(pacer.onWork(1_003)).toBeNull();
    expect(pacer.busy).toBe(true);
    // ...and make the next flush start as soon as this one is done, with no timer in between.
    expect(pacer.onEnd(1_012, true)).toBe(0);
    pacer.onStart(1_012);
    expect(pacer.onEnd(1_013, false)).toBeNull();
    expect(pacer.busy).toBe(false);
    // Nothing runs until there is work again.
    expect(pacer.onWork(5_000)).toBe(0);
  });

  it('[R35] with FLUSH_INTERVAL_MS the starts of two flushes are at least that far apart, never more', async () => {
    const { FlushPacer } = await import('../src/delivery/flush-pacing.js');
    const pacer = new FlushPacer(20);
    expect(pacer.onWork(100)).toBe(0);
    pacer.onStart(100);
    // A flush that took 5 ms with work pending: the next starts 20 ms after this one started.
    expect(pacer.onEnd(105, true)).toBe(15);
    pacer.onStart(120);
    // A flush longer than the gap: the next starts at once.
    expect(pacer.onEnd(150, true)).toBe(0);
    pacer.onStart(150);
    expect(pacer.onEnd(151, false)).toBeNull();
    // Work long after the last flush: at once.
    expect(pacer.onWork(400)).toBe(0);
  });
});

describe('documentation', () => {
  it('[R36] .env.example lists every server variable', async () => {
    const { readFileSync } = await import('node:fs');
    const { SERVER_ENV_VARS } = await import('../src/config.js');
    const envExample = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
    for (const name of SERVER_ENV_VARS) expect(envExample, name).toMatch(new RegExp(`^#? ?${name}=`, 'm'));
  });
});
