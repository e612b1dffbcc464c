import { efficiencyOf } from './efficiency.js';
import type { StepMeasurement } from './rig.js';
import { INTERFERENCE_PCT, fmtInt, type FanoutResult } from './suites.js';
import { DEFAULT_CRITERIA, type PassCriteria } from './verdict.js';

/**
 * Issue 13's delivery goals judged on one run, beside the naive Socket.IO
 * server measured in the same run (SPEC B31, B32). Pure: results in, table
 * rows out. A goal is `met` when its figure meets it; `missed` only when the
 * step that missed it was measured on a clean machine (client side not
 * saturated, other processes under INTERFERENCE_PCT), because a saturated
 * client side or a busy machine inflates latency and stops the publisher's
 * schedule without the server being at fault; otherwise it is `not judged`,
 * with why.
 */
export const GOALS = {
  /** p99 at the embedded default rate, ms. */
  defaultRateP99Ms: 10,
  /** The middle rate, ticks/s, its p99 goal and its CPU ratio to the naive server's. */
  midRate: 2_000,
  midP99Ms: 25,
  midCpuRatio: 0.8,
  /** The high rate, ticks/s, and its p99 goal. */
  highRate: 5_000,
  highP99Ms: 50,
  /** The highest rate passing B4 (p99 < 100 ms, no gap, publisher on schedule), ticks/s. */
  topRate: 10_000,
} as const;

/** The goal rates each fan-out measures before its ladder (besides the default rate). */
export const GOAL_RATES: readonly number[] = [GOALS.midRate, GOALS.highRate];

export type GoalVerdict = 'met' | 'missed' | 'not judged';

export interface GoalRow {
  goal: string;
  /** The feed server's figure. */
  feed: string;
  /** The naive server's figure in the same run. */
  naive: string;
  verdict: GoalVerdict;
  /** Why a goal was missed or not judged. */
  note: string;
}

/** Every measurement of a fan-out: the default rate, the goal rates, the ladder or the given rates. */
export function measurementsOf(r: FanoutResult | undefined): StepMeasurement[] {
  if (!r) return [];
  return [...(r.atDefaultRate ? [r.atDefaultRate] : []), ...(r.atGoalRates ?? []), ...r.steps];
}

/** The last measurement at exactly this rate (a retried step replaces its earlier attempts). */
export function stepAt(r: FanoutResult | undefined, rate: number): StepMeasurement | undefined {
  return measurementsOf(r).filter((m) => m.rate === rate).pop();
}

/** Why a step cannot speak against the server, or null when it was measured on a clean machine. */
export function disturbance(m: StepMeasurement): string | null {
  const why: string[] = [];
  if (m.clientSideSaturated) why.push(`client side saturated (${m.clientSideCpuPct.toFixed(0)}% of its core)`);
  if (m.othersCpuPct >= INTERFERENCE_PCT) why.push(`machine busy (other processes ${m.othersCpuPct.toFixed(0)}% CPU)`);
  return why.length > 0 ? why.join(', ') : null;
}

function lossOf(m: StepMeasurement, c: PassCriteria): string | null {
  const why: string[] = [];
  if (m.seq.gaps > 0) why.push(`${m.seq.gaps} gap(s)`);
  if (m.seq.duplicates > 0) why.push(`${m.seq.duplicates} duplicate(s)`);
  if (m.disconnects > 0) why.push(`${m.disconnects} disconnect(s)`);
  if (m.expected === 0 || m.delivered / m.expected < c.minDeliveredRatio) why.push(`delivered ${fmtInt(m.delivered)} of ${fmtInt(m.expected)}`);
  return why.length > 0 ? why.join(', ') : null;
}

function p99(m: StepMeasurement | undefined): string {
  return m ? `p99 ${m.latency.p99Ms.toFixed(1)} ms` : 'not measured';
}

function cpu(m: StepMeasurement | undefined): number | null {
  return m ? efficiencyOf(m).cpuUsPerDelivery : null;
}

