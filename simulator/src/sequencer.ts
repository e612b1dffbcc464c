import type { Tick } from '@tickfeed/protocol';
import type { ModelTrade } from './symbol-model.js';

/** Per-symbol seq numbering: each symbol's ticks carry last + 1, starting where the server says it stands. */
export class Sequencer {
  private readonly last = new Map<string, number>();

  /** Sets the last seq of a symbol (0: the next tick is seq 1). */
  setLast(symbol: string, seq: number): void {
    this.last.set(symbol, seq);
  }

  /** Numbers trades into wire ticks, fields in the contract's order. */
  stamp(trades: readonly ModelTrade[]): Tick[] {
    const ticks: Tick[] = new Array(trades.length);
    for (let i = 0; i < trades.length; i++) {
      const t = trades[i]!;
      const seq = (this.last.get(t.symbol) ?? 0) + 1;
      this.last.set(t.symbol, seq);
      ticks[i] = { symbol: t.symbol, seq, ts: t.ts, price: t.price, size: t.size, bid: t.bid, ask: t.ask };
    }
    return ticks;
  }
}
