import { describe, expect, it } from 'vitest';
import { decodeStreamPosition, encodeStreamPosition } from '../src/index.js';

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
