import { describe, expect, it } from 'vitest';
import { SequenceTracker } from '../src/sequence-tracker.js';

describe('sequence tracker', () => {
  it('[D5] applies ticks at seq = last + 1 and drops duplicates', () => {
    const tracker = new SequenceTracker();
    tracker.start('AAPL', 'e1', 10);
    expect([11, 12, 12, 11, 13].map((seq) => tracker.accept('AAPL', seq))).toEqual(['apply', 'apply', 'duplicate', 'duplicate', 'apply']);
    expect(tracker.get('AAPL')).toEqual({ epoch: 'e1', seq: 13, phase: 'live' });
    expect(tracker.counters).toMatchObject({ applied: 3, duplicates: 2, gaps: 0 });
  });

  it('[D5] a gap turns the symbol recovering: later ticks are dropped and the resume point stays at the last applied', () => {
    const tracker = new SequenceTracker();
    tracker.start('AAPL', 'e1', 10);
    expect(tracker.accept('AAPL', 11)).toBe('apply');
    expect(tracker.accept('AAPL', 14)).toBe('gap');
    expect(tracker.lastGapInfo()).toEqual({ symbol: 'AAPL', expected: 12, received: 14 });
    expect(tracker.accept('AAPL', 15)).toBe('ignored');
    expect(tracker.resumePoints(['AAPL'])).toEqual({ AAPL: { epoch: 'e1', seq: 11 } });
  });

  it('[D5] ticks of a symbol with a subscribe in flight are dropped; recovered resumes counting where it was', () => {
    const tracker = new SequenceTracker();
    tracker.start('MSFT', 'e1', 5);
    tracker.markPending('MSFT');
    expect(tracker.accept('MSFT', 6)).toBe('ignored');
    expect(tracker.resumePoints(['MSFT'])).toEqual({ MSFT: { epoch: 'e1', seq: 5 } });
    tracker.resumed('MSFT');
    expect(tracker.accept('MSFT', 6)).toBe('apply');
  });

  it('[D4] a symbol never acknowledged has no resume point; unknown symbols are ignored', () => {
    const tracker = new SequenceTracker();
    tracker.markPending('NEW');
    expect(tracker.resumePoints(['NEW', 'OTHER'])).toEqual({});
    expect(tracker.accept('OTHER', 1)).toBe('ignored');
  });

  it('[D7] start() at a new epoch replaces the position (reset or reload)', () => {
    const tracker = new SequenceTracker();
    tracker.start('BTC-USD', 'e1', 500);
    tracker.start('BTC-USD', 'e2', 0);
    expect(tracker.accept('BTC-USD', 501)).toBe('gap');
    tracker.start('BTC-USD', 'e2', 0);
    expect(tracker.accept('BTC-USD', 1)).toBe('apply');
    expect(tracker.resumePoints(['BTC-USD'])).toEqual({ 'BTC-USD': { epoch: 'e2', seq: 1 } });
  });
});
