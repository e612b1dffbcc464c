import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TickLog } from '../../src/store/tick-log.js';
import { EntryKind, readEntries } from '../../src/store/frame-codec.js';
import { onCleanup } from '../support/harness.js';

/** A fresh temporary data directory, removed after the test. */
export function tempDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tickfeed-store-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Every tick the log of `dataDir` holds, per symbol in log order (read-only: a torn tail is left alone). */
export function storedTicks(dataDir: string): Map<string, { seq: number; json: string }[]> {
  const out = new Map<string, { seq: number; json: string }[]>();
  const log = TickLog.open(join(dataDir, 'log'));
  log.scan(
    log.start,
    (_position, payload) => {
      for (const entry of readEntries(payload)) {
        if (entry.kind !== EntryKind.TICK) continue;
        let list = out.get(entry.symbol);
        if (list === undefined) out.set(entry.symbol, (list = []));
        list.push({ seq: entry.seq, json: entry.json });
      }
    },
    { repair: false },
  );
  return out;
}
