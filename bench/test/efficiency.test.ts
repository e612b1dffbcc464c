import { describe, expect, it } from 'vitest';
import { efficiencyOf, formatEfficiency } from '../src/efficiency.js';

const server = (cpuPct: number) => ({ label: 'feed', cpuPct, rssMb: 100, rssMaxMb: 100 });

describe('efficiency figures', () => {
  it('[B20] CPU per delivered tick and frames per second per core come from the server CPU share of the window', () => {
    // 40% of a core for 200,000 deliveries/s in 40,000 frames/s: 2 µs per delivery, 100,000 frames per core-second.
    const e = efficiencyOf({ deliveriesPerSec: 200_000, framesPerSec: 40_000, servers: [server(40)] });
    expect(e.cpuUsPerDelivery).toBeCloseTo(2, 9);
    expect(e.framesPerCoreSec).toBeCloseTo(100_000, 6);
    expect(formatEfficiency(e)).toBe('2.0 µs CPU/delivery, 100,000 frames/s per core');
    // Two servers (scale-out) add up.
    expect(efficiencyOf({ deliveriesPerSec: 100_000, framesPerSec: 10_000, servers: [server(30), server(20)] }).cpuUsPerDelivery).toBeCloseTo(5, 9);
  });

  it('[B20] a step without deliveries or without measurable server CPU has no figure, not a division by zero', () => {
    expect(efficiencyOf({ deliveriesPerSec: 0, framesPerSec: 0, servers: [server(10)] })).toEqual({ cpuUsPerDelivery: null, framesPerCoreSec: null });
    expect(efficiencyOf({ deliveriesPerSec: 1_000, framesPerSec: 1_000, servers: [server(0)] })).toEqual({ cpuUsPerDelivery: null, framesPerCoreSec: null });
    expect(formatEfficiency({ cpuUsPerDelivery: null, framesPerCoreSec: null })).toBe('- µs CPU/delivery, - frames/s per core');
  });
});
