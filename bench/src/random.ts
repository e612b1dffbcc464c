/** A seeded source of uniform numbers in [0, 1). A seed reproduces a run's symbol picks and prices exactly. */
export type RandomSource = () => number;

/** mulberry32: small, fast, good enough to spread subscriptions and walk prices. */
export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** k distinct items of `items`, picked uniformly (partial Fisher-Yates). */
export function pickDistinct<T>(items: readonly T[], k: number, random: RandomSource): T[] {
  const pool = items.slice();
  const n = Math.min(k, pool.length);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (pool.length - i));
    const chosen = pool[j] as T;
    pool[j] = pool[i] as T;
    pool[i] = chosen;
  }
  return pool.slice(0, n);
}