function latencyGoal(goal: string, feed: StepMeasurement | undefined, naive: StepMeasurement | undefined, limitMs: number, c: PassCriteria): GoalRow {
  const row = { goal, feed: p99(feed), naive: p99(naive) };
  if (!feed) return { ...row, verdict: 'not judged', note: 'rate not measured' };
  const loss = lossOf(feed, c);
  const disturbed = disturbance(feed);
  if (loss === null && feed.latency.p99Ms <= limitMs) return { ...row, verdict: 'met', note: '' };
  const why = loss ?? `p99 ${feed.latency.p99Ms.toFixed(1)} ms > ${limitMs} ms`;
  return disturbed === null ? { ...row, verdict: 'missed', note: why } : { ...row, verdict: 'not judged', note: `${why}, but ${disturbed}` };
}

/** One feed window and one naive window at the goal rate, seconds apart (SPEC B46). */
export interface CpuPair {
  feedFirst: boolean;
  feed: StepMeasurement;
  naive: StepMeasurement;
  /** Feed µs per delivery over naive's; null when a window has no CPU figure or lost deliveries. */
  ratio: number | null;
  /** Why the pair cannot speak (a window disturbed, deliveries incomplete), or null. */
  disturbed: string | null;
}

export function cpuPairOf(feed: StepMeasurement, naive: StepMeasurement, feedFirst: boolean, c: PassCriteria = DEFAULT_CRITERIA): CpuPair {
  const f = cpu(feed);
  const n = cpu(naive);
  const loss = lossOf(feed, c) ?? lossOf(naive, c);
  const ratio = f === null || n === null || loss !== null ? null : f / n;
  const disturbed = loss !== null ? `deliveries incomplete (${loss})` : (disturbance(feed) ?? disturbance(naive));
  return { feedFirst, feed, naive, ratio, disturbed };
}

/** The pairs that can speak: a ratio, nothing disturbed. */
function counted(pairs: readonly CpuPair[]): CpuPair[] {
  return pairs.filter((p) => p.ratio !== null && p.disturbed === null);
}

/** The median ratio of the pairs that can speak; null when none can. */
export function medianRatio(pairs: readonly CpuPair[]): number | null {
  return median(counted(pairs).map((p) => p.ratio as number));
}

function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

const cpuGoalName = `${fmtInt(GOALS.midRate)}/s: server CPU per delivered tick ≤ ${GOALS.midCpuRatio}× naive's`;
const fmtUs = (x: number | null) => (x === null ? 'not measured' : `${x.toFixed(1)} µs/delivery`);

function cpuGoal(feed: StepMeasurement | undefined, naive: StepMeasurement | undefined, c: PassCriteria): GoalRow {
  const f = cpu(feed);
  const n = cpu(naive);
  const row = { goal: cpuGoalName, feed: fmtUs(f), naive: fmtUs(n) };
  if (!feed || !naive || f === null || n === null) return { ...row, verdict: 'not judged', note: 'a server has no CPU figure at this rate' };
  // Lost deliveries would shrink the denominator.
  const loss = lossOf(feed, c) ?? lossOf(naive, c);
  if (loss !== null) return { ...row, verdict: 'not judged', note: `deliveries incomplete (${loss})` };
  const ratio = f / n;
  const note = `${ratio.toFixed(2)}× naive's`;
  const shown = { ...row, feed: `${row.feed} (${note})` };
  if (ratio <= GOALS.midCpuRatio) return { ...shown, verdict: 'met', note: '' };
  // The two servers ran at different times: a busy machine can tilt the ratio through cache and scheduler churn.
  const disturbed = disturbance(feed) ?? disturbance(naive);
  return disturbed === null ? { ...shown, verdict: 'missed', note } : { ...shown, verdict: 'not judged', note: `${note}, but ${disturbed}` };
}

/**
 * The CPU goal from interleaved pairs (B46): the median of the clean pairs'
 * ratios, each server's figure the median of its windows in those pairs.
 */
