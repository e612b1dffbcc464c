import { floor, type SoakReport } from './run-soak.js';
import type { FuzzReport } from './run-fuzz.js';

/** Plain-text summaries of the runs, for the CLIs. */

export function renderFuzzReport(r: FuzzReport): string {
  const lines: string[] = [];
  lines.push('', `fuzz ${r.passed ? 'PASSED' : 'FAILED'}: seed ${r.seed}, ${(r.durationMs / 1000).toFixed(0)} s, ${r.target}`, '');
  lines.push(`requests: ${fmt(r.requestTotal)} in all`);
  lines.push(...table(r.requests, 2));
  lines.push('', 'socket.io-client mutations:', ...table(r.mutations, 2));
  lines.push('', 'replies to ack-bearing requests (ok or error code):', ...table(r.replies, 2));
  lines.push('', 'raw frames, what followed:', ...table(r.rawOutcomes, 2));
  lines.push('', 'connections the server closed, by reason:', ...table(r.disconnects, 2));
  lines.push('', 'connections refused, by reason:', ...table(r.refusals, 2));
  lines.push('', 'REST answers by status:', ...table(r.restStatus, 2));
  if (r.floodRates.length > 0) {
    const sorted = [...r.floodRates].sort((a, b) => a - b);
    lines.push('', `flood bursts from one socket: ${sorted.length}, median ${fmt(sorted[Math.floor(sorted.length / 2)] ?? 0)} req/s, max ${fmt(sorted.at(-1) ?? 0)} req/s`);
  }
  if (Object.keys(r.notes).length > 0) lines.push('', 'notes:', ...table(r.notes, 2));
  const h = r.healthy;
  lines.push(
    '',
    `healthy: ${h.clients} clients, ${h.subscriptions} subscriptions, ${fmt(h.published)} ticks published, ${fmt(h.delivered)} delivered, ${h.problems.length} problems`,
    `state: snapshots ${r.state.snapshotsEqual}/${r.state.symbols} equal, candle series ${r.state.candleSeriesEqual}/${r.state.candleSeriesChecked}, recent ticks ${r.state.tickListsEqual}/${r.state.symbols}; ` +
      `feed_connections ${r.state.connectionsMetric}, feed_subscriptions ${r.state.subscriptionsMetric}, feed_rooms ${r.state.roomsMetric}; /healthz ${r.state.healthz}`,
    `memory: ${r.edge.memoryMeasure === 'rss' ? 'server RSS' : 'live heap + external (in-process server)'} ${r.edge.rssBaselineMb.toFixed(0)} MB before the attack, peak ${r.edge.rssPeakMb.toFixed(0)} MB (budget +${r.edge.rssBudgetMb} MB); ` +
      `feed status source ${r.edge.feedSourceBefore} → ${r.edge.feedSourceAfter}`,
    r.edge.limits === null
      ? 'edge: not attacked (the server\'s limits are known in-process only)'
      : `edge: MAX_CONNECTIONS_PER_IP ${r.edge.limits.connectionsPerIp}, MAX_PENDING_SESSIONS_PER_IP ${r.edge.limits.pendingPerIp}, CONNECT_TIMEOUT_MS ${r.edge.limits.connectTimeoutMs}, ` +
        `REST_RATE_LIMIT ${r.edge.limits.restPerMin}; after the run feed_address_connections ${r.edge.addressConnections}, feed_pending_sessions ${r.edge.pendingSessions}, ` +
        `fresh clients let in from ${r.edge.readmitted}/${r.edge.addressesChecked} attacker addresses`,
  );
  lines.push('', `violations: ${Object.values(r.violationCounts).reduce((a, b) => a + b, 0)}`, ...table(r.violationCounts, 2));
  for (const v of r.violations) lines.push(`  - [${v.kind}] ${v.detail}`);
  lines.push('');
  return lines.join('\n');
}

export function table(counts: Record<string, number>, indent: number): string[] {
  const entries = Object.entries(counts);
  if (entries.length === 0) return [`${' '.repeat(indent)}(none)`];
  const width = Math.min(70, Math.max(...entries.map(([k]) => k.length)));
  return entries.map(([k, n]) => `${' '.repeat(indent)}${k.slice(0, 70).padEnd(width)}  ${fmt(n)}`);
}

