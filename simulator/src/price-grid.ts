/**
 * Prices and sizes on a decimal grid (tick size, lot size) as exact doubles:
 * a grid step is m·10^-d with integer m, so k steps are (k·m)/10^d, and an
 * IEEE division of two exact integers is the double nearest the decimal value,
 * the same double JSON.parse gives for it (no 0.30000000000000004 artifacts).
 */
export interface Grid {
  /** The step, e.g. 0.01. */
  readonly step: number;
  /** Integer numerator: step = units / scale. */
  readonly units: number;
  /** 10^decimals. */
  readonly scale: number;
  readonly decimals: number;
}

export function decimalsOf(value: number): number {
  if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
  const text = value.toString();
  const exp = /e-(\d+)$/.exec(text);
  if (exp !== null) {
    const mantissa = text.slice(0, exp.index);
    const dot = mantissa.indexOf('.');
    return Number(exp[1]) + (dot < 0 ? 0 : mantissa.length - dot - 1);
  }
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}

export function makeGrid(step: number): Grid {
  if (!(step > 0) || !Number.isFinite(step)) throw new Error(`grid step must be a finite number > 0, got ${step}`);
  const decimals = decimalsOf(step);
  if (decimals > 15) throw new Error(`grid step ${step} has more than 15 decimals`);
  const scale = 10 ** decimals;
  return { step, units: Math.round(step * scale), scale, decimals };
}

/** The value of k grid steps. */
export function gridValue(grid: Grid, k: number): number {
  return (k * grid.units) / grid.scale;
}

/** The grid index nearest x. */
export function nearestIndex(grid: Grid, x: number): number {
  return Math.round((x * grid.scale) / grid.units);
}

/** Whether x lies on the grid (up to floating-point representation). */
export function isOnGrid(grid: Grid, x: number): boolean {
  const k = Math.round((x * grid.scale) / grid.units);
  return gridValue(grid, k) === x;
}
