import { Histogram, summarizeMicros } from './histogram.js';
import type { LoadGenReport } from './load-gen.js';
import { addCounts, emptyCounts, type SeqCounts } from './delivery-audit.js';
import type { GroupFigures } from './rig.js';

/**
 * The reports of a step's load generator processes added up (SPEC B30):
 * `--load-gens N` spreads the clients over N processes, and the step is
 * judged on their sum. Pure, so the summing is tested without processes.
 */
export interface GroupReport {
  label: string;
  /** Label of the server the group's clients are connected to. */
  server: string;
  report: LoadGenReport;
}

export interface CombinedReports {
  groups: GroupFigures[];
  expected: number;
  delivered: number;
  frames: number;
  bytes: number;
  ticksReceived: number;
  /** Every group's latency histogram merged (percentiles of the union, not averages of percentiles). */
  latency: Histogram;
  seq: SeqCounts;
  disconnects: number;
  notices: Record<string, number>;
  resets: number;
  malformed: number;
}

/**
 * Adds the groups up. `inWindow` is the publisher's count of ticks stamped
 * in the window per symbol: each group expects each of them once per its own
 * acknowledged subscriber, so the expectation is summed per group too.
 */
export function combineReports(reports: readonly GroupReport[], inWindow: Readonly<Record<string, number>>, windowSec: number): CombinedReports {
  const latency = new Histogram();
  const notices: Record<string, number> = {};
  let seq = emptyCounts();
  const out: Omit<CombinedReports, 'groups' | 'latency' | 'seq' | 'notices'> = {
    expected: 0, delivered: 0, frames: 0, bytes: 0, ticksReceived: 0, disconnects: 0, resets: 0, malformed: 0,
  };
  const groups = reports.map(({ label, server, report: r }) => {
    const expected = expectedDeliveries(r.subscriberCounts, inWindow);
    latency.merge(r.latency);
    seq = addCounts(seq, r.seq);
    for (const [code, n] of Object.entries(r.notices)) notices[code] = (notices[code] ?? 0) + n;
    out.expected += expected;
    out.delivered += r.delivered;
    out.frames += r.frames;
    out.bytes += r.bytes;
    out.ticksReceived += r.ticksReceived;
    out.disconnects += r.disconnects;
    out.resets += r.resets;
    out.malformed += r.malformed;
    const g: GroupFigures = {
      label,
      server,
      clients: r.clients,
      connected: r.connected,
      expected,
      delivered: r.delivered,
      deliveriesPerSec: r.delivered / windowSec,
      framesPerSec: r.frames / windowSec,
      latency: summarizeMicros(Histogram.fromJSON(r.latency)),
      seq: r.seq,
      disconnects: r.disconnects,
      notices: r.notices,
    };
    return g;
  });
  return { ...out, groups, latency, seq, notices };
}

/** Σ over symbols of (ticks stamped in the window × this group's subscribers of it). */
export function expectedDeliveries(subscriberCounts: Readonly<Record<string, number>>, inWindow: Readonly<Record<string, number>>): number {
  return Object.entries(inWindow).reduce((sum, [symbol, n]) => sum + n * (subscriberCounts[symbol] ?? 0), 0);
}
