import type { Tick } from '@tickfeed/protocol';

/** Direction of a trade against the previous one: up-tick, down-tick, or (zero tick) the previous direction. */
export type Direction = 1 | -1 | 0;

export interface TapeRow {
  readonly seq: number;
  readonly ts: number;
  readonly price: number;
  readonly size: number;
  readonly dir: Direction;
}

export const TAPE_ROWS = 60;

/**
 * Time & sales of one symbol: the most recent trades, newest first, stitched
 * to the stream by seq like the chart (apply only seq = last + 1).
 */
export class TapeModel {
  rows: TapeRow[] = [];
  seq = 0;
  private lastPrice = 0;
  private lastDir: Direction = 0;

  constructor(private readonly capacity = TAPE_ROWS) {}

  /** Loads backfilled ticks (ascending seq) that end at `seq`. */
  load(ticks: readonly Tick[], seq: number): void {
    this.rows = [];
    this.lastPrice = 0;
    this.lastDir = 0;
    this.seq = seq;
    const rows: TapeRow[] = [];
    for (const tick of ticks.slice(-this.capacity)) rows.push(this.row(tick));
    this.rows = rows.reverse();
  }

  /** Applies live ticks; returns false on a seq gap (reload needed). */
  apply(ticks: readonly Tick[]): boolean {
    const fresh: TapeRow[] = [];
    for (const tick of ticks) {
      if (tick.seq <= this.seq) continue;
      if (tick.seq !== this.seq + 1) {
        this.commit(fresh);
        return false;
      }
      this.seq = tick.seq;
      fresh.push(this.row(tick));
    }
    this.commit(fresh);
    return true;
  }

  private commit(fresh: TapeRow[]): void {
    if (fresh.length === 0) return;
    fresh.reverse();
    const keep = Math.max(0, this.capacity - fresh.length);
    this.rows = fresh.slice(0, this.capacity).concat(this.rows.slice(0, keep));
  }

  private row(tick: Tick): TapeRow {
    let dir: Direction = this.lastDir;
    if (this.lastPrice !== 0 && tick.price > this.lastPrice) dir = 1;
    else if (this.lastPrice !== 0 && tick.price < this.lastPrice) dir = -1;
    this.lastPrice = tick.price;
    this.lastDir = dir;
    return { seq: tick.seq, ts: tick.ts, price: tick.price, size: tick.size, dir };
  }
}
