import { describe, expect, it } from 'vitest';
import { decodeBookStreamPosition, decodeStreamPosition, encodeStreamPosition } from '../src/index.js';

describe('SSE stream position, strict decoding', () => {
  it('[P10] a seq that is not plain decimal digits makes its part ignored, not guessed', () => {
    for (const seq of ['0x1', ' ', '', '+1', '-0', '-1', '1e3', '1.0', '1.5', '0b1', '0o7', ' 1', 'Infinity', 'NaN', '01', '9007199254740992', '99999999999999999']) {
      expect(decodeStreamPosition(`AAPL~E~${seq}`), JSON.stringify(seq)).toEqual(new Map());
    }
    // The examples: 'AAPL~E~ ' used to resume at 0 and 'AAPL~E~0x1' at 1.
    expect(decodeStreamPosition('AAPL~E~ MSFT~E~0x1 GOOD~E~7')).toEqual(new Map([['GOOD', { epoch: 'E', seq: 7 }]]));
  });

  it('[P10] a part with more or fewer than three fields is ignored', () => {
    expect(decodeStreamPosition('AAPL~E~1~2 MSFT~E GOOD~E~0')).toEqual(new Map([['GOOD', { epoch: 'E', seq: 0 }]]));
  });

  it('[P10] the largest safe integer and 0 decode; every encoded position round-trips', () => {
    const points = new Map([
      ['AAPL', { epoch: 'e1', seq: 0 }],
      ['BTC-USD', { epoch: 'x', seq: Number.MAX_SAFE_INTEGER }],
      ['EUR-USD', { epoch: 'k_-9', seq: 10 }],
    ]);
    expect(decodeStreamPosition(encodeStreamPosition(points))).toEqual(points);
  });
});

describe('SSE stream position with books', () => {
  it('[L50] book parts round-trip beside tick parts; a tick-only decoder skips them and old ids still decode', () => {
    const ticks = new Map([['AAPL', { epoch: 'e1', seq: 5 }]]);
    const books = new Map([
      ['AAPL', { epoch: 'e1.Xy_-', seq: 7, depth: 10 }],
      ['MSFT', { epoch: 'm.2', seq: 0, depth: 1 }],
    ]);
    const id = encodeStreamPosition(ticks, books);
    expect(decodeStreamPosition(id)).toEqual(ticks);
    expect(decodeBookStreamPosition(id)).toEqual(books);
    expect(encodeStreamPosition(ticks)).toBe('AAPL~e1~5');
    expect(decodeBookStreamPosition('AAPL~e1~5 MSFT~E~9')).toEqual(new Map());
  });

  it('[L50] book parts are decoded as strictly as tick parts (P10): a bad seq, depth or field count is ignored', () => {
    for (const part of ['A~E~1~10', 'A~E~1~b', 'A~E~1~b0', 'A~E~1~b01', 'A~E~1~b10000', 'A~E~1~b1.5', 'A~E~01~b5', 'A~E~-1~b5', 'A~~1~b5', 'a b~E~1~b5', 'A~E~1~b5~x', `A~${'e'.repeat(65)}~1~b5`]) {
      expect(decodeBookStreamPosition(part), part).toEqual(new Map());
    }
    expect(decodeBookStreamPosition('A~E~1~b0 GOOD~E~3~b9999')).toEqual(new Map([['GOOD', { epoch: 'E', seq: 3, depth: 9999 }]]));
  });
});
