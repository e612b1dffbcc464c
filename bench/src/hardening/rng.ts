import { createRandom, pickDistinct, type RandomSource, type Sfc32 } from '@tickfeed/protocol';

/**
 * Seeded randomness for the fuzzer and the soak (F8): every random choice of a
 * run comes from one of these, so a seed reproduces the same payloads in the
 * same order (timing, and so interleaving, still varies from run to run). The
 * draws are the project's one generator (the protocol's sfc32 streams); what
 * is ours here is only the vocabulary of choices the generators speak in.
 */
export class Rng implements RandomSource {
  private readonly source: Sfc32;

  constructor(
    private readonly seed: number,
    private readonly stream = 'fuzz',
  ) {
    this.source = createRandom(seed, stream);
  }

  /** Uniform in (0, 1). */
  next(): number {
    return this.source.next();
  }

  /** Integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** One of the keys, each chosen with its weight's share of the total. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as [K, number][];
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    let x = this.next() * total;
    for (const [key, weight] of entries) {
      x -= weight;
      if (x < 0) return key;
    }
    return entries[entries.length - 1]![0];
  }

  /** k distinct items, in random order. */
  sample<T>(items: readonly T[], k: number): T[] {
    return pickDistinct(items, k, this);
  }

  bytes(length: number): Buffer {
    const out = Buffer.allocUnsafe(length);
    for (let i = 0; i < length; i++) out[i] = Math.floor(this.next() * 256);
    return out;
  }

  /** A string of `length` characters drawn from `alphabet`. */
  string(length: number, alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'): string {
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet[Math.floor(this.next() * alphabet.length)];
    return out;
  }

  /** An independent stream for one actor, reproducible from this one's seed and the label. */
  fork(label: string): Rng {
    return new Rng(this.seed, `${this.stream}/${label}`);
  }
}
