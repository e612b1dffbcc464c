import { describe, expect, it } from 'vitest';
import { SeqTracker } from '../src/seq-tracker.js';

describe('seq tracker', () => {
  it('[B2] accepts a run that continues the snapshot seq', () => {
    const t = new SeqTracker();
    t.expect('AAA');
    t.start('AAA', 10);
    expect([11, 12, 13].map((s) => t.observe('AAA', s))).toEqual(['ok', 'ok', 'ok']);
    expect(t.snapshot()).toEqual({ inOrder: 3, gaps: 0, missing: 0, duplicates: 0, unexpected: 0 });
  });

  it('[B2] counts a gap once, with the missing ticks, and follows the stream again', () => {
    const t = new SeqTracker();
    t.start('AAA', 0);
    expect(t.observe('AAA', 1)).toBe('ok');
    expect(t.observe('AAA', 5)).toBe('gap');
    expect(t.observe('AAA', 6)).toBe('ok');
    expect(t.snapshot()).toMatchObject({ gaps: 1, missing: 3, inOrder: 2 });
  });

  it('[B2] counts repeats and old ticks as duplicates', () => {
    const t = new SeqTracker();
    t.start('AAA', 4);
    t.observe('AAA', 5);
    expect(t.observe('AAA', 5)).toBe('duplicate');
    expect(t.observe('AAA', 3)).toBe('duplicate');
    expect(t.snapshot().duplicates).toBe(2);
  });

  it('[B2] holds ticks that precede the ack, drops those the snapshot covers, checks the rest', () => {
    const t = new SeqTracker();
    t.expect('AAA');
    expect(t.observe('AAA', 7)).toBe('pending');
    expect(t.observe('AAA', 8)).toBe('pending');
    t.start('AAA', 7);
    expect(t.snapshot()).toMatchObject({ inOrder: 1, gaps: 0, duplicates: 0 });
    expect(t.observe('AAA', 9)).toBe('ok');
  });

  it('[B2] flags ticks of symbols never subscribed; a reset restarts from its snapshot', () => {
    const t = new SeqTracker();
    expect(t.observe('ZZZ', 1)).toBe('unexpected');
    t.start('AAA', 50);
    t.start('AAA', 0); // reset: new epoch
    expect(t.observe('AAA', 1)).toBe('ok');
    t.resetCounts();
    expect(t.snapshot()).toEqual({ inOrder: 0, gaps: 0, missing: 0, duplicates: 0, unexpected: 0 });
    expect(t.subscribedSymbols).toEqual(['AAA']);
  });
});
