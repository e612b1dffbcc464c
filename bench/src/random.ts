import type { RandomSource } from '@tickfeed/client';

/** The seeded generator the feed client already provides (mulberry32): a seed reproduces a run's picks and prices. */
export { seededRandom, type RandomSource } from '@tickfeed/client';

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
