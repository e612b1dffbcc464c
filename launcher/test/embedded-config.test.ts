import { describe, expect, it } from 'vitest';
import { parseSimulatorArgs } from '@tickfeed/simulator';
import { embeddedSimulatorArgs, parseEmbeddedConfig } from '../src/embedded-config.js';

describe('npm start: market hours of the embedded simulation', () => {
  it('[S72] a live run is open around the clock unless --market-hours; replays keep their own clock', () => {
    const live = parseEmbeddedConfig({}, ['--port', '0', '--rate', '50']);
    expect(live.simulatorArgs).toEqual(['--always-open', '--rate', '50']);
    expect(parseSimulatorArgs(live.simulatorArgs).alwaysOpen).toBe(true);
    const hours = parseEmbeddedConfig({}, ['--market-hours', '--symbols', 'AAPL']);
    expect(parseSimulatorArgs(hours.simulatorArgs).alwaysOpen).toBe(false);
    expect(embeddedSimulatorArgs(['--always-open'])).toEqual(['--always-open']);
    const replay = ['--replay', 'a.csv', '--speed', '60'];
    expect(embeddedSimulatorArgs(replay)).toEqual(replay);
    expect(embeddedSimulatorArgs(['--replay=a.csv'])).toEqual(['--replay=a.csv']);
    expect(() => embeddedSimulatorArgs(['--replay', 'a.csv', '--market-hours'])).toThrow('--market-hours only applies to a live simulation');
    expect(() => embeddedSimulatorArgs(['--market-hours', '--always-open'])).toThrow('--market-hours contradicts --always-open');
    expect(parseEmbeddedConfig({}, ['--no-simulator']).simulatorArgs).toEqual([]);
  });
});
