/** Flags of `npm run fuzz` and `npm run soak`: `--name value` or `--name=value`, numbers checked. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
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

export function parseFlags(argv: readonly string[], spec: FlagSpec): ParsedFlags {
  const out: ParsedFlags = { numbers: new Map(), strings: new Map(), booleans: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const match = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/.exec(arg);
    if (match === null) throw new UsageError(`unexpected argument '${arg}'`);
    const name = match[1]!;
    if (spec.booleans.includes(name)) {
      if (match[2] !== undefined) throw new UsageError(`--${name} takes no value`);
      out.booleans.add(name);
      continue;
    }
    const isNumber = Object.prototype.hasOwnProperty.call(spec.numbers, name);
    if (!isNumber && !spec.strings.includes(name)) throw new UsageError(`unknown flag --${name}`);
    let value = match[2];
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`--${name} needs a value`);
    }
    if (isNumber) {
      const n = Number(value);
      const min = spec.numbers[name]!.min;
      if (value.trim() === '' || !Number.isFinite(n) || n < min) throw new UsageError(`--${name} must be a number >= ${min}, got '${value}'`);
      out.numbers.set(name, n);
    } else {
      out.strings.set(name, value);
    }
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
