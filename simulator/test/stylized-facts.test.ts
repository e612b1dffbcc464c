import { describe, expect, it } from 'vitest';
import { DEFAULT_UNIVERSE } from '../src/default-universe.js';
import { parseUniverse, selectSymbols } from '../src/universe.js';
import { checkStylizedFacts, minuteReturns, stylizedFacts } from './support/stylized-facts.js';

const universe = parseUniverse(DEFAULT_UNIVERSE);

/**
 * The thresholds on 1-minute log returns of the last price over 5
 * simulated days of continuous trading (7,200 returns), per symbol and seed.
 * Only the symbol under test is simulated (its path does not depend on the
 * others, see S2), so each case takes about a second.
 */
const CASES: Array<[string, number]> = [
  ['AAPL', 1],
  ['AAPL', 2],
  ['AAPL', 3],
  ['BTC-USD', 1],
  ['EUR-USD', 1],
];

describe('stylized facts of returns (Cont, 2001)', () => {
  it.each(CASES)(
    '[S8] %s, seed %i: fat tails, no linear autocorrelation, volatility clustering, realized vol within 20 percent',
    (symbol, seed) => {
      const one = selectSymbols(universe, [symbol]);
      const facts = stylizedFacts(minuteReturns(one, seed, 5), 30);
      expect(facts.n).toBe(5 * 1440);
      expect(checkStylizedFacts(facts, one.symbols[0]!.vol)).toEqual([]);
    },
  );

  it('[S8] plain GBM (no stochastic volatility, no jumps) fails the same checks: the test can tell', () => {
    const gbm = { ...selectSymbols(universe, ['AAPL']), model: { ...universe.model, volOfVol: 0, jumpsPerDay: 0, factorJumpsPerDay: 0 } };
    const failed = checkStylizedFacts(stylizedFacts(minuteReturns(gbm, 1, 5), 30), 0.26);
    expect(failed.some((f) => f.startsWith('excess kurtosis'))).toBe(true);
    expect(failed.some((f) => f.startsWith('ACF|r|(1)'))).toBe(true);
  });
});
