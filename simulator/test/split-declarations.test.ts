import { describe, expect, it } from 'vitest';
import type { SymbolDeclaration } from '@tickfeed/protocol';
import { splitDeclarations } from '../src/socket-ingest-port.js';

function decl(i: number, name = `Company ${i}`): SymbolDeclaration {
  return { symbol: `S${i}`, name, kind: 'equity', currency: 'USD', tickSize: 0.01, refPrice: 100 };
}

const bytes = (chunk: SymbolDeclaration[]) => Buffer.byteLength(JSON.stringify(chunk));

describe('declares split to fit the payload limit', () => {
  it('[R44] runs keep the order, hold at most maxCount declarations and fit maxBytes, counting UTF-8 bytes', () => {
    const symbols = Array.from({ length: 1_000 }, (_, i) => decl(i, i % 7 === 0 ? 'é'.repeat(150) : `Company ${i}`));
    const chunks = splitDeclarations(symbols, 20_000, 150);
    expect(chunks.flat()).toEqual(symbols);
    for (const chunk of chunks) {
      expect(chunk.length).toBeGreaterThan(0);
      expect(chunk.length).toBeLessThanOrEqual(150);
      expect(bytes(chunk)).toBeLessThanOrEqual(20_000);
    }
    // Full runs: the next declaration would not have fitted.
    for (let i = 0; i < chunks.length - 1; i++) {
      const next = chunks[i + 1]![0]!;
      expect(chunks[i]!.length === 150 || bytes([...chunks[i]!, next]) > 20_000).toBe(true);
    }
  });

  it('[R44] a small declare stays one request; an empty one has no request', () => {
    expect(splitDeclarations([decl(1), decl(2)], 1_000_000, 10_000)).toEqual([[decl(1), decl(2)]]);
    expect(splitDeclarations([], 1_000_000, 10_000)).toEqual([]);
  });
});
