import { readFile } from 'node:fs/promises';
import { DEFAULT_UNIVERSE } from './default-universe.js';
import { syntheticUniverse } from './synthetic-universe.js';
import { parseUniverse, selectSymbols, withAggregateRate, type Universe } from './universe.js';

export interface UniverseChoice {
  /** --universe FILE, or null for the default universe. */
  universeFile: string | null;
  /** --symbols: names to keep, a count of synthetic symbols, or null for all. */
  symbols: string[] | number | null;
  /** --rate: aggregate mean ticks per second, or null to keep the file's activities. */
  rate: number | null;
  seed: number;
}

/** The universe a run simulates: the file or default, narrowed or replaced by --symbols, scaled by --rate. */
export async function loadUniverse(choice: UniverseChoice): Promise<Universe> {
  let universe: Universe;
  if (typeof choice.symbols === 'number') {
    universe = syntheticUniverse(choice.symbols, choice.seed);
  } else {
    universe = choice.universeFile === null ? parseUniverse(DEFAULT_UNIVERSE, 'default universe') : await readUniverseFile(choice.universeFile);
    if (choice.symbols !== null) universe = selectSymbols(universe, choice.symbols);
  }
  return choice.rate === null ? universe : withAggregateRate(universe, choice.rate);
}

export async function readUniverseFile(file: string): Promise<Universe> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`--universe ${file}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`--universe ${file}: not valid JSON (${(error as Error).message})`);
  }
  return parseUniverse(json, file);
}
