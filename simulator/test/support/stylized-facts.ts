import { MarketModel } from '../../src/market-model.js';
import { SECONDS_PER_YEAR } from '../../src/volatility.js';
import type { Universe } from '../../src/universe.js';

export interface StylizedFacts {
  n: number;
  excessKurtosis: number;
  /** acf[k] = autocorrelation of returns at lag k (acf[0] = 1). */
  acf: number[];
  /** absAcf[k] = autocorrelation of |returns| at lag k. */
  absAcf: number[];
  /** Annualized realized volatility: √(mean r² · minutes per year). */
  realizedVol: number;
}

/**
 * 1-minute log returns of the last traded price of the first symbol of
 * `universe` over `days` days from `seed`. A minute with no trade repeats the
 * previous last price (return 0), as a bar chart of last prices would.
 */
export function minuteReturns(universe: Universe, seed: number, days: number): Float64Array {
  const startMs = Date.UTC(2024, 0, 1);
  const model = new MarketModel(universe, { seed, startMs });
  const minutes = Math.round(days * 1440);
  const closes = new Float64Array(minutes + 1);
  closes[0] = universe.symbols[0]!.refPrice;
  let last = closes[0];
  let minute = 0;
  for (;;) {
    const trade = model.next();
    const m = Math.floor((trade.ts - startMs) / 60_000);
    while (minute < m && minute < minutes) {
      minute++;
      closes[minute] = last;
    }
    if (minute >= minutes) break;
    last = trade.price;
  }
  const returns = new Float64Array(minutes);
  for (let i = 0; i < minutes; i++) returns[i] = Math.log(closes[i + 1]! / closes[i]!);
  return returns;
}

export function stylizedFacts(r: Float64Array, maxLag: number): StylizedFacts {
  const n = r.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += r[i]!;
  mean /= n;
  let m2 = 0;
  let m4 = 0;
  let sumSq = 0;
  let meanAbs = 0;
  for (let i = 0; i < n; i++) {
    const d = r[i]! - mean;
    m2 += d * d;
    m4 += d * d * d * d;
    sumSq += r[i]! * r[i]!;
    meanAbs += Math.abs(r[i]!);
  }
  m2 /= n;
  m4 /= n;
  meanAbs /= n;
  const abs = new Float64Array(n);
  for (let i = 0; i < n; i++) abs[i] = Math.abs(r[i]!) - meanAbs;
  const centred = new Float64Array(n);
  for (let i = 0; i < n; i++) centred[i] = r[i]! - mean;
  return {
    n,
    excessKurtosis: m4 / (m2 * m2) - 3,
    acf: autocorrelation(centred, maxLag),
    absAcf: autocorrelation(abs, maxLag),
    realizedVol: Math.sqrt((sumSq / n) * (SECONDS_PER_YEAR / 60)),
  };
}

/** Sample autocorrelation of an already centred series, lags 0..maxLag. */
function autocorrelation(x: Float64Array, maxLag: number): number[] {
  const n = x.length;
  let c0 = 0;
  for (let i = 0; i < n; i++) c0 += x[i]! * x[i]!;
  const out = [1];
  for (let k = 1; k <= maxLag; k++) {
    let c = 0;
    for (let i = k; i < n; i++) c += x[i]! * x[i - k]!;
    out.push(c / c0);
  }
  return out;
}

/** The thresholds; returns the failed checks (empty: all pass). */
export function checkStylizedFacts(f: StylizedFacts, configuredVol: number): string[] {
  const failed: string[] = [];
  if (!(f.excessKurtosis >= 3)) failed.push(`excess kurtosis ${f.excessKurtosis.toFixed(2)} < 3`);
  const a1 = f.acf[1]!;
  if (!(a1 >= -0.15 && a1 <= 0.1)) failed.push(`ACF(1) ${a1.toFixed(3)} outside [-0.15, 0.1]`);
  for (let k = 2; k <= 10; k++) {
    if (!(Math.abs(f.acf[k]!) < 0.05)) failed.push(`|ACF(${k})| ${Math.abs(f.acf[k]!).toFixed(3)} >= 0.05`);
  }
  if (!(f.absAcf[1]! >= 0.15)) failed.push(`ACF|r|(1) ${f.absAcf[1]!.toFixed(3)} < 0.15`);
  for (const k of [5, 10, 30]) {
    if (!(f.absAcf[k]! >= 0.05)) failed.push(`ACF|r|(${k}) ${f.absAcf[k]!.toFixed(3)} < 0.05`);
  }
  const ratio = f.realizedVol / configuredVol;
  if (!(ratio >= 0.8 && ratio <= 1.2)) failed.push(`realized vol ${f.realizedVol.toFixed(3)} is ${(ratio * 100).toFixed(0)}% of ${configuredVol}`);
  return failed;
}