export function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function renderSoakReport(r: SoakReport): string {
  const mb = (b: number) => `${(b / 1_048_576).toFixed(1)} MB`;
  const slope = (b: number) => `${b >= 0 ? '+' : '-'}${(Math.abs(b) / 1_048_576).toFixed(2)} MB/min`;
  const row = (name: string, a: number, b: number) => `  ${name.padEnd(14)} ${fmt(a).padStart(8)} ${fmt(b).padStart(8)}`;
  const c = r.churn;
  const lines = [
    '',
    `soak ${r.passed ? 'PASSED' : 'FAILED'}: ${(r.durationMs / 60_000).toFixed(1)} min, ${r.clients} churning clients, ${fmt(r.rate)} ticks/s, seed ${r.seed}, server pid ${r.serverPid}`,
    `  server env: ${Object.entries(r.serverEnv).map(([k, v]) => `${k}=${v}`).join(' ')}`,
    '',
    `churn: ${fmt(c.connects)} connections (${c.connectsPerSec.toFixed(1)}/s), ${fmt(c.subscribes)} subscribes, ${fmt(c.unsubscribes)} unsubscribes, ${fmt(c.abandoned)} abandoned mid-subscribe, ` +
      `${c.connectFailures} connect failures, ${c.ackTimeouts} ack timeouts, ${fmt(c.tickFrames)} tick frames read`,
    `  left by: ${Object.entries(c.leaves).map(([k, n]) => `${k} ${fmt(n)}`).join(', ')}`,
    `  replies: ${Object.entries(c.replies).map(([k, n]) => `${k} ${fmt(n)}`).join(', ')}`,
    `  closed by the server first: ${Object.entries(c.serverCloses).map(([k, n]) => `${k} ${fmt(n)}`).join(', ') || 'none'}`,
    `published ${fmt(r.published)} ticks; steady: ${r.steady.clients} clients, ${r.steady.subscriptions} subscriptions, ${fmt(r.steady.delivered)} ticks delivered, ${r.steady.problems.length} problems`,
    ...r.steady.problems.slice(0, 10).map((p) => `  - ${p}`),
    '',
    `                  start      end   (peak during churn; start and end memory right after a full GC)`,
    `${row('connections', r.start.connections, r.end.connections)}   (${fmt(r.peak.connections)})`,
    `${row('rooms', r.start.rooms, r.end.rooms)}   (${fmt(r.peak.rooms)})`,
    row('subscriptions', r.start.subscriptions, r.end.subscriptions),
    `${row('handles', r.start.handles, r.end.handles)}   (${fmt(r.peak.handles)})`,
    row('resources', r.start.resources, r.end.resources),
    row('timers', r.start.timers, r.end.timers),
    `  ${'RSS'.padEnd(14)} ${mb(r.start.rssBytes).padStart(8)} ${mb(r.end.rssBytes).padStart(8)}   (${mb(r.peak.rssBytes)})`,
    `  ${'heap used'.padEnd(14)} ${mb(r.start.heapUsedBytes).padStart(8)} ${mb(r.end.heapUsedBytes).padStart(8)}   (${mb(r.peak.heapUsedBytes)})`,
    '',
    `slopes after warm-up (${r.slopes.windowS.toFixed(0)} s window): RSS ${slope(r.slopes.rssBytesPerMin)} (r² ${r.slopes.rssR2.toFixed(2)}), ` +
      `heap floor ${slope(r.slopes.heapBytesPerMin)} (r² ${r.slopes.heapR2.toFixed(2)}, lowest of each ${r.slopes.floorWindowS} s, ${r.slopes.floorPoints} points)`,
    `heap floor (lowest heap of each minute): ${heapByMinute(r)}`,
    `at the end of the churn: heap total ${mb(r.samples.at(-1)?.heapTotalBytes ?? 0)}, external ${mb(r.samples.at(-1)?.externalBytes ?? 0)} (start of the churn: ${mb(r.samples[0]?.heapTotalBytes ?? 0)}, ${mb(r.samples[0]?.externalBytes ?? 0)})`,
    `longest event-loop delay: server ${r.peak.serverLoopLagMs.toFixed(0)} ms, this client process ${r.peak.clientLoopLagMs.toFixed(0)} ms`,
    `resources by type, start: ${JSON.stringify(r.resourceTypes.start)}`,
    `resources by type, end:   ${JSON.stringify(r.resourceTypes.end)}`,
    `checks: ${Object.entries(r.checks).map(([k, ok]) => `${k} ${ok ? 'ok' : 'FAILED'}`).join(', ')}`,
    ...(r.serverProblems.length > 0 ? ['server warnings/stderr:', ...r.serverProblems.slice(-10).map((p) => `  ${p.slice(0, 200)}`)] : []),
    '',
  ];
  return lines.join('\n');
}

/** The lowest heap of each minute of the churn, to show whether it levels off. */
function heapByMinute(r: SoakReport): string {
  const out = floor(r.samples, 60).map((p) => `${Math.round(p.t / 60)} min ${(p.bytes / 1_048_576).toFixed(1)} MB`);
  out.push(`after the churn and a full GC ${(r.end.heapUsedBytes / 1_048_576).toFixed(1)} MB`);
  return out.join(', ');
}
