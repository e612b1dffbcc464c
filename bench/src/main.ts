import { CLIENT_CPU } from './rig.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { canRenice, pinSelf, stopAllProcesses } from './child-process.js';
import { runBench, saveResults } from './bench.js';
import { USAGE, UsageError, buildPlan, parseOptions } from './bench-options.js';
import { renderTable } from './bench-report.js';

/** `npm run bench -- [options]`: fan-out ladder, baseline, memory, ingest, capacity, scale-out. */
async function main(): Promise<number> {
  let options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  // The coordinator shares core 1 with the client side; core 0 is the server's.
  pinSelf(CLIENT_CPU);
  const restorePriority = options.nice !== 0 ? raisePriority(options.nice) : () => undefined;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping the bench's processes\n`);
      void stopAllProcesses().finally(() => process.exit(130));
    });
  }
  const plan = buildPlan(options);
  // Progress goes to stderr with --json so stdout stays machine-readable.
  const progress = options.json ? process.stderr : process.stdout;
  const log = (line: string) => progress.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  const results = await runBench(plan, log);
  const path = saveResults(results);
  if (options.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  else process.stdout.write(renderTable(results));
  progress.write(`results: ${path}\n`);
  restorePriority();
  return results.errors.length > 0 ? 1 : 0;
}

/**
 * Runs the bench (and the children it spawns, which inherit it) at niceness
 * `nice`. With autogroup scheduling (a CFS group per session), niceness only
 * counts inside the group, so the session's group gets the niceness too;
 * returns what restores the group's previous value.
 */
function raisePriority(nice: number): () => void {
  if (!canRenice(nice)) {
    process.stderr.write(`--nice ${nice} needs root: running at normal priority\n`);
    return () => undefined;
  }
  setPriority(nice);
  const path = '/proc/self/autogroup';
  try {
    const previous = /nice\s+(-?\d+)/.exec(readFileSync(path, 'utf8'))?.[1];
    writeFileSync(path, String(nice));
    return () => {
      try {
        if (previous !== undefined) writeFileSync(path, previous);
      } catch {
        // Nothing to restore on kernels without autogroups.
      }
    };
  } catch {
    return () => undefined;
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
