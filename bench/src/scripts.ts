import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The bench workspace's root (works from src/ under Vitest and from dist/). */
export const BENCH_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Child process scripts; always the built ones, so children run plain `node`. */
export type ChildScript = 'server-entry' | 'baseline-entry' | 'load-gen-main' | 'publisher-main' | 'book-publisher-main';

export function scriptPath(name: ChildScript): string {
  const path = resolve(BENCH_ROOT, 'dist', `${name}.js`);
  if (!existsSync(path)) throw new Error(`${path} is missing: build first (npx tsc -b bench)`);
  return path;
}

export const RESULTS_DIR = resolve(BENCH_ROOT, 'results');
