/** Below this share of the engage threshold a lingering server goes back to latency first (hysteresis: lingering itself lowers the load). */
const RELEASE_FRACTION = 0.5;
/** Weight of the newest sample in the smoothed utilization. */
const SMOOTHING = 0.5;

/**
 * How long a tick may wait for company before its frame goes out (SPEC R37).
 * Latency first while the server has room: no wait at all. Once its event
 * loop is busy at least `engageAt` of the time (smoothed), every frame waits
 * up to `maxMs` after its first tick, so the ticks that arrive meanwhile share
 * it: a write costs about the same for one tick or several, so this is where
 * a loaded server finds its CPU. It goes back to latency first when the load
 * falls below half the threshold.
 *
 * Pure: the fan-out feeds it event-loop utilization samples (0..1).
 */
export class LoadLinger {
  private engaged: boolean;
  private smoothed: number | null = null;

  constructor(
    private readonly maxMs: number,
    private readonly engageAt: number,
  ) {
    this.engaged = engageAt <= 0;
  }

  /** The wait to apply to the frames started now, ms (0: none). */
  get lingerMs(): number {
    return this.engaged ? this.maxMs : 0;
  }

  /** One utilization sample; returns the wait to apply from now on. */
  update(utilization: number): number {
    this.smoothed = this.smoothed === null ? utilization : SMOOTHING * utilization + (1 - SMOOTHING) * this.smoothed;
    if (!this.engaged && this.smoothed >= this.engageAt) this.engaged = true;
    else if (this.engaged && this.smoothed < this.engageAt * RELEASE_FRACTION) this.engaged = false;
    return this.lingerMs;
  }
}
