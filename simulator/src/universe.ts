import { Type, type Static, type TNumber, type TOptional } from '@sinclair/typebox';
import { Value, ValueErrorType } from '@sinclair/typebox/value';
import { SYMBOL_PATTERN, type AssetKind, type SymbolDeclaration } from '@tickfeed/protocol';

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

/**
 * The JSON shape of a universe file: `model` and `factors` optional, symbol
 * `factor`/`corr` optional. Each field's `must` says what is wrong when it
 * fails, so an error names the field and the rule.
 */
const positive = { exclusiveMinimum: 0, must: 'must be a number > 0' };
const text = (minLength: number, maxLength: number) => Type.String({ minLength, maxLength, must: `must be a string of ${minLength}-${maxLength} characters` });

const SymbolSpecSchema = Type.Object(
  {
    symbol: Type.String({ pattern: SYMBOL_PATTERN, must: `must match ${SYMBOL_PATTERN}` }),
    name: text(1, 200),
    kind: Type.Union([Type.Literal('equity'), Type.Literal('crypto'), Type.Literal('fx')], { must: 'must be one of equity, crypto, fx' }),
    currency: text(3, 8),
    refPrice: Type.Number(positive),
    vol: Type.Number(positive),
    tickSize: Type.Number(positive),
    lotSize: Type.Number(positive),
    spread: Type.Number(positive),
    activity: Type.Number(positive),
    factor: Type.Optional(Type.String({ must: 'must name a factor' })),
    corr: Type.Optional(Type.Number({ minimum: -0.99, maximum: 0.99, must: 'must be a number in [-0.99, 0.99]' })),
  },
  { additionalProperties: false, must: 'must be an object' },
);

const UniverseFileSchema = Type.Object(
  {
    model: Type.Optional(
      Type.Object(
        Object.fromEntries(Object.keys(DEFAULT_MODEL_PARAMS).map((key) => [key, Type.Optional(Type.Number({ must: 'must be a finite number' }))])) as {
          [K in keyof ModelParams]: TOptional<TNumber>;
        },
        { additionalProperties: false, must: 'must be an object', unknown: 'is not a known model parameter' },
      ),
    ),
    factors: Type.Optional(
      Type.Record(Type.String(), Type.Object({ vol: Type.Number(positive) }, { must: 'must be an object { vol }' }), { must: 'must be an object of { vol }' }),
    ),
    symbols: Type.Array(SymbolSpecSchema, { minItems: 1, must: 'must be a non-empty array' }),
  },
  { additionalProperties: false, must: 'must be an object with a "symbols" array', unknown: 'is not a known field (model, factors, symbols)' },
);

export type UniverseFile = Static<typeof UniverseFileSchema>;

/**
 * Validates an untrusted universe (parsed JSON) against the schema, then the
 * rules across fields. Throws an Error whose message names the source and the
 * bad field, e.g. `universe.json: symbols[3].vol must be a number > 0`.
 */
export function parseUniverse(value: unknown, source = 'universe'): Universe {
  const fail = (path: string, what: string): never => {
    throw new Error(`${source}: ${path} ${what}`);
  };
  const error = Value.Errors(UniverseFileSchema, value).First();
  if (error !== undefined) {
    const path = fieldPath(error.path);
    if (error.type === ValueErrorType.ObjectAdditionalProperties) {
      const unknown: unknown = error.schema['unknown'];
      return fail(path, typeof unknown === 'string' ? unknown : 'is not a known field');
    }
    const must: unknown = error.schema['must'];
    return fail(path, typeof must === 'string' ? must : 'is not valid');
  }
  const file = value as UniverseFile;

  const model: ModelParams = { ...DEFAULT_MODEL_PARAMS, ...file.model };
  if (file.model !== undefined) checkModel(model, (path, what) => fail(`model.${path}`, what));

  const factors: Record<string, FactorSpec> = { ...DEFAULT_FACTORS };
  for (const [name, factor] of Object.entries(file.factors ?? {})) factors[name] = { vol: factor.vol };

  const seen = new Set<string>();
  const symbols = file.symbols.map((raw, i): SymbolSpec => {
    const at = `symbols[${i}]`;
    if (seen.has(raw.symbol)) fail(`${at}.symbol`, `duplicates ${raw.symbol}`);
    seen.add(raw.symbol);
    const factor = raw.factor ?? raw.kind;
    if (factors[factor] === undefined) fail(`${at}.factor`, `must name a factor (${Object.keys(factors).join(', ')})`);
    if (raw.vol > 5) fail(`${at}.vol`, 'must be at most 5 (500% a year)');
    if (raw.refPrice < raw.tickSize * 10) fail(`${at}.refPrice`, 'must be at least 10 ticks');
    const { symbol, name, kind, currency, refPrice, vol, tickSize, lotSize, spread, activity } = raw;
    return { symbol, name, kind, currency, refPrice, vol, tickSize, lotSize, spread, activity, factor, corr: raw.corr ?? 0.5 };
  });
  return { model, factors, symbols };
}

/** `/symbols/3/vol` → `symbols[3].vol`; the root is `(root)`. */
function fieldPath(pointer: string): string {
  if (pointer === '') return '(root)';
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path === '' ? part : `${path}.${part}`), '');
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