function cpuGoalFromPairs(pairs: readonly CpuPair[]): GoalRow {
  const clean = counted(pairs);
  const ratios = pairs.map((p) => (p.ratio === null ? '-' : p.ratio.toFixed(2))).join(', ');
  const ratio = medianRatio(pairs);
  const row = {
    goal: cpuGoalName,
    feed: fmtUs(median(clean.map((p) => cpu(p.feed) as number))),
    naive: fmtUs(median(clean.map((p) => cpu(p.naive) as number))),
  };
  const of = `${clean.length} of ${pairs.length} interleaved pairs (${ratios})`;
  if (ratio === null) {
    const why = pairs.find((p) => p.disturbed !== null)?.disturbed ?? 'no CPU figure';
    return { ...row, verdict: 'not judged', note: `no clean pair of ${pairs.length}: ${why}` };
  }
  const shown = { ...row, feed: `${row.feed} (median ${ratio.toFixed(2)}× naive's over ${of})` };
  return ratio <= GOALS.midCpuRatio ? { ...shown, verdict: 'met', note: '' } : { ...shown, verdict: 'missed', note: `median ${ratio.toFixed(2)}× naive's` };
}

function topRateGoal(feed: FanoutResult | undefined, naive: FanoutResult | undefined): GoalRow {
  const fmt = (r: FanoutResult | undefined) => (!r ? 'not measured' : r.sustained === null ? 'none passed' : `${fmtInt(r.sustained)} ticks/s`);
  const row = { goal: `highest rate with p99 < 100 ms, no gap, publisher on schedule ≥ ${fmtInt(GOALS.topRate)} ticks/s`, feed: fmt(feed), naive: fmt(naive) };
  if (!feed) return { ...row, verdict: 'not judged', note: 'fan-out not measured' };
  if (feed.sustained !== null && feed.sustained >= GOALS.topRate) return { ...row, verdict: 'met', note: '' };
  const failed = feed.lowestFail === null ? undefined : stepAt(feed, feed.lowestFail);
  if (!failed) return { ...row, verdict: 'not judged', note: 'no failing rate was measured above the sustained one' };
  const why = `fails at ${fmtInt(failed.rate)}/s: ${failed.verdict.reasons.join('; ')}`;
  const disturbed = disturbance(failed);
  return disturbed === null ? { ...row, verdict: 'missed', note: why } : { ...row, verdict: 'not judged', note: `${why}, but ${disturbed}` };
}

/**
 * With `pairs` (the cpu-pairs suite ran), the CPU goal is judged on them; without,
 * on the goal-rate steps of the two fan-outs, measured minutes apart.
 */
export function judgeGoals(
  feed: FanoutResult | undefined,
  naive: FanoutResult | undefined,
  criteria: PassCriteria = DEFAULT_CRITERIA,
  pairs?: readonly CpuPair[],
): GoalRow[] {
  const defaultRate = feed?.atDefaultRate?.rate;
  return [
    latencyGoal(
      `p99 ≤ ${GOALS.defaultRateP99Ms} ms at the embedded default rate${defaultRate === undefined ? '' : ` (${fmtInt(defaultRate)} ticks/s)`}`,
      feed?.atDefaultRate,
      naive?.atDefaultRate,
      GOALS.defaultRateP99Ms,
      criteria,
    ),
    latencyGoal(`${fmtInt(GOALS.midRate)}/s: p99 ≤ ${GOALS.midP99Ms} ms`, stepAt(feed, GOALS.midRate), stepAt(naive, GOALS.midRate), GOALS.midP99Ms, criteria),
    pairs !== undefined && pairs.length > 0 ? cpuGoalFromPairs(pairs) : cpuGoal(stepAt(feed, GOALS.midRate), stepAt(naive, GOALS.midRate), criteria),
    latencyGoal(`${fmtInt(GOALS.highRate)}/s: p99 ≤ ${GOALS.highP99Ms} ms`, stepAt(feed, GOALS.highRate), stepAt(naive, GOALS.highRate), GOALS.highP99Ms, criteria),
    topRateGoal(feed, naive),
  ];
}

/** The goal table for people: goal, feed server, naive Socket.IO, verdict (with why). */
export function goalTableRows(rows: readonly GoalRow[]): string[][] {
  return [
    ['goal', 'feed server', 'naive Socket.IO', 'verdict'],
    ...rows.map((r) => [r.goal, r.feed, r.naive, r.note === '' ? r.verdict : `${r.verdict}: ${r.note}`]),
  ];
}
