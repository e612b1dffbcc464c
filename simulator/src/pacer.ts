import type { ReplaySpeed } from '@tickfeed/protocol';

/**
 * Replay pacing: maps recorded time to wall time. An anchor pairs a tape time
 * with the wall time it plays at; a record is due at
 *
 *   wallAnchor + (ts − tapeAnchor) / speed
 *
 * so the recorded gaps are kept, divided by the speed. A speed change or a
 * resume re-anchors at the current replay clock, so the clock never jumps.
 * At speed 'max' nothing waits (dueAt is −∞): acks alone pace the replay, and
 * the clock is whatever the runner anchored last (the last published ts).
 * Pure: wall times are passed in.
 */
export class Pacer {
  private wallAnchor = 0;
  private tapeAnchor = 0;
  private paused = false;

  constructor(private speedValue: ReplaySpeed) {}

  get speed(): ReplaySpeed {
    return this.speedValue;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Plays tape time `tapeTs` at wall time `wallNow`. */
  anchor(tapeTs: number, wallNow: number): void {
    this.tapeAnchor = tapeTs;
    this.wallAnchor = wallNow;
  }

  /** The replay clock (recorded time reached) at wall time `wallNow`. */
  clockAt(wallNow: number): number {
    if (this.paused || this.speedValue === 'max') return this.tapeAnchor;
    return this.tapeAnchor + (wallNow - this.wallAnchor) * this.speedValue;
  }

  /** Wall time at which a record with recorded time `tapeTs` is due (+∞ while paused). */
  dueAt(tapeTs: number): number {
    if (this.paused) return Infinity;
    if (this.speedValue === 'max') return -Infinity;
    return this.wallAnchor + (tapeTs - this.tapeAnchor) / this.speedValue;
  }

  setSpeed(speed: ReplaySpeed, wallNow: number): void {
    const clock = this.clockAt(wallNow);
    this.speedValue = speed;
    this.anchor(clock, wallNow);
  }

  pause(wallNow: number): void {
    if (this.paused) return;
    this.anchor(this.clockAt(wallNow), wallNow);
    this.paused = true;
  }

  resume(wallNow: number): void {
    if (!this.paused) return;
    this.paused = false;
    this.wallAnchor = wallNow;
  }
}
