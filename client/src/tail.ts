#!/usr/bin/env node
/*
 * `npm run tail -- AAPL BTC-USD [--url http://127.0.0.1:3000] [--token JWT]`: prints live
 * ticks, one per line, on stdout; connection changes and notices on stderr.
 * The simplest example of the API, built on the same FeedClient as the dashboard.
 */
import { describeConnection } from './connection-state.js';
import { FeedClient } from './feed-client.js';
import { formatTickLine, parseTailArgs } from './tail-args.js';

const args = parseTailArgs(process.argv.slice(2), undefined, process.env.TICKFEED_TOKEN);
if ('error' in args) {
  process.stderr.write(`${args.error}\n`);
  process.exit(2);
}

const client = new FeedClient({ url: args.url, ...(args.token !== undefined ? { token: args.token } : {}) });
const say = (line: string): void => void process.stderr.write(`# ${line}\n`);

client.on('state', (state) => say(describeConnection(state, Date.now())));
client.on('symbol', (event) => {
  const s = event.snapshot;
  say(`${event.symbol} ${event.cause} epoch ${event.epoch} at #${s.seq}: last ${s.last} (${s.change >= 0 ? '+' : ''}${s.changePct.toFixed(2)}%)`);
});
client.on('rejected', (rejected) => {
  for (const entry of rejected) say(`${entry.symbol} rejected: ${entry.code} ${entry.message}`);
  if (client.symbols.length === 0) shutdown(1);
});
client.on('notice', (notice) => say(`notice ${notice.code}: ${notice.message}`));
client.on('gap', (gap) => say(`${gap.symbol}: gap (expected #${gap.expected}, got #${gap.received}), resubscribing`));
client.on('error', (error) => say(`error ${error.code}: ${error.message}`));
client.on('ticks', (ticks) => {
  let out = '';
  for (const tick of ticks) out += `${formatTickLine(tick)}\n`;
  process.stdout.write(out);
});

void client.subscribe(args.symbols);
client.connect();

function shutdown(code: number): void {
  client.dispose();
  process.exit(code);
}
process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));
// A closed pipe (e.g. `| head`) ends the command quietly.
process.stdout.on('error', () => shutdown(0));
