import { createWriteStream, type WriteStream } from 'node:fs';
import type { Tick } from '@tickfeed/protocol';

/**
 * Appends published ticks to an NDJSON file (--record), one wire-format tick
 * per line, in the order the server accepted them; `--replay FILE` plays it back.
 */
export class RecordWriter {
  private readonly stream: WriteStream;
  private failure: Error | null = null;

  constructor(readonly file: string) {
    this.stream = createWriteStream(file, { flags: 'a', encoding: 'utf8' });
    this.stream.on('error', (error) => {
      this.failure = error;
    });
  }

  /** Resolves once the file is open; rejects with a message naming it if it cannot be. */
  ready(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.failure !== null) reject(new Error(`--record ${this.file}: ${this.failure.message}`));
      else if (!this.stream.pending) resolve();
      else {
        this.stream.once('ready', () => resolve());
        this.stream.once('error', (error) => reject(new Error(`--record ${this.file}: ${error.message}`)));
      }
    });
  }

  write(ticks: readonly Tick[]): void {
    if (ticks.length === 0 || this.failure !== null) return;
    let text = '';
    for (const tick of ticks) text += `${JSON.stringify(tick)}\n`;
    this.stream.write(text);
  }

  close(): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.stream.closed || this.stream.destroyed) resolve();
      else this.stream.end(() => resolve());
    });
  }
}
