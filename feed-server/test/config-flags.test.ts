import { describe, expect, it } from 'vitest';
import { ConfigError, parseServerConfig } from '../src/config.js';

const parse = (argv: string[]) => parseServerConfig({ env: {}, argv });

describe('command-line flags (node:util parseArgs)', () => {
  it('[R62] settings as --name value or --name=value (the last wins); everything else passes through untouched, in order', () => {
    const { config, unknownArgs } = parse(['--port', '5000', '--rate', '5', '--seed=7', 'AAPL', '--host=a', '--ephemeral', '-p', '--host', 'b']);
    expect(config).toMatchObject({ port: 5000, host: 'b', dataDir: undefined });
    expect(unknownArgs).toEqual(['--rate', '5', '--seed=7', 'AAPL', '-p']);
    // Flags are lower-case kebab names; --ephemeral takes no value.
    expect(parse(['--PORT', '5', '--ephemeral=true']).unknownArgs).toEqual(['--PORT', '5', '--ephemeral=true']);
    // After `--` nothing is a setting: it is all for the embedded simulator.
    expect(parse(['--', '--port', '7'])).toMatchObject({ config: { port: 3000 }, unknownArgs: ['--', '--port', '7'] });
  });

  it('[R62] a setting without a value names the flag; a bad value names the flag, not the variable', () => {
    expect(() => parse(['--port'])).toThrow(new ConfigError('--port needs a value'));
    expect(() => parse(['--port', '--host', 'x'])).toThrow(new ConfigError('--port needs a value'));
    expect(() => parse(['--max-tick-clock-skew-ms', '-5'])).toThrow(
      new ConfigError("--max-tick-clock-skew-ms must be an integer from 0 to 31536000000, got '-5'"),
    );
    expect(() => parse(['--ephemeral', '--data-dir', '/tmp/x'])).toThrow(/--ephemeral and --data-dir contradict each other/);
  });
});
