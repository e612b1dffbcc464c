import { describe, expect, it } from 'vitest';
import { bookGoal, bookStepVerdict, sustainedBookRate, type BookStepFacts } from '../src/book-verdict.js';
import { bookAssignment } from '../src/book-suite.js';

const clean: BookStepFacts = {
  rate: 5_000,
  p99Ms: 40,
  updates: 100_000,
  gaps: 0,
  resets: 0,
  checksumFailures: 0,
  booksBehind: 0,
  lostClients: 0,
  publisherAborted: false,
  refused: 0,
  clientSideCpuPct: 50,
};

const step = (facts: Partial<BookStepFacts>) => {
  const f = { ...clean, ...facts };
  return { ...f, verdict: bookStepVerdict(f) };
};

describe('book suite verdicts', () => {
  it('[B43] a step passes only with p99 < 100 ms, updates received, and no gap, reset, checksum failure, book behind, lost client or refusal', () => {
    expect(bookStepVerdict(clean)).toEqual({ pass: true, reasons: [] });
    const failures: [Partial<BookStepFacts>, string][] = [
      [{ p99Ms: 100 }, 'p99 100 ms ≥ 100 ms'],
      [{ updates: 0 }, 'no update received'],
      [{ gaps: 1 }, '1 gaps'],
      [{ resets: 2 }, '2 book:reset'],
      [{ checksumFailures: 1 }, '1 checksum failures'],
      [{ booksBehind: 3 }, '3 books behind after the drain'],
      [{ lostClients: 1 }, '1 clients lost'],
      [{ publisherAborted: true }, 'publisher fell behind and gave up'],
      [{ refused: 4 }, '4 updates or requests refused'],
    ];
    for (const [facts, reason] of failures) expect(bookStepVerdict({ ...clean, ...facts })).toEqual({ pass: false, reasons: [reason] });
    expect(bookStepVerdict({ ...clean, p99Ms: Number.NaN }).pass).toBe(false);
  });

  it('[B43] the sustained rate is the highest rate that passed', () => {
    expect(sustainedBookRate([])).toBeNull();
    expect(sustainedBookRate([step({ rate: 2_500, gaps: 1 })])).toBeNull();
    expect(sustainedBookRate([step({ rate: 2_500 }), step({ rate: 5_000 }), step({ rate: 10_000, p99Ms: 150 })])).toBe(5_000);
  });

  it('[B44] the goal is met, missed or not judged', () => {
    const full = { fullScenario: true, pinned: true };
    expect(bookGoal({ ...full, steps: [step({ rate: 10_000 }), step({ rate: 20_000 })] }).status).toBe('met');
    // A failure at or below the goal with the client side not saturated is the server's: missed.
    expect(bookGoal({ ...full, steps: [step({ rate: 10_000 }), step({ rate: 20_000, p99Ms: 300 })] })).toMatchObject({ status: 'missed' });
    // The same failure with the client side saturated says nothing about the server.
    expect(bookGoal({ ...full, steps: [step({ rate: 20_000, p99Ms: 300, clientSideCpuPct: 95 })] })).toMatchObject({ status: 'not judged' });
    // A failure only above the goal, and the goal's rate never reached, judge nothing either way.
    expect(bookGoal({ ...full, steps: [step({ rate: 10_000 })] })).toMatchObject({ status: 'not judged', why: 'no step reached 20,000 updates/s' });
    // Reduced scenarios and unpinned servers are never judged, whatever they measured.
    expect(bookGoal({ fullScenario: false, pinned: true, steps: [step({ rate: 20_000 })] }).status).toBe('not judged');
    expect(bookGoal({ fullScenario: true, pinned: false, steps: [step({ rate: 20_000 })] }).status).toBe('not judged');
  });

  it('[B40] each client follows 2 books and every symbol has the same number of followers', () => {
    const symbols = Array.from({ length: 100 }, (_, i) => `S${i}`);
    const assignment = bookAssignment(1_000, 2, symbols);
    const followers = new Map<string, number>();
    for (const books of assignment) {
      expect(new Set(books).size).toBe(2);
      for (const s of books) followers.set(s, (followers.get(s) ?? 0) + 1);
    }
    expect(followers.size).toBe(100);
    expect(new Set(followers.values())).toEqual(new Set([20]));
  });
});
