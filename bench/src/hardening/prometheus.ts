/**
 * Reads Prometheus text exposition (what /metrics serves) into numbers.
 * Only what the fuzzer and the soak need: samples by name and labels.
 */
export class MetricsSnapshot {
  private constructor(private readonly samples: ReadonlyMap<string, { labels: Record<string, string>; value: number }[]>) {}

  static parse(text: string): MetricsSnapshot {
    const samples = new Map<string, { labels: Record<string, string>; value: number }[]>();
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
      if (match === null) continue;
      const [, name, labelText, valueText] = match;
      if (name === undefined || valueText === undefined) continue;
      const list = samples.get(name) ?? [];
      list.push({ labels: parseLabels(labelText ?? ''), value: parseValue(valueText) });
      samples.set(name, list);
    }
    return new MetricsSnapshot(samples);
  }

  /** The sample whose labels include `labels` (the first one); NaN when there is none. */
  value(name: string, labels: Record<string, string> = {}): number {
    const match = this.samples.get(name)?.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
    return match === undefined ? Number.NaN : match.value;
  }

  /** Sum over every sample of `name` (0 when there is none). */
  sum(name: string): number {
    return (this.samples.get(name) ?? []).reduce((total, s) => total + s.value, 0);
  }

  /** Every sample of `name` as label value of `label` → value. */
  byLabel(name: string, label: string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this.samples.get(name) ?? []) {
      const key = s.labels[label] ?? '';
      out[key] = (out[key] ?? 0) + s.value;
    }
    return out;
  }
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m[1] !== undefined) labels[m[1]] = (m[2] ?? '').replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  return labels;
}

function parseValue(text: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}
