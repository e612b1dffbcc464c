import { applyTickToStats, sessionStart, snapshotOf, type SessionKind, type SessionStats, type Snapshot, type Tick } from '@tickfeed/protocol';
import type { Direction } from './tape-model.js';

/** What the watchlist shows of one symbol; plain data, written to the store once per frame. */
export interface QuoteView {
  readonly symbol: string;
  readonly last: number;
  readonly change: number;
  readonly changePct: number;
  readonly bid: number;
  readonly ask: number;
  readonly volume: number;
  readonly seq: number;
  /** Time of the last tick, epoch ms (0: none yet). */
  readonly ts: number;
  /** Direction of the last price change, for the flash. */
  readonly dir: Direction;
  /** Bumped on every price change, so a row can flash even when the direction repeats. */
  readonly flash: number;
}

/**
 * Session statistics of one symbol, kept outside the reactive store and
 * advanced with the protocol's applyTickToStats (the server's own code).
 */
export class QuoteModel {
  private stats: SessionStats;
  private dir: Direction = 0;
  private flash = 0;

  /** `session`: the symbol's market session (P30), so a tick of the next session rolls the stats as the server does. */
  constructor(
    readonly symbol: string,
    snapshot: Snapshot,
    private readonly session: SessionKind = 'utc-day',
  ) {
    this.stats = statsFromSnapshot(snapshot, session);
  }

  reset(snapshot: Snapshot): void {
    this.stats = statsFromSnapshot(snapshot, this.session);
    this.dir = 0;
  }

  /** Applies ticks (the feed client has already ordered and de-duplicated them). */
  apply(ticks: readonly Tick[]): void {
    for (const tick of ticks) {
      if (tick.seq <= this.stats.seq) continue;
      const before = this.stats.last;
      applyTickToStats(this.stats, tick, undefined, this.session);
      if (tick.price !== before) {
        this.dir = tick.price > before ? 1 : -1;
        this.flash++;
      }
    }
  }

  /**
   * Takes a conflated quote (the symbol's latest snapshot) as the new state.
   * Returns how many ticks it covers beyond the state held (0 for an older or
   * equal one, which changes nothing); a quote of a new epoch (seq went back)
   * replaces the state and counts nothing.
   */
  applyQuote(snapshot: Snapshot): number {
    if (snapshot.seq === this.stats.seq) return 0;
    const covered = snapshot.seq > this.stats.seq ? snapshot.seq - this.stats.seq : 0;
    const before = this.stats.last;
    this.stats = statsFromSnapshot(snapshot, this.session);
    if (snapshot.last !== before) {
      this.dir = snapshot.last > before ? 1 : -1;
      this.flash++;
    }
    return covered;
  }

  view(): QuoteView {
    const s = snapshotOf(this.symbol, this.stats);
    return {
      symbol: this.symbol,
      last: s.last,
      change: s.change,
      changePct: s.changePct,
      bid: s.bid,
      ask: s.ask,
      volume: s.volume,
      seq: s.seq,
      ts: s.ts,
      dir: this.dir,
      flash: this.flash,
    };
  }
}

export function statsFromSnapshot(snapshot: Snapshot, session: SessionKind = 'utc-day'): SessionStats {
  return {
    seq: snapshot.seq,
    ts: snapshot.ts,
    last: snapshot.last,
    bid: snapshot.bid,
    ask: snapshot.ask,
    sessionStart: snapshot.seq === 0 ? 0 : sessionStart(snapshot.ts, session),
    open: snapshot.open,
    high: snapshot.high,
    low: snapshot.low,
    volume: snapshot.volume,
    prevClose: snapshot.prevClose,
  };
}
