import {
  INTERVALS,
  INTERVAL_MS,
  applyTickToStats,
  candlesFromTrades,
  formatOf,
  initialStats,
  sessionKindOf,
  roundDeclaration,
  snapshotOf,
  type CandlesResponse,
  type SymbolDeclaration,
  type SymbolInfo,
  type Tick,
  type TicksResponse,
} from '@tickfeed/protocol';
import { getJson } from './http.js';
import type { Ledger } from './ledger.js';

/**
 * F4: what the server says about each healthy symbol equals what the
 * published ticks make, computed again here with the protocol's own pure
 * functions: the snapshot (session stats), candles at every interval, and
 * the recent ticks.
 */
export interface StateCheckInput {
  url: string;
  /** Every tick the server accepted from the steady publisher, per symbol, in order. */
  accepted: ReadonlyMap<string, readonly Tick[]>;
  /** What was declared of each symbol (reference price, tick size). */
  declarations: ReadonlyMap<string, SymbolDeclaration>;
  /** Epoch per symbol as declared. */
  epochs: ReadonlyMap<string, string>;
  /** Most candles the server keeps and returns per request. */
  candleLimit: number;
  /** Most ticks one REST request returns. */
  tickLimit: number;
}

export interface StateCheckSummary {
  symbols: number;
  snapshotsEqual: number;
  candleSeriesEqual: number;
  candleSeriesChecked: number;
  tickListsEqual: number;
}

export async function checkState(input: StateCheckInput, ledger: Ledger): Promise<StateCheckSummary> {
  const summary: StateCheckSummary = { symbols: 0, snapshotsEqual: 0, candleSeriesEqual: 0, candleSeriesChecked: 0, tickListsEqual: 0 };
  for (const [symbol, ticks] of input.accepted) {
    summary.symbols++;
    const base = `${input.url}/api/symbols/${encodeURIComponent(symbol)}`;

    // The server's own rules (P11-P13): the reference price at the tick size's decimals, sums at the symbol's decimals.
    const declared = input.declarations.get(symbol);
    const format = declared === undefined ? undefined : formatOf(declared);
    // Sessions follow the symbol's market (P30-P33), as the server's do.
    const session = declared === undefined ? undefined : sessionKindOf(declared);
    const stats = initialStats(declared === undefined ? 0 : roundDeclaration(declared).refPrice);
    for (const tick of ticks) applyTickToStats(stats, tick, format, session);
    const expected = snapshotOf(symbol, stats, format);
    const info = await getJson<SymbolInfo>(base);
    const difference = info.status === 200 ? differingField(expected, info.body.snapshot) : `status ${info.status}`;
    if (difference !== null) ledger.violation('state-snapshot', `${symbol}: snapshot differs (${difference}) after ${ticks.length} ticks`);
    else if (info.body.epoch !== input.epochs.get(symbol)) ledger.violation('state-snapshot', `${symbol}: epoch changed from ${input.epochs.get(symbol)} to ${info.body.epoch}`);
    else summary.snapshotsEqual++;

    for (const interval of INTERVALS) {
      summary.candleSeriesChecked++;
      const want = candlesFromTrades(ticks, INTERVAL_MS[interval], format?.size, session).slice(-input.candleLimit);
      const got = await getJson<CandlesResponse>(`${base}/candles?interval=${interval}&limit=${input.candleLimit}`);
      const lastSeq = ticks.at(-1)?.seq ?? 0;
      if (got.status !== 200) {
        ledger.violation('state-candles', `${symbol} ${interval}: status ${got.status}`);
      } else if (got.body.seq !== lastSeq) {
        ledger.violation('state-candles', `${symbol} ${interval}: seq ${got.body.seq}, published up to ${lastSeq}`);
      } else if (JSON.stringify(got.body.candles) !== JSON.stringify(want)) {
        ledger.violation('state-candles', `${symbol} ${interval}: ${got.body.candles.length} candles differ from the ${want.length} recomputed (first difference at ${firstDifference(got.body.candles, want)})`);
      } else {
        summary.candleSeriesEqual++;
      }
    }

    const recent = await getJson<TicksResponse>(`${base}/ticks?limit=${input.tickLimit}`);
    const wantTicks = ticks.slice(-input.tickLimit);
    if (recent.status !== 200 || JSON.stringify(recent.body.ticks) !== JSON.stringify(wantTicks)) {
      ledger.violation('state-ticks', `${symbol}: recent ticks differ (status ${recent.status}, ${recent.status === 200 ? recent.body.ticks.length : 0} vs ${wantTicks.length})`);
    } else {
      summary.tickListsEqual++;
    }
  }
  return summary;
}

function differingField(want: object, got: unknown): string | null {
  if (typeof got !== 'object' || got === null) return 'no snapshot';
  const g = got as Record<string, unknown>;
  for (const [key, value] of Object.entries(want)) {
    if (g[key] !== value) return `${key}: ${String(g[key])} instead of ${String(value)}`;
  }
  return null;
}

function firstDifference(a: readonly unknown[], b: readonly unknown[]): string {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (JSON.stringify(a[i]) !== JSON.stringify(b[i])) return `#${i}: ${JSON.stringify(a[i])} vs ${JSON.stringify(b[i])}`;
  }
  return 'none';
}
