import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isValidSymbol } from '@tickfeed/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_UNIVERSE } from '../src/default-universe.js';
import { syntheticUniverse } from '../src/synthetic-universe.js';
import { DEFAULT_MODEL_PARAMS, parseUniverse, selectSymbols, withAggregateRate } from '../src/universe.js';
import { loadUniverse } from '../src/universe-loader.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sim-universe-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('universe', () => {
  it('[S9] the default universe has 30-40 valid symbols across equities, crypto and FX', () => {
    const u = parseUniverse(DEFAULT_UNIVERSE);
    expect(u.symbols.length).toBeGreaterThanOrEqual(30);
    expect(u.symbols.length).toBeLessThanOrEqual(40);
    expect(new Set(u.symbols.map((s) => s.kind))).toEqual(new Set(['equity', 'crypto', 'fx']));
    for (const name of ['AAPL', 'BTC-USD', 'ETH-USD', 'EUR-USD']) expect(u.symbols.some((s) => s.symbol === name)).toBe(true);
    expect(u.symbols.every((s) => isValidSymbol(s.symbol))).toBe(true);
    expect(u.model).toEqual(DEFAULT_MODEL_PARAMS);
  });

  it('[S9] a universe file is validated field by field, and the error names the file and the field', () => {
    const good = { symbols: [{ symbol: 'ABC', name: 'Abc', kind: 'equity', currency: 'USD', refPrice: 10, vol: 0.3, tickSize: 0.01, lotSize: 1, spread: 0.01, activity: 1 }] };
    expect(parseUniverse(good, 'u.json').symbols[0]).toMatchObject({ factor: 'equity', corr: 0.5 });
    const bad = (patch: object, message: RegExp) => {
      const value = { symbols: [{ ...good.symbols[0], ...patch }] };
      expect(() => parseUniverse(value, 'u.json')).toThrow(message);
    };
    bad({ vol: -1 }, /^u\.json: symbols\[0\]\.vol must be a number > 0$/);
    bad({ symbol: 'abc' }, /symbols\[0\]\.symbol must match/);
    bad({ kind: 'bond' }, /symbols\[0\]\.kind must be one of equity, crypto, fx/);
    bad({ factor: 'nope' }, /symbols\[0\]\.factor must name a factor/);
    bad({ corr: 1 }, /symbols\[0\]\.corr must be a number in \[-0\.99, 0\.99\]/);
    bad({ colour: 'red' }, /symbols\[0\]\.colour is not a known field/);
    expect(() => parseUniverse({ ...good, model: { volOfVol: 'high' } }, 'u.json')).toThrow(/u\.json: model\.volOfVol must be a finite number/);
    expect(() => parseUniverse({ symbols: [] }, 'u.json')).toThrow(/u\.json: symbols must be a non-empty array/);
    expect(() => parseUniverse({ symbols: [good.symbols[0], good.symbols[0]] }, 'u.json')).toThrow(/symbols\[1\]\.symbol duplicates ABC/);
  });

  it('[S9] every other rule of the file names its field too', () => {
    const symbol = { symbol: 'ABC', name: 'Abc', kind: 'equity', currency: 'USD', refPrice: 10, vol: 0.3, tickSize: 0.01, lotSize: 1, spread: 0.01, activity: 1 };
    const bad: Array<[unknown, RegExp]> = [
      [[], /^u\.json: \(root\) must be an object with a "symbols" array$/],
      [{ symbols: [symbol], extra: 1 }, /^u\.json: extra is not a known field \(model, factors, symbols\)$/],
      [{ symbols: [symbol], model: { speed: 1 } }, /^u\.json: model\.speed is not a known model parameter$/],
      [{ symbols: [symbol], model: { volOfVol: 3 } }, /^u\.json: model\.volOfVol must be in \[0, 2\]$/],
      [{ symbols: [symbol], factors: { equity: { vol: 0 } } }, /^u\.json: factors\.equity\.vol must be a number > 0$/],
      [{ symbols: [symbol], factors: 'none' }, /^u\.json: factors must be an object of \{ vol \}$/],
      [{ symbols: ['ABC'] }, /^u\.json: symbols\[0\] must be an object$/],
      [{ symbols: [{ ...symbol, name: '' }] }, /^u\.json: symbols\[0\]\.name must be a string of 1-200 characters$/],
      [{ symbols: [{ ...symbol, currency: undefined }] }, /^u\.json: symbols\[0\]\.currency must be a string of 3-8 characters$/],
      [{ symbols: [{ ...symbol, vol: 6 }] }, /^u\.json: symbols\[0\]\.vol must be at most 5/],
      [{ symbols: [{ ...symbol, refPrice: 0.05 }] }, /^u\.json: symbols\[0\]\.refPrice must be at least 10 ticks$/],
    ];
    for (const [value, message] of bad) expect(() => parseUniverse(value, 'u.json'), JSON.stringify(value)).toThrow(message);
    expect(parseUniverse({ symbols: [symbol], factors: { tech: { vol: 0.3 } }, model: { jumpShare: 0.2 } }).model.jumpShare).toBe(0.2);
  });

  it('[S9] --universe reads a JSON file; a missing or invalid file is an error naming it', async () => {
    const file = join(dir, 'mine.json');
    await writeFile(file, JSON.stringify({ factors: { equity: { vol: 0.2 } }, symbols: DEFAULT_UNIVERSE.symbols.slice(0, 2) }));
    const u = await loadUniverse({ universeFile: file, symbols: null, rate: null, seed: 1 });
    expect(u.symbols.map((s) => s.symbol)).toEqual(['AAPL', 'MSFT']);
    expect(u.factors.equity).toEqual({ vol: 0.2 });
    await expect(loadUniverse({ universeFile: join(dir, 'none.json'), symbols: null, rate: null, seed: 1 })).rejects.toThrow(/--universe .*none\.json: cannot read the file \(ENOENT\)/);
    await writeFile(join(dir, 'broken.json'), '{ nope');
    await expect(loadUniverse({ universeFile: join(dir, 'broken.json'), symbols: null, rate: null, seed: 1 })).rejects.toThrow(/broken\.json: not valid JSON/);
  });

  it('[S9] --symbols keeps a subset (unknown names are an error), --symbols N generates N symbols, --rate scales the total', async () => {
    const u = parseUniverse(DEFAULT_UNIVERSE);
    expect(selectSymbols(u, ['MSFT', 'AAPL']).symbols.map((s) => s.symbol)).toEqual(['MSFT', 'AAPL']);
    expect(() => selectSymbols(u, ['AAPL', 'NOPE', 'ZZZ'])).toThrow(/--symbols: not in the universe: NOPE, ZZZ/);
    const scaled = withAggregateRate(u, 1_000);
    expect(scaled.symbols.reduce((s, x) => s + x.activity, 0)).toBeCloseTo(1_000, 6);
    const synthetic = await loadUniverse({ universeFile: null, symbols: 500, rate: 2_000, seed: 7 });
    expect(synthetic.symbols).toHaveLength(500);
    expect(synthetic.symbols[0]!.symbol).toBe('SYN0001');
    expect(synthetic.symbols[499]!.symbol).toBe('SYN0500');
    expect(synthetic.symbols.reduce((s, x) => s + x.activity, 0)).toBeCloseTo(2_000, 6);
    expect(parseUniverse(syntheticUniverse(500, 7))).toEqual(syntheticUniverse(500, 7));
    expect(syntheticUniverse(3, 7)).toEqual(syntheticUniverse(3, 7));
    expect(syntheticUniverse(3, 7)).not.toEqual(syntheticUniverse(3, 8));
  });
});
