import { readCommandLine, runCommand, timestampedLog } from './command-line.js';
import { renderSoakReport } from './hardening/fuzz-soak-report.js';
import { runSoak } from './hardening/run-soak.js';

const USAGE = `npm run soak -- [--minutes N] [--clients C] [--rate R] [--json]

Runs the feed server as a child process with hundreds of clients churning
(connect, subscribe, unsubscribe, vanish) while a publisher runs at a high
rate and a few steady clients must lose nothing. Reports the server's RSS and
heap slopes after warm-up and its rooms, connections and handles before and
after the churn (SPEC.md).

  --minutes N        how long the churn runs (default 2; fractions allowed)
  --clients C        churning clients at once (default 300)
  --rate R           publisher's ticks per second (default 2000)
  --symbols S        symbols published (default 50)
  --seed S           seed of the clients' choices (default 1)
  --history-ticks H  server HISTORY_TICKS (default 1000, see the README)
  --candles C        server CANDLES_PER_INTERVAL (default 60, see the README)
  --warmup M         minutes left out of the slopes (default max(10 s, 25% of the run))
  --gc-every S       also sample right after a full GC forced every S seconds (exact retained
                     heap, but each forced GC stops the server for up to seconds; default off)
  --json             print the report (with every sample) as JSON
`;

async function main(): Promise<number> {
  const flags = readCommandLine(
    process.argv.slice(2),
    {
      numbers: { minutes: { min: 0.01 }, clients: { min: 1 }, rate: { min: 1 }, symbols: { min: 1 }, seed: { min: 0 }, 'history-ticks': { min: 1 }, candles: { min: 1 }, warmup: { min: 0 }, 'gc-every': { min: 1 } },
      strings: [],
      booleans: ['json', 'help'],
    },
    USAGE,
  );
  if (typeof flags === 'number') return flags;
  const json = flags.booleans.has('json');
  const progress = json ? process.stderr : process.stdout;
  const report = await runSoak({
    durationMs: Math.round((flags.numbers.get('minutes') ?? 2) * 60_000),
    clients: flags.numbers.get('clients') ?? 300,
    rate: flags.numbers.get('rate') ?? 2_000,
    symbols: flags.numbers.get('symbols'),
    seed: flags.numbers.get('seed'),
    historyTicks: flags.numbers.get('history-ticks'),
    candlesPerInterval: flags.numbers.get('candles'),
    gcIntervalMs: flags.numbers.has('gc-every') ? flags.numbers.get('gc-every')! * 1_000 : undefined,
    warmupMs: flags.numbers.has('warmup') ? flags.numbers.get('warmup')! * 60_000 : undefined,
    log: timestampedLog(progress),
  });
  process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : renderSoakReport(report));
  return report.passed ? 0 : 1;
}

runCommand('soak', main);
