import { defineConfig } from 'vitest/config';

const nodeProject = (name: string, extra: { testTimeout?: number } = {}) => ({
  test: {
    name,
    root: `./${name}`,
    include: ['test/**/*.test.ts'],
    environment: 'node' as const,
    testTimeout: extra.testTimeout ?? 20_000,
    hookTimeout: 30_000,
  },
});

export default defineConfig({
  test: {
    reporters: ['default', './scripts/summary-reporter.ts'],
    projects: [
      nodeProject('protocol'),
      nodeProject('dev-tools'),
      nodeProject('client'),
      nodeProject('simulator', { testTimeout: 60_000 }),
      nodeProject('feed-server', { testTimeout: 60_000 }),
      nodeProject('launcher', { testTimeout: 60_000 }),
      nodeProject('dashboard', { testTimeout: 90_000 }),
      nodeProject('bench', { testTimeout: 90_000 }),
      // Repository-wide checks of the docs (links) and of the scripts that write them.
      nodeProject('scripts'),
    ],
  },
});
