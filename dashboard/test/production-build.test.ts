import { readdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DIST_DIR, PRODUCTION_DIST_DIR, ensureDashboardBuilt } from './support/stack.js';

/** Every file of a build folder with its text. */
function filesOf(dir: string): { path: string; text: string }[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const path = join(entry.parentPath, entry.name);
      return { path, text: readFileSync(path, 'utf8') };
    });
}

beforeAll(() => {
  ensureDashboardBuilt('production');
  ensureDashboardBuilt('test');
}, 120_000);

describe('debug hook', () => {
  it('[R63] the production build (dashboard/dist) has no window.__tickfeed; the test build has it', () => {
    // What the browser runs; the source maps carry the sources as written, comments and all.
    const production = filesOf(PRODUCTION_DIST_DIR).filter((file) => /\.(js|html)$/.test(file.path));
    expect(production.some((file) => file.path.endsWith('.js'))).toBe(true);
    expect(production.filter((file) => file.text.includes('__tickfeed')).map((file) => file.path)).toEqual([]);
    const test = filesOf(DIST_DIR).filter((file) => file.path.endsWith('.js'));
    expect(test.some((file) => file.text.includes('__tickfeed'))).toBe(true);
  });
});

describe('JS budget', () => {
  it('[D103] the production build ships at most 120 KB of gzipped JS, every chunk together (the replay controls, loaded only for a replay, included)', () => {
    const scripts = filesOf(PRODUCTION_DIST_DIR).filter((file) => file.path.endsWith('.js'));
    const gzipped = scripts.reduce((sum, file) => sum + gzipSync(file.text, { level: 9 }).length, 0);
    // The kilobytes of vite's build report: 1,000 bytes.
    expect(gzipped, scripts.map((file) => file.path).join(', ')).toBeLessThanOrEqual(120_000);
  });
});
