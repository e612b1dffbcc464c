import { isValidSymbol, type AssetKind, type SymbolDeclaration } from '@tickfeed/protocol';

/** One simulated symbol, as written in a universe file. */
export interface SymbolSpec {
  symbol: string;
  name: string;
  kind: AssetKind;
  /** Quote currency, e.g. USD (for EUR-USD: USD; for USD-JPY: JPY). */
  currency: string;
  /** Starting price, also declared as the reference (previous close). */
  refPrice: number;
  /** Annualized volatility of log returns, e.g. 0.3 for 30%; a year is 365 days of 24 h. */
  vol: number;
  /** Minimum price increment; every price, bid and ask is a multiple of it. */
  tickSize: number;
  /** Size increment; every trade size is a whole number of lots. */
  lotSize: number;
  /** Typical bid-ask spread in price units at average volatility. */
  spread: number;
  /** Mean trades per second. */
  activity: number;
  /** Market factor the symbol loads on (default: its kind). */
  factor: string;
  /** Correlation of the symbol's returns with its factor, in [-0.99, 0.99]. */
  corr: number;
}

/** A market factor: the common move of a group of symbols. */
export interface FactorSpec {
  /** Annualized volatility of the factor. */
  vol: number;
}

/** Global parameters of the price model; every field has a default (DEFAULT_MODEL_PARAMS). */
export interface ModelParams {
  /** Amplitude of log-volatility: ln σ moves within its median ± volOfVol. */
  volOfVol: number;
  /** Half-life of log-volatility shocks, minutes. */
  volHalfLifeMin: number;
  /** Share of a symbol's log-volatility variance that it shares with its factor, in [0, 1]. */
  volCommonality: number;
  /** Idiosyncratic price jumps per symbol per day (24 h). */
  jumpsPerDay: number;
  /** Jumps per factor per day. */
  factorJumpsPerDay: number;
  /** Share of each process's variance that comes from jumps, in [0, 0.9]. */
  jumpShare: number;
  /** Hawkes branching ratio: the share of trades triggered by earlier trades, in [0, 0.95). */
  hawkesBranching: number;
  /** Decay rate of the Hawkes excitation, per second. */
  hawkesDecayPerSec: number;
  /** Tail index of trade sizes in lots: P(size ≥ k lots) ≈ k^-index. */
  sizeTailIndex: number;
  /** Largest trade, in lots. */
  maxLots: number;
  /** Probability that a trade prints strictly inside the spread (hidden or midpoint liquidity). */
  insideProb: number;
}

export const DEFAULT_MODEL_PARAMS: Readonly<ModelParams> = Object.freeze({
  volOfVol: 1,
  volHalfLifeMin: 60,
  volCommonality: 0.85,
  jumpsPerDay: 6,
  factorJumpsPerDay: 4,
  jumpShare: 0.12,
  hawkesBranching: 0.5,
  hawkesDecayPerSec: 2,
  sizeTailIndex: 1.6,
  maxLots: 5_000,
  insideProb: 0.15,
});

export const DEFAULT_FACTORS: Readonly<Record<string, FactorSpec>> = Object.freeze({
  equity: { vol: 0.16 },
  crypto: { vol: 0.5 },
  fx: { vol: 0.06 },
});

export interface Universe {
  model: ModelParams;
  factors: Record<string, FactorSpec>;
  symbols: SymbolSpec[];
}

/** The JSON shape of a universe file: `model` and `factors` optional, symbol `factor`/`corr` optional. */
export interface UniverseFile {
  model?: Partial<ModelParams>;
  factors?: Record<string, FactorSpec>;
  symbols: Array<Omit<SymbolSpec, 'factor' | 'corr'> & { factor?: string; corr?: number }>;
}

const KINDS: readonly AssetKind[] = ['equity', 'crypto', 'fx'];

/**
 * Validates an untrusted universe (parsed JSON). Throws an Error whose message
 * names the source and the bad field, e.g. `universe.json: symbols[3].vol must be a number > 0`.
 */
