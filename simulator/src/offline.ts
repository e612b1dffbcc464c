import type { Writable } from 'node:stream';
import { MarketModel } from './market-model.js';
import { Sequencer } from './sequencer.js';
import type { ModelTrade } from './symbol-model.js';
import type { Universe } from './universe.js';

export interface OfflineSettings {
  seed: number;
  /** Model start, epoch ms. */
  startMs: number;
  durationMs: number;
}

/**
 * Writes the ticks a run would publish, as NDJSON (one wire-format tick per
 * line, seq from 1 per symbol), for [startMs, startMs + durationMs), as fast
 * as the output takes them. Pure apart from the stream: the same universe,
 * seed and start give byte-identical output. Returns the number of ticks.
 */
export async function writeOffline(universe: Universe, settings: OfflineSettings, out: Writable): Promise<number> {
  const model = new MarketModel(universe, { seed: settings.seed, startMs: settings.startMs });
  const sequencer = new Sequencer();
  const endMs = settings.startMs + settings.durationMs;
  const chunk: ModelTrade[] = [];
  let count = 0;
  for (;;) {
    chunk.length = 0;
    model.takeUntil(endMs - 1, chunk, 4_096);
    if (chunk.length === 0) break;
    let text = '';
    for (const tick of sequencer.stamp(chunk)) text += `${JSON.stringify(tick)}\n`;
    count += chunk.length;
    if (!out.write(text)) await new Promise<void>((resolve, reject) => {
      const onDrain = () => {
        out.off('error', onError);
        resolve();
      };
      const onError = (error: Error) => {
        out.off('drain', onDrain);
        reject(error);
      };
      out.once('drain', onDrain);
      out.once('error', onError);
    });
  }
  return count;
}
