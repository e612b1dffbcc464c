import { describe, expect, it } from 'vitest';
import { coreBusyPercent, cpuPercent, parseCoreTimes, parseProcStat, parseVmRss, sampleProcess } from '../src/proc-stats.js';
import { parseInfo, parseReply } from '../src/redis-process.js';

describe('process figures', () => {
  it('[B6] reads utime and stime even when the command name holds spaces and parentheses', () => {
    const line = '4242 (node (bench) x) S 1 4242 4242 0 -1 4194560 9000 0 0 0 1234 567 0 0 20 0 11 0 100 1000000 5000 18446744073709551615';
    expect(parseProcStat(line)).toEqual({ utime: 1234, stime: 567 });
    expect(parseVmRss('Name:\tnode\nVmRSS:\t  123456 kB\nVmSwap:\t0 kB\n')).toBe(123456 * 1024);
  });

  it('[B6] CPU% is CPU seconds over wall seconds; core busy% leaves idle and iowait out', () => {
    expect(cpuPercent({ at: 0, cpuSeconds: 1, rssBytes: 0 }, { at: 2_000, cpuSeconds: 2.5, rssBytes: 0 })).toBeCloseTo(75, 10);
    const a = parseCoreTimes('cpu  1 1 1 1 1 1 1 1 0 0\ncpu0 100 0 50 800 50 0 0 0 0 0\ncpu1 0 0 0 1000 0 0 0 0 0 0\n');
    const b = parseCoreTimes('cpu  1 1 1 1 1 1 1 1 0 0\ncpu0 150 0 70 860 60 0 0 0 0 0\ncpu1 10 0 0 1090 0 0 0 0 0 0\n');
    expect(coreBusyPercent(a, b)).toEqual([50, 10]);
  });

  it('[B6] samples a live process', () => {
    const s = sampleProcess(process.pid, 1);
    expect(s.cpuSeconds).toBeGreaterThan(0);
    expect(s.rssBytes).toBeGreaterThan(1024 * 1024);
  });
});

describe('redis replies', () => {
  it('[B11] parses simple, error and bulk replies, and waits for incomplete ones', () => {
    expect(parseReply(Buffer.from('+PONG\r\n'))).toBe('PONG');
    expect(parseReply(Buffer.from('-ERR nope\r\n'))).toEqual(new Error('ERR nope'));
    expect(parseReply(Buffer.from('$5\r\nhel'))).toBeUndefined();
    expect(parseReply(Buffer.from('$5\r\nhello\r\n'))).toBe('hello');
    expect(parseInfo('# Stats\r\ntotal_commands_processed:42\r\ntotal_net_input_bytes:7\r\n')).toEqual({
      total_commands_processed: '42',
      total_net_input_bytes: '7',
    });
  });
});
