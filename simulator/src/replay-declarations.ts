import type { SymbolDeclaration } from '@tickfeed/protocol';
import type { TapeIndex } from './replay-source.js';
import type { Universe } from './universe.js';

/**
 * Declarations for the symbols of a tape: name, kind and currency from the
 * universe when it knows the symbol (AMZN, BTC-USD...), else an equity in
 * USD named after the symbol. The tick size is the finest step the tape
 * uses (at least 0.01 for prices quoted in cents, finer for sub-penny prints);
 * the lot size is the finest step of the tape's sizes (1 for whole shares);
 * the reference price is the tape's first price.
 */
export function replayDeclarations(index: TapeIndex, universe: Universe): SymbolDeclaration[] {
  const known = new Map(universe.symbols.map((s) => [s.symbol, s]));
  return [...index.symbols.values()].map((s) => {
    const spec = known.get(s.symbol);
    const tapeStep = 10 ** -Math.max(s.decimals, spec === undefined ? 2 : 0);
    const tickSize = Number((spec === undefined ? tapeStep : Math.min(spec.tickSize, tapeStep)).toPrecision(12));
    return {
      symbol: s.symbol,
      name: spec?.name ?? s.symbol,
      kind: spec?.kind ?? 'equity',
      currency: spec?.currency ?? 'USD',
      tickSize,
      lotSize: Number((10 ** -s.sizeDecimals).toPrecision(12)),
      refPrice: s.firstPrice,
    };
  });
}