export function parseUniverse(value: unknown, source = 'universe'): Universe {
  const fail = (path: string, what: string): never => {
    throw new Error(`${source}: ${path} ${what}`);
  };
  if (!isRecord(value)) return fail('(root)', 'must be an object with a "symbols" array');
  for (const key of Object.keys(value)) {
    if (key !== 'model' && key !== 'factors' && key !== 'symbols') fail(key, 'is not a known field (model, factors, symbols)');
  }

  const model: ModelParams = { ...DEFAULT_MODEL_PARAMS };
  if (value.model !== undefined) {
    if (!isRecord(value.model)) fail('model', 'must be an object');
    const m = value.model as Record<string, unknown>;
    for (const [key, raw] of Object.entries(m)) {
      if (!(key in DEFAULT_MODEL_PARAMS)) fail(`model.${key}`, 'is not a known model parameter');
      if (typeof raw !== 'number' || !Number.isFinite(raw)) fail(`model.${key}`, 'must be a finite number');
      (model as unknown as Record<string, number>)[key] = raw as number;
    }
    checkModel(model, (path, what) => fail(`model.${path}`, what));
  }

  const factors: Record<string, FactorSpec> = { ...DEFAULT_FACTORS };
  if (value.factors !== undefined) {
    if (!isRecord(value.factors)) fail('factors', 'must be an object of { vol }');
    for (const [name, raw] of Object.entries(value.factors as Record<string, unknown>)) {
      if (!isRecord(raw)) fail(`factors.${name}`, 'must be an object { vol }');
      const vol = (raw as Record<string, unknown>).vol;
      if (typeof vol !== 'number' || !(vol > 0) || !Number.isFinite(vol)) fail(`factors.${name}.vol`, 'must be a number > 0');
      factors[name] = { vol: vol as number };
    }
  }

  if (!Array.isArray(value.symbols) || value.symbols.length === 0) fail('symbols', 'must be a non-empty array');
  const seen = new Set<string>();
  const symbols = (value.symbols as unknown[]).map((raw, i) => {
    const at = `symbols[${i}]`;
    if (!isRecord(raw)) return fail(at, 'must be an object');
    const allowed = ['symbol', 'name', 'kind', 'currency', 'refPrice', 'vol', 'tickSize', 'lotSize', 'spread', 'activity', 'factor', 'corr'];
    for (const key of Object.keys(raw)) if (!allowed.includes(key)) fail(`${at}.${key}`, 'is not a known field');
    if (!isValidSymbol(raw.symbol)) fail(`${at}.symbol`, 'must match ^[A-Z0-9][A-Z0-9._-]{0,19}$');
    const symbol = raw.symbol as string;
    if (seen.has(symbol)) fail(`${at}.symbol`, `duplicates ${symbol}`);
    seen.add(symbol);
    const str = (key: string, min: number, max: number): string => {
      const v = raw[key];
      if (typeof v !== 'string' || v.length < min || v.length > max) fail(`${at}.${key}`, `must be a string of ${min}-${max} characters`);
      return v as string;
    };
    const pos = (key: string): number => {
      const v = raw[key];
      if (typeof v !== 'number' || !Number.isFinite(v) || !(v > 0)) fail(`${at}.${key}`, 'must be a number > 0');
      return v as number;
    };
    const kind = raw.kind;
    if (!KINDS.includes(kind as AssetKind)) fail(`${at}.kind`, 'must be one of equity, crypto, fx');
    const factor = raw.factor === undefined ? (kind as string) : raw.factor;
    if (typeof factor !== 'string' || factors[factor] === undefined) fail(`${at}.factor`, `must name a factor (${Object.keys(factors).join(', ')})`);
    const corr = raw.corr === undefined ? 0.5 : raw.corr;
    if (typeof corr !== 'number' || !(Math.abs(corr) <= 0.99)) fail(`${at}.corr`, 'must be a number in [-0.99, 0.99]');
    const spec: SymbolSpec = {
      symbol,
      name: str('name', 1, 200),
      kind: kind as AssetKind,
      currency: str('currency', 3, 8),
      refPrice: pos('refPrice'),
      vol: pos('vol'),
      tickSize: pos('tickSize'),
      lotSize: pos('lotSize'),
      spread: pos('spread'),
      activity: pos('activity'),
      factor: factor as string,
      corr: corr as number,
    };
    if (spec.vol > 5) fail(`${at}.vol`, 'must be at most 5 (500% a year)');
    if (spec.refPrice < spec.tickSize * 10) fail(`${at}.refPrice`, 'must be at least 10 ticks');
    return spec;
  });
  return { model, factors, symbols };
}

function checkModel(m: ModelParams, fail: (path: string, what: string) => never): void {
  if (!(m.volOfVol >= 0 && m.volOfVol <= 2)) fail('volOfVol', 'must be in [0, 2]');
  if (!(m.volHalfLifeMin > 0)) fail('volHalfLifeMin', 'must be > 0');
  if (!(m.volCommonality >= 0 && m.volCommonality <= 1)) fail('volCommonality', 'must be in [0, 1]');
  if (!(m.jumpsPerDay >= 0)) fail('jumpsPerDay', 'must be >= 0');
  if (!(m.factorJumpsPerDay >= 0)) fail('factorJumpsPerDay', 'must be >= 0');
  if (!(m.jumpShare >= 0 && m.jumpShare <= 0.9)) fail('jumpShare', 'must be in [0, 0.9]');
  if (!(m.hawkesBranching >= 0 && m.hawkesBranching < 0.95)) fail('hawkesBranching', 'must be in [0, 0.95)');
  if (!(m.hawkesDecayPerSec > 0)) fail('hawkesDecayPerSec', 'must be > 0');
  if (!(m.sizeTailIndex > 0.5 && m.sizeTailIndex <= 10)) fail('sizeTailIndex', 'must be in (0.5, 10]');
  if (!(m.maxLots >= 1)) fail('maxLots', 'must be >= 1');
  if (!(m.insideProb >= 0 && m.insideProb <= 1)) fail('insideProb', 'must be in [0, 1]');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Keeps the named symbols, in the order given; throws naming every unknown one. */
export function selectSymbols(universe: Universe, names: readonly string[]): Universe {
  const bySymbol = new Map(universe.symbols.map((s) => [s.symbol, s]));
  const unknown = names.filter((n) => !bySymbol.has(n));
  if (unknown.length > 0) {
    throw new Error(`--symbols: not in the universe: ${unknown.join(', ')} (known: ${[...bySymbol.keys()].join(', ')})`);
  }
  return { ...universe, symbols: [...new Set(names)].map((n) => bySymbol.get(n)!) };
}

/** Scales every symbol's activity so that the universe's mean aggregate rate is `ticksPerSec`. */
export function withAggregateRate(universe: Universe, ticksPerSec: number): Universe {
  const total = universe.symbols.reduce((sum, s) => sum + s.activity, 0);
  const k = ticksPerSec / total;
  return { ...universe, symbols: universe.symbols.map((s) => ({ ...s, activity: s.activity * k })) };
}

/** The declaration a producer sends for a symbol. */
export function declarationOf(spec: SymbolSpec, refPrice = spec.refPrice): SymbolDeclaration {
  return { symbol: spec.symbol, name: spec.name, kind: spec.kind, currency: spec.currency, tickSize: spec.tickSize, lotSize: spec.lotSize, refPrice };
}
