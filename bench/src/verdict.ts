/**
 * When a rate counts as sustained (B4). Without the publisher's schedule
 * check a saturated server looks fast while it accepts fewer ticks, later.
 */
export interface PassCriteria {
  /** p99 tick-to-client latency must stay below this, ms. */
  maxP99Ms: number;
  /** The publisher's worst lag behind its schedule must stay below this, ms. */
  maxPublisherLagMs: number;
  /** Published ticks / target ticks must be at least this. */
  minPublishedRatio: number;
  /** Delivered ticks / expected deliveries must be at least this. */
  minDeliveredRatio: number;
}

export const DEFAULT_CRITERIA: PassCriteria = {
  maxP99Ms: 100,
  maxPublisherLagMs: 100,
  minPublishedRatio: 0.98,
  minDeliveredRatio: 0.98,
};

/** What a rate step produced, as far as the verdict is concerned. */
export interface StepEvidence {
  p99Ms: number;
  publisherMaxLagMs: number;
  published: number;
  target: number;
  delivered: number;
  expected: number;
  gaps: number;
  duplicates: number;
  /** Client connections lost during the step. */
  disconnects: number;
  /** Ticks the server refused (must be zero: the bench publishes valid ticks). */
  rejected: number;
}

export interface Verdict {
  pass: boolean;
  /** Why it failed, one short line per broken criterion; empty when it passed. */
  reasons: string[];
}

export function judgeStep(e: StepEvidence, c: PassCriteria = DEFAULT_CRITERIA): Verdict {
  const reasons: string[] = [];
  if (!(e.p99Ms < c.maxP99Ms)) reasons.push(`p99 ${fmt(e.p99Ms)} ms >= ${c.maxP99Ms} ms`);
  if (e.gaps > 0) reasons.push(`${e.gaps} seq gap(s)`);
  if (e.duplicates > 0) reasons.push(`${e.duplicates} duplicate tick(s)`);
  if (e.disconnects > 0) reasons.push(`${e.disconnects} client(s) disconnected`);
  if (e.rejected > 0) reasons.push(`${e.rejected} tick(s) rejected by the server`);
  if (!(e.publisherMaxLagMs < c.maxPublisherLagMs)) {
    reasons.push(`publisher lag ${fmt(e.publisherMaxLagMs)} ms >= ${c.maxPublisherLagMs} ms`);
  }
  const publishedRatio = e.target > 0 ? e.published / e.target : 1;
  if (publishedRatio < c.minPublishedRatio) {
    reasons.push(`published ${pct(publishedRatio)} of target < ${pct(c.minPublishedRatio)}`);
  }
  const deliveredRatio = e.expected > 0 ? e.delivered / e.expected : 1;
  if (deliveredRatio < c.minDeliveredRatio) {
    reasons.push(`delivered ${pct(deliveredRatio)} of expected < ${pct(c.minDeliveredRatio)}`);
  }
  if (e.expected === 0) reasons.push('no delivery was expected: the step measured nothing');
  return { pass: reasons.length === 0, reasons };
}

function fmt(n: number): string {
  return Number.isFinite(n) ? n.toFixed(1) : String(n);
}

function pct(r: number): string {
  return `${(r * 100).toFixed(1)}%`;
}
