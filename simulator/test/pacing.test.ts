import { describe, expect, it } from 'vitest';
import { Pacer } from '../src/pacer.js';
import { decideControl, stepSpeed, type TransportState } from '../src/transport.js';

const T0 = Date.UTC(2012, 5, 21, 13, 30);
const W0 = 1_000_000;

describe('pacing', () => {
  it('[S18] a record is due at wallAnchor + (ts - tapeAnchor) / speed: recorded gaps divided by the speed', () => {
    const p = new Pacer(60);
    p.anchor(T0, W0);
    expect(p.dueAt(T0)).toBe(W0);
    expect(p.dueAt(T0 + 60_000)).toBe(W0 + 1_000);
    expect(p.dueAt(T0 + 90)).toBe(W0 + 1.5);
    expect(p.clockAt(W0 + 500)).toBe(T0 + 30_000);
    const slow = new Pacer(0.5);
    slow.anchor(T0, W0);
    expect(slow.dueAt(T0 + 1_000)).toBe(W0 + 2_000);
  });

  it('[S18] a speed change re-anchors at the current replay clock, so the clock never jumps', () => {
    const p = new Pacer(10);
    p.anchor(T0, W0);
    p.setSpeed(100, W0 + 1_000);
    expect(p.clockAt(W0 + 1_000)).toBe(T0 + 10_000);
    expect(p.clockAt(W0 + 2_000)).toBe(T0 + 110_000);
    expect(p.dueAt(T0 + 110_000)).toBe(W0 + 2_000);
  });

  it('[S18] pause freezes the clock and nothing is due; resume continues from the frozen clock', () => {
    const p = new Pacer(2);
    p.anchor(T0, W0);
    p.pause(W0 + 1_000);
    expect(p.isPaused).toBe(true);
    expect(p.clockAt(W0 + 50_000)).toBe(T0 + 2_000);
    expect(p.dueAt(T0 + 2_001)).toBe(Infinity);
    p.resume(W0 + 50_000);
    expect(p.clockAt(W0 + 50_000)).toBe(T0 + 2_000);
    expect(p.dueAt(T0 + 4_000)).toBe(W0 + 51_000);
  });

  it("[S18] at speed 'max' nothing waits; the clock is the last anchored (published) time", () => {
    const p = new Pacer('max');
    p.anchor(T0, W0);
    expect(p.dueAt(T0 + 3_600_000)).toBe(-Infinity);
    p.anchor(T0 + 5_000, W0 + 3);
    expect(p.clockAt(W0 + 1_000)).toBe(T0 + 5_000);
    p.setSpeed(1, W0 + 10);
    expect(p.dueAt(T0 + 6_000)).toBe(W0 + 1_010);
  });
});

describe('transport state machine', () => {
  const playing: TransportState = { state: 'playing', speed: 1, loop: false, completions: 0 };
  const range = { firstTs: 1_000, lastTs: 9_000 };

  it('[S19] pause, resume and speed move between states; pause and resume are idempotent', () => {
    const paused = decideControl(playing, { action: 'pause' }, range);
    expect(paused).toEqual({ ok: true, next: { ...playing, state: 'paused' }, effect: { kind: 'pause' } });
    expect(decideControl({ ...playing, state: 'paused' }, { action: 'pause' }, range)).toMatchObject({ ok: true, effect: { kind: 'none' } });
    expect(decideControl({ ...playing, state: 'paused' }, { action: 'resume' }, range)).toMatchObject({ ok: true, next: { state: 'playing' }, effect: { kind: 'resume' } });
    expect(decideControl(playing, { action: 'resume' }, range)).toMatchObject({ ok: true, effect: { kind: 'none' } });
    expect(decideControl(playing, { action: 'speed', speed: 'max' }, range)).toMatchObject({ ok: true, next: { speed: 'max', state: 'playing' } });
  });

  it('[S19] seek clamps to the tape and plays an ended replay again; a paused one stays paused', () => {
    expect(decideControl(playing, { action: 'seek', to: 5_000 }, range)).toMatchObject({ ok: true, effect: { kind: 'seek', to: 5_000 } });
    expect(decideControl(playing, { action: 'seek', to: 0 }, range)).toMatchObject({ effect: { kind: 'seek', to: 1_000 } });
    expect(decideControl(playing, { action: 'seek', to: 99_999 }, range)).toMatchObject({ effect: { kind: 'seek', to: 9_000 } });
    expect(decideControl({ ...playing, state: 'ended' }, { action: 'seek', to: 2_000 }, range)).toMatchObject({ next: { state: 'playing' } });
    expect(decideControl({ ...playing, state: 'paused' }, { action: 'seek', to: 2_000 }, range)).toMatchObject({ next: { state: 'paused' } });
  });

  it('[S19] invalid commands and pause/resume of an ended replay are errors with a code', () => {
    const ended = { ...playing, state: 'ended' as const };
    expect(decideControl(ended, { action: 'pause' }, range)).toEqual({ ok: false, error: { code: 'BAD_REQUEST', message: 'the replay has ended; seek to play it again' } });
    expect(decideControl(ended, { action: 'resume' }, range)).toMatchObject({ ok: false });
    expect(decideControl(playing, { action: 'speed', speed: 0 }, range)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(decideControl(playing, { action: 'speed', speed: 2_000_000 }, range)).toMatchObject({ ok: false });
    expect(decideControl(playing, { action: 'seek', to: Number.NaN }, range)).toMatchObject({ ok: false });
    expect(decideControl(playing, { action: 'rewind' } as never, range)).toMatchObject({ ok: false, error: { message: 'action must be one of pause, resume, speed, seek' } });
  });

  it('[S22] the + and - keys step through the speed ladder up to max and down to 0.25', () => {
    expect(stepSpeed(1, 1)).toBe(2);
    expect(stepSpeed(60, 1)).toBe(120);
    expect(stepSpeed(1_000, 1)).toBe('max');
    expect(stepSpeed('max', 1)).toBe('max');
    expect(stepSpeed('max', -1)).toBe(1_000);
    expect(stepSpeed(45, -1)).toBe(30);
    expect(stepSpeed(45, 1)).toBe(60);
    expect(stepSpeed(0.25, -1)).toBe(0.25);
  });
});
