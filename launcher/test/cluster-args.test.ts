import { describe, expect, it } from 'vitest';
import { ClusterArgsError, parseClusterArgs } from '../src/cluster-args.js';

const token = () => 'generated';

describe('npm run cluster command line', () => {
  it('defaults: ports 3001,3002, a local redis-server, the simulator, generated tokens', () => {
    expect(parseClusterArgs([], {}, token)).toEqual({
      ports: [3001, 3002],
      redisUrl: undefined,
      lbPort: undefined,
      simulator: true,
      simulatorArgs: [],
      ingestToken: 'generated',
      adminToken: 'generated',
      generatedTokens: true,
      logLevel: 'info',
      help: false,
    });
  });

  it('reads its own flags and the environment; everything else goes to the simulator as written', () => {
    const options = parseClusterArgs(
      ['--ports', '0,0', '--rate', '200', '--lb', '8080', '--redis-url', 'redis://h:6379', '--seed=7', '--', '--symbols', 'AAPL'],
      { INGEST_TOKEN: 'in', ADMIN_TOKEN: 'ad', LOG_LEVEL: 'debug' },
      token,
    );
    expect(options).toMatchObject({
      ports: [0, 0],
      lbPort: 8080,
      redisUrl: 'redis://h:6379',
      simulatorArgs: ['--rate', '200', '--seed=7', '--symbols', 'AAPL'],
      ingestToken: 'in',
      adminToken: 'ad',
      generatedTokens: false,
      logLevel: 'debug',
    });
    expect(parseClusterArgs(['--lb'], {}, token).lbPort).toBe(3000);
    expect(parseClusterArgs(['--lb', '--rate', '5'], {}, token)).toMatchObject({ lbPort: 3000, simulatorArgs: ['--rate', '5'] });
    expect(parseClusterArgs(['-h'], {}, token).help).toBe(true);
    expect(parseClusterArgs([], { REDIS_URL: 'redis://r:1' }, token).redisUrl).toBe('redis://r:1');
  });

  it('a bad flag is an error that names it', () => {
    const bad: Array<[string[], RegExp]> = [
      [['--ports', '3001'], /--ports needs two ports/],
      [['--ports'], /--ports needs two ports/],
      [['--ports', '1,99999'], /--ports needs a port from 0 to 65535, got '99999'/],
      [['--redis-url', 'http://x'], /--redis-url needs a redis:\/\/ URL/],
      [['--redis-url'], /--redis-url needs a redis:\/\/ URL/],
      [['--no-simulator', '--rate', '5'], /unknown argument --rate \(simulator options need the simulator/],
    ];
    for (const [argv, message] of bad) {
      expect(() => parseClusterArgs(argv, {}, token), argv.join(' ')).toThrow(ClusterArgsError);
      expect(() => parseClusterArgs(argv, {}, token), argv.join(' ')).toThrow(message);
    }
  });
});
