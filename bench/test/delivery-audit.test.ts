import { describe, expect, it } from 'vitest';
import { DeliveryAudit } from '../src/delivery-audit.js';

describe('delivery audit', () => {
  it('[B2] accepts a run that continues the snapshot seq', () => {
    const t = new DeliveryAudit();
    t.expect('AAA');
    t.start('AAA', 10);
    expect([11, 12, 13].map((s) => t.observe('AAA', s))).toEqual(['ok', 'ok', 'ok']);
    expect(t.snapshot()).toEqual({ inOrder: 3, gaps: 0, missing: 0, duplicates: 0, unexpected: 0 });
  });

  it('[B2] counts a gap once, with the missing ticks, and follows the stream again', () => {
    const t = new DeliveryAudit();
    t.start('AAA', 0);
    expect(t.observe('AAA', 1)).toBe('ok');
    expect(t.observe('AAA', 5)).toBe('gap');
    expect(t.observe('AAA', 6)).toBe('ok');
    expect(t.snapshot()).toMatchObject({ gaps: 1, missing: 3, inOrder: 2 });
  });

  it('[B2] counts repeats and old ticks as duplicates', () => {
    const t = new DeliveryAudit();
    t.start('AAA', 4);
    t.observe('AAA', 5);
    expect(t.observe('AAA', 5)).toBe('duplicate');
    expect(t.observe('AAA', 3)).toBe('duplicate');
    expect(t.snapshot().duplicates).toBe(2);
  });

  it('[B2] holds ticks that precede the ack, drops those the snapshot covers, checks the rest', () => {
    const t = new DeliveryAudit();
    t.expect('AAA');
    expect(t.observe('AAA', 7)).toBe('pending');
    expect(t.observe('AAA', 8)).toBe('pending');
    t.start('AAA', 7);
    expect(t.snapshot()).toMatchObject({ inOrder: 1, gaps: 0, duplicates: 0 });
    expect(t.observe('AAA', 9)).toBe('ok');
  });

  it('[B2] flags ticks of symbols never subscribed; a reset restarts from its snapshot', () => {
    const t = new DeliveryAudit();
    expect(t.observe('ZZZ', 1)).toBe('unexpected');
    t.start('AAA', 50);
    t.start('AAA', 0); // reset: new epoch
    expect(t.observe('AAA', 1)).toBe('ok');
    t.resetCounts();
    expect(t.snapshot()).toEqual({ inOrder: 0, gaps: 0, missing: 0, duplicates: 0, unexpected: 0 });
    expect(t.subscribedSymbols).toEqual(['AAA']);
  });

  it('[F3] accepts snapshot.seq + 1, +1 each; reports a gap and a repeat once each', () => {
    const c = new DeliveryAudit();
    c.start('A', 10);
    for (const seq of [11, 12, 13]) c.observe('A', seq);
    expect(c.problemCount).toBe(0);
    expect(c.lastSeq('A')).toBe(13);
    c.observe('A', 16);
    c.observe('A', 17);
    c.observe('A', 17);
    c.observe('B', 1);
    expect(c.problemCount).toBe(3);
    expect(c.problems[0]).toMatch(/gap, expected #14, got #16/);
    expect(c.problems[1]).toMatch(/repeat or out of order/);
    expect(c.problems[2]).toMatch(/not subscribed/);
    expect(c.received).toBe(7);
  });
});
