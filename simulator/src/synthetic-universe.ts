import { createRandom } from '@tickfeed/protocol';
import { Distributions } from './distributions.js';
import { DEFAULT_MODEL_PARAMS, DEFAULT_FACTORS, type SymbolSpec, type Universe } from './universe.js';

/**
 * N synthetic equities for load tests (`--symbols 500`): SYN0001, SYN0002, ...
 * Drawn from the seed: price log-uniform in [20, 500], vol in [0.2, 0.6],
 * correlation with the equity factor in [0.3, 0.7], one trade per second each
 * on average (scale with --rate).
 */
export function syntheticUniverse(count: number, seed: number): Universe {
  if (!Number.isInteger(count) || count < 1 || count > 100_000) throw new Error(`--symbols: a count must be an integer in [1, 100000], got ${count}`);
  const d = new Distributions(createRandom(seed, 'synthetic-universe'));
  const width = Math.max(4, String(count).length);
  const symbols: SymbolSpec[] = [];
  for (let i = 1; i <= count; i++) {
    const price = Math.round(Math.exp(Math.log(20) + d.uniform() * Math.log(500 / 20)) * 100) / 100;
    symbols.push({
      symbol: `SYN${String(i).padStart(width, '0')}`,
      name: `Synthetic ${i}`,
      kind: 'equity',
      currency: 'USD',
      refPrice: price,
      vol: 0.2 + 0.4 * d.uniform(),
      tickSize: 0.01,
      lotSize: 10,
      spread: 0.01 * (1 + Math.floor(d.uniform() * 3)),
      activity: 1,
      factor: 'equity',
      corr: 0.3 + 0.4 * d.uniform(),
    });
  }
  return { model: { ...DEFAULT_MODEL_PARAMS }, factors: { ...DEFAULT_FACTORS }, symbols };
}
