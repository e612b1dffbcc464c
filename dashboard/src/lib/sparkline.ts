/** SVG path of a sparkline of `values` in a width × height box (y grows downwards). Empty for < 2 values. */
export function sparklinePath(values: readonly number[], width: number, height: number, pad = 1): string {
  const n = values.length;
  if (n < 2) return '';
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const span = max - min;
  const innerH = height - 2 * pad;
  const step = width / (n - 1);
  let d = '';
  for (let i = 0; i < n; i++) {
    const y = span === 0 ? height / 2 : pad + innerH - ((values[i]! - min) / span) * innerH;
    d += `${i === 0 ? 'M' : 'L'}${round1(i * step)},${round1(y)}`;
  }
  return d;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
