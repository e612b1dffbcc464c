/*
 * `npm run docs:config`: writes docs/configuration.md and .env.example from
 * feed-server/src/config.ts (see config-doc.ts). A test fails while either
 * file differs from what this writes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { DEFAULT_SERVER_CONFIG } from '../src/config.js';
import { configDocFiles } from './config-doc.js';

const root = new URL('../../', import.meta.url);
const source = readFileSync(new URL('feed-server/src/config.ts', root), 'utf8');
for (const [path, text] of Object.entries(configDocFiles(source, DEFAULT_SERVER_CONFIG))) {
  const target = new URL(path, root);
  let before = '';
  try {
    before = readFileSync(target, 'utf8');
  } catch {
    // a missing file is written fresh
  }
  if (before === text) {
    process.stdout.write(`${path}: up to date\n`);
  } else {
    writeFileSync(target, text);
    process.stdout.write(`${path}: written\n`);
  }
}
