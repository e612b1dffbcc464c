import { EventEmitter } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Tick } from '@tickfeed/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSimulatorArgs } from '../src/options.js';
import { runOffline, startSimulator } from '../src/simulator.js';
import { attachTerminalKeys } from '../src/terminal-keys.js';
import { silentLogger } from '../src/logger.js';
import { StringSink } from './support/collect.js';
import { FakeIngestPort } from './support/fake-ingest-port.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sim-start-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const AMZN_SAMPLE = [
  'ts,price,size,bid,ask',
  '2012-06-21T13:30:00.017Z,223.82,1,223.18,223.95',
  '2012-06-21T13:30:00.190Z,223.81,21,223.81,223.95',
  '2012-06-21T13:30:00.190Z,223.795,26,223.75,223.95',
  '2012-06-21T13:30:00.372Z,oops,100,223.75,223.95',
  '2012-06-21T13:31:02.000Z,223.9,5,223.85,223.95',
].join('\n');

describe('startSimulator (replay) and the record file', () => {
  it('[S14] [S15] replays a CSV tape with its recorded ts and sub-penny prices, records what was accepted, and the recording replays identically', async () => {
    const tapeFile = join(dir, 'AMZN-sample.csv');
    await writeFile(tapeFile, AMZN_SAMPLE);
    const recordFile = join(dir, 'recorded.ndjson');
    const port = new FakeIngestPort();
    const sim = await startSimulator(parseSimulatorArgs(['--replay', tapeFile, '--speed', 'max', '--record', recordFile]), port, { terminal: null });
    await sim.ended;
    await sim.stop();
    const ticks = port.ticksOf('AMZN');
    expect(ticks.map((t) => [t.seq, new Date(t.ts).toISOString(), t.price])).toEqual([
      [1, '2012-06-21T13:30:00.017Z', 223.82],
      [2, '2012-06-21T13:30:00.190Z', 223.81],
      [3, '2012-06-21T13:30:00.190Z', 223.795],
      [4, '2012-06-21T13:31:02.000Z', 223.9],
    ]);
    expect(sim.stats().problems).toMatchObject({ 'malformed-row': 1 });
    expect(port.declares[0]).toEqual({
      symbols: [{ symbol: 'AMZN', name: 'Amazon.com Inc.', kind: 'equity', currency: 'USD', tickSize: 0.001, lotSize: 1, refPrice: 223.82 }],
      reset: true,
      reason: 'replay',
    });
    const recorded = (await readFile(recordFile, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Tick);
    expect(recorded).toEqual(ticks);

    const again = new FakeIngestPort();
    const replay = await startSimulator(parseSimulatorArgs(['--replay', recordFile, '--speed', 'max']), again, { terminal: null });
    await replay.ended;
    await replay.stop();
    expect(again.ticksOf('AMZN')).toEqual(ticks);
  });

  it('[S16] with --strict a bad row stops the replay before anything is declared or published, naming file and line', async () => {
    const tapeFile = join(dir, 'AMZN-strict.csv');
    await writeFile(tapeFile, AMZN_SAMPLE);
    const port = new FakeIngestPort();
    await expect(startSimulator(parseSimulatorArgs(['--replay', tapeFile, '--strict']), port, { terminal: null })).rejects.toThrow(
      `${tapeFile}:5: price 'oops' must be a number > 0`,
    );
    expect(port.declares).toEqual([]);
    expect(port.publishes).toEqual([]);
  });

  it('[S22] terminal keys: space pauses and resumes, + and - change the speed, r restarts, q interrupts', async () => {
    const input = Object.assign(new EventEmitter(), {
      isTTY: true,
      raw: false,
      setRawMode(mode: boolean) {
        this.raw = mode;
      },
      resume() {},
      pause() {},
    });
    const commands: unknown[] = [];
    let state: 'playing' | 'paused' = 'playing';
    let speed: number | 'max' = 60;
    let interrupted = 0;
    const detach = attachTerminalKeys(
      input,
      {
        firstTs: 123,
        status: () => ({ mode: 'replay', state, speed, clock: 0, loop: false, completions: 0, marker: null, source: '', controllable: true }),
        control: async (command) => {
          commands.push(command);
          if (command.action === 'pause') state = 'paused';
          if (command.action === 'resume') state = 'playing';
          if (command.action === 'speed') speed = command.speed;
          return { ok: true, status: {} as never };
        },
      },
      silentLogger,
      () => interrupted++,
    );
    expect(input.raw).toBe(true);
    input.emit('data', Buffer.from(' '));
    input.emit('data', Buffer.from(' +-r'));
    input.emit('data', 'q');
    input.emit('data', '\u0003');
    expect(commands).toEqual([
      { action: 'pause' },
      { action: 'resume' },
      { action: 'speed', speed: 120 },
      { action: 'speed', speed: 60 },
      { action: 'seek', to: 123 },
    ]);
    expect(interrupted).toBe(2);
    detach();
    expect(input.raw).toBe(false);
    expect(input.listenerCount('data')).toBe(0);
  });
});

describe('offline output', () => {
  it('[S13] --out writes NDJSON wire-format ticks; the same seed and start give the same bytes', async () => {
    const options = parseSimulatorArgs(['--out', '-', '--duration', '2m', '--symbols', 'AAPL,EUR-USD', '--seed', '5']);
    const a = new StringSink();
    const b = new StringSink();
    const count = await runOffline(options, a);
    await runOffline(options, b);
    expect(a.text).toBe(b.text);
    const lines = a.text.trim().split('\n');
    expect(lines).toHaveLength(count);
    const first = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(Object.keys(first)).toEqual(['symbol', 'seq', 'ts', 'price', 'size', 'bid', 'ask']);
    expect(first.ts as number).toBeGreaterThanOrEqual(Date.UTC(2024, 0, 1));
    const last = JSON.parse(lines.at(-1)!) as { ts: number };
    expect(last.ts).toBeLessThan(Date.UTC(2024, 0, 1) + 120_000);
  });
});
