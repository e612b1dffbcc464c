/**
 * The one seeded random generator of the project: sfc32 (Chris
 * Doty-Humphrey's Small Fast Counting generator, 128-bit state, passes
 * PractRand to 2^45+ bytes), seeded from a string hash so each named stream
 * (`42:symbol:AAPL`) is independent. The simulator's price model, the
 * client's backoff jitter (in tests), the bench and the test publishers draw
 * from it, so a seed reproduces a run. It lives here because the protocol is
 * the one package every part depends on; it is not part of the wire contract.
 * Not for anything security related.
 */

/** A source of uniform numbers: Math.random at the edge (`{ next: Math.random }`), a seeded generator in tests and runs. */
export interface RandomSource {
  /** Uniform in [0, 1); the seeded generator never returns exactly 0. */
  next(): number;
}

const TWO_POW_32 = 4_294_967_296;

export class Sfc32 implements RandomSource {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(a: number, b: number, c: number, d: number) {
    this.a = a >>> 0;
    this.b = b >>> 0;
    this.c = c >>> 0;
    this.d = d >>> 0;
    // Mix the state away from the seed before the first draw.
    for (let i = 0; i < 15; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  next(): number {
    // Centre of the 2^-32 cell: never exactly 0 or 1, so log(u) is always finite.
    return (this.nextUint32() + 0.5) / TWO_POW_32;
  }
}

/** cyrb128: a fast 128-bit string hash, used only to derive generator state from a seed and stream name. */
export function hash128(text: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/** A generator for one named stream of one seed; the same (seed, stream) always gives the same sequence. */
export function createRandom(seed: number, stream: string): Sfc32 {
  const [a, b, c, d] = hash128(`${seed}:${stream}`);
  return new Sfc32(a, b, c, d);
}

/** k distinct items of `items`, in random order (partial Fisher-Yates). */
export function pickDistinct<T>(items: readonly T[], k: number, random: RandomSource): T[] {
  const pool = items.slice();
  const n = Math.min(k, pool.length);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random.next() * (pool.length - i));
    const chosen = pool[j] as T;
    pool[j] = pool[i] as T;
    pool[i] = chosen;
  }
  return pool.slice(0, n);
}
