/**
 * How long to wait before the next flush. Each flush writes one frame to
 * every client with pending ticks, so its cost grows with the number of
 * clients, not ticks: under load, waiting longer puts more ticks in each
 * frame and fewer frames on the wire. The wait is the last flush's duration
 * times `costRatio` (flushing takes at most 1 / (1 + costRatio) of the CPU),
 * kept between the minimum (latency when idle) and the maximum (the most a
 * tick may wait).
 */
export function nextFlushDelay(lastFlushMs: number, minMs: number, maxMs: number, costRatio = 1): number {
  return Math.min(maxMs, Math.max(minMs, lastFlushMs * costRatio));
}
