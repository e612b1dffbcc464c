import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { brokenLinks, headingIds, linksIn, markdownFiles } from '../markdown-links.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');

describe('Markdown links', () => {
  it('[R52] every relative link in the repository\'s Markdown resolves to a file, and every #anchor to a heading', () => {
    const files = markdownFiles(repoRoot).map((f) => f.slice(repoRoot.length + 1));
    expect(files).toEqual(expect.arrayContaining(['README.md', 'SPEC.md', 'docs/protocol.md', 'docs/configuration.md']));
    const broken = brokenLinks(repoRoot).map((b) => `${b.file}:${b.line}: ${b.target} (${b.reason})`);
    expect(broken, 'broken links (`npm run docs:links` lists them)').toEqual([]);
  });

  describe('the checker', () => {
    let dir: string | undefined;
    afterEach(() => {
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
      dir = undefined;
    });

    it('[R52] reports a missing file, a missing heading and a link out of the repository; ignores code and external links', () => {
      dir = mkdtempSync(join(tmpdir(), 'md-links-'));
      mkdirSync(join(dir, 'docs'));
      mkdirSync(join(dir, 'node_modules'));
      writeFileSync(join(dir, 'docs', 'guide.md'), '# The guide\n\n## Step `one`, then two\n\n## Step `one`, then two\n');
      writeFileSync(join(dir, 'node_modules', 'ignored.md'), '[x](nowhere.md)\n');
      writeFileSync(
        join(dir, 'README.md'),
        [
          '[ok](docs/guide.md) [ok too](docs/guide.md#step-one-then-two-1) [folder](docs/) ![self](#readme)',
          '# Readme',
          '[gone](docs/missing.md)',
          '[bad anchor](docs/guide.md#step-three)',
          '[outside](../elsewhere.md)',
          '`[code](not/checked.md)` [web](https://example.com/x.md)',
          '```',
          '[fenced](not/checked/either.md)',
          '```',
          '[ref]: docs/absent.md',
        ].join('\n'),
      );
      expect(brokenLinks(dir).map((b) => `${b.file}:${b.line} ${b.target}`)).toEqual([
        'README.md:3 docs/missing.md',
        'README.md:4 docs/guide.md#step-three',
        'README.md:5 ../elsewhere.md',
        'README.md:10 docs/absent.md',
      ]);
    });

    it('[R52] heading ids follow GitHub: lower case, punctuation dropped, repeats numbered', () => {
      expect([...headingIds('# Limits and the slow-consumer policy\n## Replay status & controls\n## Replay status & controls\n')]).toEqual([
        'limits-and-the-slow-consumer-policy',
        'replay-status--controls',
        'replay-status--controls-1',
      ]);
      expect(linksIn('see [a](b.md "title") and [c](<d.md>)').map((l) => l.target)).toEqual(['b.md', 'd.md']);
    });
  });
});
