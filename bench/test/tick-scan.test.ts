import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeEio, decodeSio } from '../src/eio-codec.js';
import { scanTicksFrame } from '../src/tick-scan.js';

/** What the full decode makes of a `ticks` frame: the reference the scanner must equal. */
function decoded(frame: string): { symbols: string[]; seqs: number[]; ts: number[] } {
  const eio = decodeEio(frame);
  if (eio.kind !== 'message') throw new Error('not a message');
  const data = decodeSio(eio.data).data as [string, { symbol: string; seq: number; ts: number }[]];
  return { symbols: data[1].map((t) => t.symbol), seqs: data[1].map((t) => t.seq), ts: data[1].map((t) => t.ts) };
}

const tick = fc.record({
  symbol: fc.stringMatching(/^[A-Z0-9.\-]{1,12}$/),
  seq: fc.nat(),
  ts: fc.integer({ min: 0, max: 4_102_444_800_000 }),
  price: fc.double({ min: 0.01, max: 1e6, noNaN: true }),
  size: fc.nat(),
});

describe('ticks frame scanner', () => {
  it('[B33] reads the same symbol, seq and ts as the full decode, whatever the field order and other fields', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(tick, fc.boolean()), { maxLength: 8 }), (items) => {
        const ticks = items.map(([t, reorder]) => (reorder ? { price: t.price, ts: t.ts, size: t.size, seq: t.seq, symbol: t.symbol } : t));
        const frame = `42${JSON.stringify(['ticks', ticks])}`;
        expect(scanTicksFrame(frame)).toEqual(decoded(frame));
      }),
      { numRuns: 300, seed: 13 },
    );
  });

  it('[B33] leaves every frame it cannot read exactly to the full decode', () => {
    const t = '{"symbol":"AAA","seq":1,"ts":2,"price":1}';
    const refused = [
      `42["quotes",[${t}]]`, // another event
      `421["ticks",[${t}]]`, // an ack id
      `42/ns,["ticks",[${t}]]`, // a namespace
      `42["ticks",[${t}],5]`, // a second argument
      '42["ticks",[{"symbol":"A\\"B","seq":1,"ts":2}]]', // an escape
      '42["ticks",[{"symbol":"AAA","seq":1,"ts":2,"x":{"seq":3}}]]', // a nested object
      '42["ticks",[{"symbol":"AAA","seq":1,"seq":2,"ts":2}]]', // a repeated key (JSON.parse keeps the last)
      '42["ticks",[{"symbol":"AAA","seq":1.5,"ts":2}]]', // not an integer
      '42["ticks",[{"symbol":"AAA","seq":-1,"ts":2}]]',
      '42["ticks",[{"symbol":"AAA","seq":1e3,"ts":2}]]',
      '42["ticks",[{"symbol":"AAA","seq":01,"ts":2}]]',
      '42["ticks",[{"symbol":"AAA","seq":"1","ts":2}]]', // a string
      '42["ticks",[{"symbol":"AAA","ts":2}]]', // a missing field
      '42["ticks",[{"symbol":"AAA","xseq":1,"ts":2}]]',
      '42["ticks",[{"symbol":"AAA","seq":1234567890123456,"ts":2}]]', // beyond exact integers' safe digits
      `42["ticks",[${t} ]]`, // whitespace
      `42["ticks",{}]`,
      '2probe',
    ];
    for (const frame of refused) expect(scanTicksFrame(frame), frame).toBeNull();
    expect(scanTicksFrame('42["ticks",[]]')).toEqual({ symbols: [], seqs: [], ts: [] });
  });
});
