/**
 * The book suite's verdicts (B43, B44), pure: whether a rate step passed,
 * the highest rate that did, and whether the goal (≥ 20,000 book
 * updates/s in on one core) was met, missed or could not be judged.
 */
export const BOOK_GOAL_RATE = 20_000;
export const BOOK_MAX_P99_MS = 100;
/** Client side CPU (% of its core) at which a failure may be the load generator's rather than the server's. */
export const BOOK_CLIENT_SATURATED_PCT = 90;

export interface BookStepFacts {
  rate: number;
  p99Ms: number;
  /** Updates received in the window: none means nothing was measured. */
  updates: number;
  gaps: number;
  resets: number;
  checksumFailures: number;
  /** Client books that did not reach their symbol's final seq once the publisher stopped and the drain ended. */
  booksBehind: number;
  lostClients: number;
  publisherAborted: boolean;
  /** Updates the server refused, or publish requests that failed. */
  refused: number;
  clientSideCpuPct: number;
}

export interface BookStepVerdict {
  pass: boolean;
  reasons: string[];
}

export function bookStepVerdict(s: BookStepFacts, maxP99Ms = BOOK_MAX_P99_MS): BookStepVerdict {
  const reasons: string[] = [];
  if (s.updates === 0) reasons.push('no update received');
  if (!(s.p99Ms < maxP99Ms)) reasons.push(`p99 ${s.p99Ms.toFixed(0)} ms ≥ ${maxP99Ms} ms`);
  if (s.gaps > 0) reasons.push(`${s.gaps} gaps`);
  if (s.resets > 0) reasons.push(`${s.resets} book:reset`);
  if (s.checksumFailures > 0) reasons.push(`${s.checksumFailures} checksum failures`);
  if (s.booksBehind > 0) reasons.push(`${s.booksBehind} books behind after the drain`);
  if (s.lostClients > 0) reasons.push(`${s.lostClients} clients lost`);
  if (s.publisherAborted) reasons.push('publisher fell behind and gave up');
  if (s.refused > 0) reasons.push(`${s.refused} updates or requests refused`);
  return { pass: reasons.length === 0, reasons };
}

/** The highest rate whose step passed, or null. */
export function sustainedBookRate(steps: readonly { rate: number; verdict: BookStepVerdict }[]): number | null {
  const passed = steps.filter((s) => s.verdict.pass).map((s) => s.rate);
  return passed.length === 0 ? null : Math.max(...passed);
}

export type GoalStatus = 'met' | 'missed' | 'not judged';

export interface BookGoal {
  status: GoalStatus;
  why: string;
}

/**
 * Met: a step at ≥ 20,000 updates/s passed with the scenario on a
 * server pinned to one core. Missed: same conditions, and a step at or below
 * 20,000/s failed while the client side had CPU to spare (so the server's
 * limit, not the load generator's). Otherwise not judged, with why.
 */
export function bookGoal(input: { fullScenario: boolean; pinned: boolean; steps: readonly (BookStepFacts & { verdict: BookStepVerdict })[] }, goalRate = BOOK_GOAL_RATE): BookGoal {
  if (!input.fullScenario) return { status: 'not judged', why: 'reduced scenario (--quick or other sizes): the goal is for 1,000 clients × 2 books of 100 symbols' };
  if (!input.pinned) return { status: 'not judged', why: 'the server was not pinned to one core' };
  const sustained = sustainedBookRate(input.steps);
  if (sustained !== null && sustained >= goalRate) return { status: 'met', why: `${sustained.toLocaleString('en-US')} updates/s passed` };
  const serverLimited = input.steps.find((s) => !s.verdict.pass && s.rate <= goalRate && s.clientSideCpuPct < BOOK_CLIENT_SATURATED_PCT);
  if (serverLimited) return { status: 'missed', why: `${serverLimited.rate.toLocaleString('en-US')} updates/s failed (${serverLimited.verdict.reasons.join('; ')}) with the client side at ${serverLimited.clientSideCpuPct.toFixed(0)}%` };
  const saturated = input.steps.find((s) => !s.verdict.pass && s.rate <= goalRate);
  if (saturated) return { status: 'not judged', why: `${saturated.rate.toLocaleString('en-US')} updates/s failed with the client side saturated (${saturated.clientSideCpuPct.toFixed(0)}%): the load generator's limit, not the server's` };
  return { status: 'not judged', why: `no step reached ${goalRate.toLocaleString('en-US')} updates/s` };
}
