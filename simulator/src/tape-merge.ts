import type { SourcedRecord } from './tape-reader.js';

/**
 * Merges time-ordered record streams into one by ts; equal ts keep file order
 * (the earlier file first), and each file keeps its own row order. Reads one
 * record ahead per file, so memory does not grow with the files.
 */
export async function* mergeByTs(streams: ReadonlyArray<AsyncIterator<SourcedRecord>>): AsyncGenerator<SourcedRecord> {
  const heads: Array<SourcedRecord | null> = await Promise.all(streams.map(async (s) => next(s)));
  try {
    for (;;) {
      let best = -1;
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i];
        if (h === null || h === undefined) continue;
        const b = best < 0 ? null : heads[best]!;
        if (b === null || h.ts < b.ts || (h.ts === b.ts && h.source < b.source)) best = i;
      }
      if (best < 0) return;
      const record = heads[best]!;
      heads[best] = await next(streams[best]!);
      yield record;
    }
  } finally {
    await Promise.all(streams.map(async (s) => s.return?.()));
  }
}

async function next(stream: AsyncIterator<SourcedRecord>): Promise<SourcedRecord | null> {
  const r = await stream.next();
  return r.done === true ? null : r.value;
}
