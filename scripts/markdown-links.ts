/*
 * Checks that every relative link in the repository's Markdown files points
 * at a file or folder that exists, and that a `#heading` anchor names a
 * heading of the Markdown file it points into (GitHub's heading ids).
 * External links (a scheme such as https:) are not fetched. `npm run
 * docs:links` prints the broken ones; a test runs the same check.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Folders that hold installed, built or generated files, not the project's docs. */
const SKIPPED_DIRS = new Set(['node_modules', '.git', 'dist', 'dist-types', 'coverage', 'test-artifacts']);

export interface BrokenLink {
  /** Markdown file, relative to the root. */
  readonly file: string;
  readonly line: number;
  readonly target: string;
  readonly reason: string;
}

export function markdownFiles(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) walk(join(dir, entry.name));
      } else if (entry.isFile() && entry.name.endsWith('.md')) {
        found.push(join(dir, entry.name));
      }
    }
  };
  walk(root);
  return found.sort();
}

export function brokenLinks(root: string): BrokenLink[] {
  const broken: BrokenLink[] = [];
  const anchorsOf = new Map<string, Set<string>>();
  const anchors = (file: string): Set<string> => {
    let set = anchorsOf.get(file);
    if (set === undefined) {
      set = headingIds(readFileSync(file, 'utf8'));
      anchorsOf.set(file, set);
    }
    return set;
  };
  for (const file of markdownFiles(root)) {
    for (const { line, target } of linksIn(readFileSync(file, 'utf8'))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, …
      const hash = target.indexOf('#');
      const pathPart = decodeURI(hash === -1 ? target : target.slice(0, hash));
      const anchor = hash === -1 ? undefined : target.slice(hash + 1);
      const resolved = pathPart === '' ? file : pathPart.startsWith('/') ? join(root, pathPart) : resolve(dirname(file), pathPart);
      const report = (reason: string): void => {
        broken.push({ file: relative(root, file), line, target, reason });
      };
      if (relative(root, resolved).startsWith('..')) report('points outside the repository');
      else if (!existsSync(resolved)) report('no such file');
      else if (anchor !== undefined && anchor !== '' && resolved.endsWith('.md') && statSync(resolved).isFile() && !anchors(resolved).has(anchor.toLowerCase())) {
        report(`no heading #${anchor} in ${relative(root, resolved)}`);
      }
    }
  }
  return broken;
}

/** Inline links and images, and reference definitions, outside code. */
export function linksIn(markdown: string): { line: number; target: string }[] {
  const links: { line: number; target: string }[] = [];
  let fence: string | undefined;
  markdown.split('\n').forEach((raw, index) => {
    const fenceMark = /^\s*(```|~~~)/.exec(raw)?.[1];
    if (fenceMark !== undefined) {
      if (fence === undefined) fence = fenceMark;
      else if (fence === fenceMark) fence = undefined;
      return;
    }
    if (fence !== undefined) return;
    const text = raw.replace(/`+[^`]*`+/g, (code) => ' '.repeat(code.length));
    for (const match of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push({ line: index + 1, target: match[1]! });
    const definition = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/.exec(text);
    if (definition !== null) links.push({ line: index + 1, target: definition[1]! });
  });
  return links;
}

/** The ids GitHub gives a file's headings: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
export function headingIds(markdown: string): Set<string> {
  const ids = new Set<string>();
  const seen = new Map<string, number>();
  let fence: string | undefined;
  for (const raw of markdown.split('\n')) {
    const fenceMark = /^\s*(```|~~~)/.exec(raw)?.[1];
    if (fenceMark !== undefined) {
      if (fence === undefined) fence = fenceMark;
      else if (fence === fenceMark) fence = undefined;
      continue;
    }
    const heading = fence === undefined ? /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(raw)?.[1] : undefined;
    if (heading === undefined) continue;
    const base = heading
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    ids.add(count === 0 ? base : `${base}-${count}`);
  }
  return ids;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const broken = brokenLinks(root);
  for (const b of broken) process.stdout.write(`${b.file}:${b.line}: ${b.target}: ${b.reason}\n`);
  process.stdout.write(`${markdownFiles(root).length} Markdown files, ${broken.length} broken links\n`);
  process.exitCode = broken.length === 0 ? 0 : 1;
}
