import { randomInt } from 'node:crypto';
import { readCommandLine, runCommand, timestampedLog } from './command-line.js';
import { renderFuzzReport } from './hardening/fuzz-soak-report.js';
import { runFuzz } from './hardening/run-fuzz.js';

const USAGE = `npm run fuzz -- [--minutes N] [--seed S] [--url URL --ingest-token T [--admin-token A]] [--json]

Throws seeded hostile input at every Socket.IO event and REST route of a feed
server while a steady publisher and healthy consumers run, then checks that
the server is up, nothing was lost and the state is intact (SPEC.md). The
attacks on the per-address limits (F20-F22, F24) need the server's limits and
run against the in-process server only.

  --minutes N       how long the attackers run (default 1; fractions allowed)
  --seed S          seed of every random choice (default: random, printed)
  --url URL         attack a running server instead of an in-process one
  --ingest-token T  its INGEST_TOKEN (required with --url)
  --admin-token A   its ADMIN_TOKEN (default test-admin)
  --rate R          steady publisher's ticks per second (default 300)
  --rss-budget-mb M most the server's RSS may grow during the attack (default 350)
  --json            print the report as JSON
`;

async function main(): Promise<number> {
  const flags = readCommandLine(
    process.argv.slice(2),
    {
      numbers: { minutes: { min: 0.01 }, seed: { min: 0 }, rate: { min: 1 }, 'rss-budget-mb': { min: 1 } },
      strings: ['url', 'ingest-token', 'admin-token'],
      booleans: ['json', 'help'],
    },
    USAGE,
  );
  if (typeof flags === 'number') return flags;
  const seed = flags.numbers.get('seed') ?? randomInt(2 ** 31);
  const progress = flags.booleans.has('json') ? process.stderr : process.stdout;
  const report = await runFuzz({
    durationMs: Math.round((flags.numbers.get('minutes') ?? 1) * 60_000),
    seed,
    url: flags.strings.get('url'),
    ingestToken: flags.strings.get('ingest-token'),
    adminToken: flags.strings.get('admin-token'),
    rate: flags.numbers.get('rate'),
    rssBudgetMb: flags.numbers.get('rss-budget-mb'),
    log: timestampedLog(progress),
  });
  process.stdout.write(flags.booleans.has('json') ? `${JSON.stringify(report, null, 2)}\n` : renderFuzzReport(report));
  return report.passed ? 0 : 1;
}

runCommand('fuzz', main);
