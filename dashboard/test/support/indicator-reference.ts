import type { Candle } from '@tickfeed/protocol';
import type { Bands } from '../../src/lib/indicators/bollinger.js';
import type { MacdValue } from '../../src/lib/indicators/oscillators.js';

/*
 * The indicators' reference: each value from its textbook definition,
 * recomputed from the bars every time (nothing carried over between bars but
 * the EMA and Wilder recursions, written out as loops). The unit and browser
 * tests hold the chart's incremental values against it.
 */


export function refSma(bars: readonly Candle[], n: number): (number | null)[] {
  return bars.map((_, i) => {
    if (i < n - 1) return null;
    let sum = 0;
    for (let j = i - n + 1; j <= i; j++) sum += bars[j]!.close;
    return sum / n;
  });
}

export function refEmaOf(values: readonly number[], n: number): (number | null)[] {
  const out: (number | null)[] = [];
  let prev: number | null = null;
  for (let i = 0; i < values.length; i++) {
    if (i < n - 1) out.push(null);
    else if (i === n - 1) {
      let sum = 0;
      for (let j = 0; j < n; j++) sum += values[j]!;
      prev = sum / n;
      out.push(prev);
    } else {
      prev = values[i]! * (2 / (n + 1)) + prev! * (1 - 2 / (n + 1));
      out.push(prev);
    }
  }
  return out;
}

export function refBollinger(bars: readonly Candle[], n: number, k: number): (Bands | null)[] {
  return bars.map((_, i) => {
    if (i < n - 1) return null;
    const window = bars.slice(i - n + 1, i + 1).map((b) => b.close);
    const m = window.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(window.reduce((a, b) => a + (b - m) * (b - m), 0) / n);
    return { middle: m, upper: m + k * sd, lower: m - k * sd };
  });
}

export function refVwap(bars: readonly Candle[], dayOf: (t: number) => number): (number | null)[] {
  return bars.map((bar, i) => {
    let pv = 0;
    let v = 0;
    for (let j = 0; j <= i; j++) {
      const b = bars[j]!;
      if (dayOf(b.time) !== dayOf(bar.time)) continue;
      pv += ((b.high + b.low + b.close) / 3) * b.volume;
      v += b.volume;
    }
    return v > 0 ? pv / v : null;
  });
}

export function refRsi(bars: readonly Candle[], n: number): (number | null)[] {
  const out: (number | null)[] = [null];
  let avgGain = 0;
  let avgLoss = 0;
  for (let i = 1; i < bars.length; i++) {
    const change = bars[i]!.close - bars[i - 1]!.close;
    if (i < n) {
      out.push(null);
      continue;
    }
    if (i === n) {
      let g = 0;
      let l = 0;
      for (let j = 1; j <= n; j++) {
        const c = bars[j]!.close - bars[j - 1]!.close;
        if (c > 0) g += c;
        else l -= c;
      }
      avgGain = g / n;
      avgLoss = l / n;
    } else {
      avgGain = (avgGain * (n - 1) + (change > 0 ? change : 0)) / n;
      avgLoss = (avgLoss * (n - 1) + (change < 0 ? -change : 0)) / n;
    }
    out.push(avgLoss === 0 ? (avgGain === 0 ? 50 : 100) : 100 - 100 / (1 + avgGain / avgLoss));
  }
  return out.slice(0, bars.length);
}

export function refMacd(bars: readonly Candle[], fast: number, slow: number, signal: number): (MacdValue | null)[] {
  const closes = bars.map((b) => b.close);
  const f = refEmaOf(closes, fast);
  const s = refEmaOf(closes, slow);
  const line: number[] = [];
  const out: (MacdValue | null)[] = [];
  for (let i = 0; i < bars.length; i++) {
    if (s[i] === null) {
      out.push(null);
      continue;
    }
    line.push(f[i]! - s[i]!);
    const sig = refEmaOf(line, signal)[line.length - 1] ?? null;
    out.push({ macd: line[line.length - 1]!, signal: sig, histogram: sig === null ? null : line[line.length - 1]! - sig });
  }
  return out;
}
