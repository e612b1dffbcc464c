import { describe, expect, it } from 'vitest';
import { extractSimulatorArgs, parseDuration, parseSimulatorArgs } from '../src/options.js';

describe('command line', () => {
  it('[S10] live is the default mode, with defaults for every flag', () => {
    const o = parseSimulatorArgs([]);
    expect(o).toMatchObject({ mode: 'live', url: null, token: null, seed: 42, rate: null, symbols: null, record: null, replay: null, batchMs: 25 });
    expect(Object.isFrozen(o)).toBe(true);
  });

  it('[S10] live flags: --url --token --rate --symbols (list or count) --seed --universe --record, also as --flag=value', () => {
    const o = parseSimulatorArgs(['--url', 'http://h:3000', '--token=T', '--rate', '500', '--symbols', 'AAPL,BTC-USD', '--seed', '7', '--universe', 'u.json', '--record', 'r.ndjson']);
    expect(o).toMatchObject({ mode: 'live', url: 'http://h:3000', token: 'T', rate: 500, symbols: ['AAPL', 'BTC-USD'], seed: 7, universeFile: 'u.json', record: 'r.ndjson' });
    expect(parseSimulatorArgs(['--symbols', '500']).symbols).toBe(500);
    expect(parseSimulatorArgs([], { INGEST_TOKEN: 'from-env' }).token).toBe('from-env');
    expect(parseSimulatorArgs(['--token', 'flag'], { INGEST_TOKEN: 'env' }).token).toBe('flag');
  });

  it('[S10] offline: --out with --duration and --start', () => {
    const o = parseSimulatorArgs(['--out', 'ticks.ndjson', '--duration', '5d', '--start', '2024-03-01T00:00:00Z']);
    expect(o).toMatchObject({ mode: 'offline', out: 'ticks.ndjson', durationMs: 5 * 86_400_000, startMs: Date.UTC(2024, 2, 1) });
    expect(parseSimulatorArgs(['--out', '-']).durationMs).toBe(86_400_000);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('0s')).toBeNull();
    expect(parseDuration('5 days')).toBeNull();
  });

  it('[S10] replay: several files, --speed N|max, --loop, --from, --symbol, --strict', () => {
    const o = parseSimulatorArgs(['--replay', 'a.csv', 'b.ndjson', '--speed', 'max', '--loop', '--from', '2012-06-21T14:00:00Z', '--symbol', 'AMZN', '--strict']);
    expect(o.mode).toBe('replay');
    expect(o.replay).toEqual({ files: ['a.csv', 'b.ndjson'], speed: 'max', loop: true, fromMs: Date.UTC(2012, 5, 21, 14), symbol: 'AMZN', strict: true });
    expect(parseSimulatorArgs(['--replay', 'a.csv', '--speed', '60']).replay!.speed).toBe(60);
    expect(parseSimulatorArgs(['--replay', 'a.csv', '--from', '1340287200000']).replay!.fromMs).toBe(1340287200000);
  });

  it('[S10] a bad command line throws an error that names the flag', () => {
    const bad: Array<[string[], RegExp]> = [
      [['--bogus'], /unknown flag --bogus/],
      [['stray'], /unexpected argument 'stray'/],
      [['--seed'], /--seed needs a value/],
      [['--seed', '--rate', '5'], /--seed needs a value/],
      [['--seed', 'x'], /--seed must be an integer, got 'x'/],
      [['--rate', '-5'], /--rate must be a number of ticks per second > 0/],
      [['--symbols', 'aapl'], /--symbols must be a comma-separated list/],
      [['--symbols', '0'], /--symbols must be a list of symbols or a count/],
      [['--url', 'localhost:3000'], /--url must be an http\(s\) URL/],
      [['--speed', '2'], /--speed only applies with --replay/],
      [['--replay', 'a.csv', '--speed', 'fast'], /--speed must be a number in \(0, 1000000\] or 'max', got 'fast'/],
      [['--replay', 'a.csv', '--speed', '0'], /--speed must be/],
      [['--replay', 'a.csv', '--from', 'yesterday'], /--from must be an ISO-8601 time/],
      [['--replay', 'a.csv', '--seed', '1'], /--seed does not apply to --replay/],
      [['--replay', 'a.csv', '--out', 'x'], /--out cannot be combined with --replay/],
      [['--out', 'x', '--url', 'http://h'], /--url does not apply to --out/],
      [['--out', 'x', '--duration', 'forever'], /--duration must be a positive duration/],
      [['--duration', '1d'], /--duration only applies with --out/],
      [['--loop=yes', '--replay', 'a'], /--loop takes no value/],
      [['--seed', '1', '--seed', '2'], /--seed is given twice/],
    ];
    for (const [argv, message] of bad) expect(() => parseSimulatorArgs(argv), argv.join(' ')).toThrow(message);
  });

  it("[S10] a host sharing its command line gets the simulator's flags parsed and the rest untouched", () => {
    const { options, rest } = extractSimulatorArgs(['--port', '3000', '--replay', 'a.csv', '--speed', '60', '--no-simulator', '--host=0.0.0.0']);
    expect(options.replay).toMatchObject({ files: ['a.csv'], speed: 60 });
    expect(rest).toEqual(['--port', '3000', '--no-simulator', '--host=0.0.0.0']);
  });
});

describe('--book-depth', () => {
  it('[S45] --book-depth N sets the levels per side of the simulated books: default 10, 0 for no book, in [0, 100], and only for a simulation', () => {
    expect(parseSimulatorArgs([]).bookDepth).toBe(10);
    expect(parseSimulatorArgs(['--book-depth', '0']).bookDepth).toBe(0);
    expect(parseSimulatorArgs(['--out', '-', '--book-depth=25']).bookDepth).toBe(25);
    for (const bad of ['-1', '2.5', '101', 'ten']) {
      expect(() => parseSimulatorArgs(['--book-depth', bad])).toThrow(`--book-depth must be an integer in [0, 100], got '${bad}'`);
    }
    expect(() => parseSimulatorArgs(['--replay', 'a.csv', '--book-depth', '5'])).toThrow('--book-depth does not apply to --replay');
  });
});

describe('--always-open', () => {
  it('[S70] a live simulation follows market hours unless --always-open; replays and offline runs refuse it', () => {
    expect(parseSimulatorArgs([]).alwaysOpen).toBe(false);
    expect(parseSimulatorArgs(['--always-open']).alwaysOpen).toBe(true);
    expect(() => parseSimulatorArgs(['--replay', 'a.csv', '--always-open'])).toThrow('--always-open only applies to a live simulation');
    expect(() => parseSimulatorArgs(['--out', '-', '--always-open'])).toThrow('--always-open only applies to a live simulation');
  });
});
