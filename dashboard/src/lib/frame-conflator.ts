/** Schedules a callback for the next animation frame (requestAnimationFrame in the browser). */
export type FrameScheduler = (callback: () => void) => void;

/**
 * Collects items between frames and hands them over once per frame: however
 * fast ticks arrive, the page does its work (stores, chart, tape) at most once
 * per animation frame, with every item in arrival order.
 */
export class FrameConflator<T> {
  private buffer: T[] = [];
  private scheduled = false;
  private disposed = false;
  /** Frames flushed so far (for tests and the debug hook). */
  frames = 0;

  constructor(
    private readonly schedule: FrameScheduler,
    private readonly flush: (items: T[]) => void,
  ) {}

  push(items: readonly T[]): void {
    if (this.disposed || items.length === 0) return;
    for (const item of items) this.buffer.push(item);
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(() => this.run());
  }

  get pending(): number {
    return this.buffer.length;
  }

  dispose(): void {
    this.disposed = true;
    this.buffer = [];
  }

  private run(): void {
    this.scheduled = false;
    if (this.disposed || this.buffer.length === 0) return;
    const items = this.buffer;
    this.buffer = [];
    this.frames++;
    this.flush(items);
  }
}

/** Groups items by a key, keeping each group's arrival order. */
export function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group === undefined) groups.set(k, [item]);
    else group.push(item);
  }
  return groups;
}
