import { describe, expect, it } from 'vitest';
import { startHarness, T0, tape } from './support/replay-harness.js';

describe('replay runner', () => {
  it('[S18] paced replay keeps the recorded gaps divided by the speed; equal timestamps go out together', async () => {
    const h = await startHarness(tape('AMZN', [0, 1_000, 2_000, 2_000, 5_000]), { speed: 2 });
    expect(h.publishedTs()).toEqual([[0]]);
    await h.clock.advance(499);
    expect(h.publishedTs()).toHaveLength(1);
    await h.clock.advance(1);
    await h.clock.advance(500);
    await h.clock.advance(1_500);
    expect(h.publishedTs()).toEqual([[0], [1_000], [2_000, 2_000], [5_000]]);
    expect(h.publishedAt()).toEqual([0, 500, 1_000, 2_500]);
    expect(h.port.ticksOf('AMZN').map((t) => [t.seq, t.ts - T0])).toEqual([[1, 0], [2, 1_000], [3, 2_000], [4, 2_000], [5, 5_000]]);
    await h.stop();
  });

  it('[S18] [S19] pause stops publishing and freezes the clock; resume continues with the remaining gap; speed re-paces', async () => {
    const h = await startHarness(tape('AMZN', [0, 1_000, 3_000, 10_000]), { speed: 1 });
    await h.clock.advance(400);
    const paused = await h.port.control({ action: 'pause' });
    expect(paused).toMatchObject({ ok: true, status: { state: 'paused', clock: T0 + 400 } });
    await h.clock.advance(60_000);
    expect(h.publishedTs()).toEqual([[0]]);
    expect(h.runner.status()).toMatchObject({ state: 'paused', clock: T0 + 400 });
    await h.port.control({ action: 'resume' });
    await h.clock.advance(599);
    expect(h.publishedTs()).toHaveLength(1);
    await h.clock.advance(1);
    expect(h.publishedTs()).toEqual([[0], [1_000]]);
    const faster = await h.port.control({ action: 'speed', speed: 10 });
    expect(faster).toMatchObject({ ok: true, status: { speed: 10, state: 'playing' } });
    await h.clock.advance(200);
    expect(h.publishedTs()).toEqual([[0], [1_000], [3_000]]);
    await h.stop();
  });

  it("[S18] at speed 'max' the replay goes as fast as the server acks, and never further ahead than the publisher's queue", async () => {
    const offsets = Array.from({ length: 2_000 }, (_, i) => i * 1_000);
    const h = await startHarness(tape('AMZN', offsets), { speed: 'max', maxBatch: 100 });
    await h.runner.ended;
    await h.stop();
    expect(h.port.ticksOf('AMZN')).toHaveLength(2_000);
    expect(h.publishedAt().every((at) => at === 0)).toBe(true);

    const held = await startHarness(tape('AMZN', offsets), { speed: 'max', maxBatch: 100 }, (port) => port.hold('publish'));
    await held.clock.advance(0);
    // One batch at the server, at most maxQueued (2 × maxBatch) + one send's worth waiting.
    expect(held.runner.stats().records).toBeLessThanOrEqual(400);
    held.port.release();
    await held.runner.ended;
    expect(held.port.ticksOf('AMZN')).toHaveLength(2_000);
    await held.stop();
  });

  it('[S20] [S21] a seek declares a new epoch (reset, reason seek), seq starts again at 1, and the status carries the seeked marker', async () => {
    const h = await startHarness(tape('AMZN', [0, 1_000, 2_000, 3_000, 4_000]), { speed: 1 });
    await h.clock.advance(1_000);
    const reply = await h.port.control({ action: 'seek', to: T0 + 3_000 });
    expect(reply).toMatchObject({ ok: true, status: { marker: 'seeked', clock: T0 + 3_000, state: 'playing' } });
    expect(h.port.declares.map((d) => [d.reset, d.reason])).toEqual([[true, 'replay'], [true, 'seek']]);
    // Due at once, sent after the least gap between publishes (batchMs = 1).
    await h.clock.advance(1);
    expect(h.port.ticksOf('AMZN').map((t) => [t.seq, t.ts - T0])).toEqual([[1, 3_000]]);
    await h.clock.advance(999);
    expect(h.port.ticksOf('AMZN').map((t) => [t.seq, t.ts - T0])).toEqual([[1, 3_000], [2, 4_000]]);
    expect(h.port.statuses.filter((s) => s.marker === 'seeked')).toHaveLength(1);
    await h.stop();
  });

  it('[S20] [S21] --loop starts a new epoch at the end (reason loop, marker looped, completions + 1); without it the replay ends (marker completed) and a seek plays it again', async () => {
    const looping = await startHarness(tape('AMZN', [0, 10, 20]), { speed: 'max', loop: true });
    await looping.port.until(() => looping.port.statuses.filter((s) => s.marker === 'looped').length >= 2);
    expect(looping.port.declares.slice(0, 3).map((d) => d.reason)).toEqual(['replay', 'loop', 'loop']);
    expect(looping.port.statuses.find((s) => s.marker === 'looped')).toMatchObject({ completions: 1, loop: true, state: 'playing' });
    await looping.stop();
    const epochOf = looping.port.publishes.flatMap((p) => p.ticks.map((t) => t.seq));
    expect(epochOf.slice(0, 6)).toEqual([1, 2, 3, 1, 2, 3]);

    const once = await startHarness(tape('AMZN', [0, 10, 20]), { speed: 'max' });
    await once.runner.ended;
    const done = once.port.statuses.at(-1)!;
    expect(done).toMatchObject({ state: 'ended', marker: 'completed', completions: 1, clock: T0 + 20, mode: 'replay', controllable: true });
    expect(await once.port.control({ action: 'pause' })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await once.port.control({ action: 'seek', to: T0 })).toMatchObject({ ok: true, status: { state: 'playing', marker: 'seeked' } });
    await once.port.until(() => once.port.statuses.filter((s) => s.marker === 'completed').length === 2);
    expect(once.port.statuses.at(-1)).toMatchObject({ completions: 2, state: 'ended' });
    await once.stop();
  });

  it('[S21] the status is announced on each change and about once a second while playing, not while paused', async () => {
    const h = await startHarness(tape('AMZN', [0, 60_000]), { speed: 1 });
    const before = h.port.statuses.length;
    await h.clock.advance(3_000);
    const periodic = h.port.statuses.slice(before);
    expect(periodic.map((s) => s.clock! - T0)).toEqual([1_000, 2_000, 3_000]);
    expect(periodic.every((s) => s.marker === null && s.state === 'playing' && s.speed === 1 && s.source === 'replay of test tape')).toBe(true);
    await h.port.control({ action: 'pause' });
    const paused = h.port.statuses.length;
    await h.clock.advance(5_000);
    expect(h.port.statuses.length).toBe(paused);
    await h.stop();
  });

  it('[S21] after a reconnect the runner re-announces its status (the server forgot it)', async () => {
    const h = await startHarness(tape('AMZN', [0, 60_000]), { speed: 1 });
    await h.port.control({ action: 'pause' });
    const count = h.port.statuses.length;
    h.port.dropConnection();
    h.port.reconnect();
    await h.clock.advance(0);
    expect(h.port.statuses.length).toBe(count + 1);
    expect(h.port.statuses.at(-1)).toMatchObject({ state: 'paused' });
    await h.stop();
  });
});
