import { parseArgs } from 'node:util';

/**
 * The command lines of the bench's commands (`npm run bench`, `fuzz`, `soak`):
 * `--name value` or `--name=value`, read with node:util parseArgs; a bad flag
 * is a UsageError naming it.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Each flag's name (without --) and whether it takes a value. */
export type FlagKinds = Readonly<Record<string, 'string' | 'boolean'>>;

/**
 * The flags given, by name: the value of a string flag (the last one when
 * repeated), true for a boolean one. Only long flags; no positionals.
 */
export function readFlags(argv: readonly string[], kinds: FlagKinds): Map<string, string | true> {
  const options = Object.fromEntries(Object.entries(kinds).map(([name, type]) => [name, { type }]));
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const out = new Map<string, string | true>();
  for (const token of tokens) {
    if (token.kind !== 'option') throw new UsageError(`unexpected argument '${token.kind === 'positional' ? token.value : '--'}'`);
    const kind = Object.hasOwn(kinds, token.name) && token.rawName.startsWith('--') ? kinds[token.name] : undefined;
    if (kind === undefined) throw new UsageError(token.rawName.startsWith('--') ? `unknown flag ${token.rawName}` : `unexpected argument '${argv[token.index]}'`);
    if (kind === 'boolean') {
      if (token.value !== undefined) throw new UsageError(`${token.rawName} takes no value`);
      out.set(token.name, true);
      continue;
    }
    // parseArgs takes the next word even when it is another flag: that is a missing value here.
    if (token.value === undefined || (token.inlineValue === false && token.value.startsWith('--'))) throw new UsageError(`${token.rawName} needs a value`);
    out.set(token.name, token.value);
  }
  return out;
}

export interface FlagSpec {
  /** Flags that take a number, with the smallest allowed value. */
  numbers: Record<string, { min: number }>;
  /** Flags that take a string. */
  strings: readonly string[];
  /** Flags that take no value. */
  booleans: readonly string[];
}

export interface ParsedFlags {
  numbers: Map<string, number>;
  strings: Map<string, string>;
  booleans: Set<string>;
}

/** The flags of `npm run fuzz` and `npm run soak`, numbers checked against their minimum. */
export function parseFlags(argv: readonly string[], spec: FlagSpec): ParsedFlags {
  const kinds: Record<string, 'string' | 'boolean'> = {};
  for (const name of [...Object.keys(spec.numbers), ...spec.strings]) kinds[name] = 'string';
  for (const name of spec.booleans) kinds[name] = 'boolean';
  const out: ParsedFlags = { numbers: new Map(), strings: new Map(), booleans: new Set() };
  for (const [name, value] of readFlags(argv, kinds)) {
    if (value === true) out.booleans.add(name);
    else if (Object.hasOwn(spec.numbers, name)) {
      const n = Number(value);
      const min = spec.numbers[name]!.min;
      if (value.trim() === '' || !Number.isFinite(n) || n < min) throw new UsageError(`--${name} must be a number >= ${min}, got '${value}'`);
      out.numbers.set(name, n);
    } else out.strings.set(name, value);
  }
  return out;
}

/**
 * The flags of a command line, or the exit code once the usage has been
 * printed instead: 0 for --help, 2 for a bad flag (its message first).
 */
export function readCommandLine(argv: readonly string[], spec: FlagSpec, usage: string): ParsedFlags | number {
  let flags: ParsedFlags;
  try {
    flags = parseFlags(argv, spec);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${usage}`);
    return 2;
  }
  if (flags.booleans.has('help')) {
    process.stdout.write(usage);
    return 0;
  }
  return flags;
}

/** A progress logger writing timestamped lines (UTC time of day) to a stream. */
export function timestampedLog(stream: NodeJS.WritableStream): (line: string) => void {
  return (line) => stream.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

/** Runs a command's main and exits with its code; a crash prints its stack and exits 1. */
export function runCommand(name: string, main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
