import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** CPU time and memory of a process, read from /proc (Linux). */
export interface ProcSample {
  /** Wall clock of the sample, ms. */
  at: number;
  /** User + system CPU time consumed so far, seconds. */
  cpuSeconds: number;
  /** Resident set size, bytes. */
  rssBytes: number;
}

/** utime and stime (fields 14 and 15) of /proc/<pid>/stat, in clock ticks. */
export function parseProcStat(text: string): { utime: number; stime: number } {
  // The command name (field 2) may hold spaces and parentheses: split after the last ')'.
  const after = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // `after[0]` is field 3 (state), so field n is after[n - 3].
  const utime = Number(after[11]);
  const stime = Number(after[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error('unreadable /proc stat line');
  return { utime, stime };
}

/** VmRSS of /proc/<pid>/status, bytes. */
export function parseVmRss(text: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(text);
  if (!m?.[1]) throw new Error('no VmRSS in /proc status');
  return Number(m[1]) * 1024;
}

/** CPU% between two samples (100 = one core busy). */
export function cpuPercent(a: ProcSample, b: ProcSample): number {
  const wall = (b.at - a.at) / 1000;
  return wall > 0 ? ((b.cpuSeconds - a.cpuSeconds) / wall) * 100 : 0;
}

let ticksPerSecond: number | null = null;

function clockTicksPerSecond(): number {
  if (ticksPerSecond === null) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** Samples a live process; throws when it is gone. */
export function sampleProcess(pid: number, now: number): ProcSample {
  const stat = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  const rssBytes = parseVmRss(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { at: now, cpuSeconds: (stat.utime + stat.stime) / clockTicksPerSecond(), rssBytes };
}

/** Busy and total time of each core from /proc/stat, in clock ticks. */
export interface CoreTimes {
  /** Everything but idle and iowait. */
  busy: number;
  /** User, nice and system time: what processes are charged with (no interrupts, no steal). */
  task: number;
  total: number;
}

export function parseCoreTimes(text: string): CoreTimes[] {
  const cores: CoreTimes[] = [];
  for (const line of text.split('\n')) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!m?.[1] || m[2] === undefined) continue;
    // user nice system idle iowait irq softirq steal [guest guest_nice] (guest time is already in user)
    const f = m[2].trim().split(/\s+/).slice(0, 8).map(Number);
    const total = f.reduce((s, x) => s + x, 0);
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    const task = (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0);
    cores[Number(m[1])] = { busy: total - idle, task, total };
  }
  return cores;
}

export function sampleCores(): CoreTimes[] {
  return parseCoreTimes(readFileSync('/proc/stat', 'utf8'));
}

/** Busy % of each core between two samples. */
export function coreBusyPercent(a: CoreTimes[], b: CoreTimes[]): number[] {
  return b.map((end, i) => {
    const start = a[i];
    if (!start) return 0;
    const total = end.total - start.total;
    return total > 0 ? ((end.busy - start.busy) / total) * 100 : 0;
  });
}

/** Process time (user + nice + system) of all cores between two samples, % of one core. */
export function taskPercent(a: CoreTimes[], b: CoreTimes[]): number {
  let task = 0;
  let total = 0;
  b.forEach((end, i) => {
    const start = a[i];
    if (!start) return;
    task += end.task - start.task;
    total += end.total - start.total;
  });
  return total > 0 ? (task / total) * 100 * b.length : 0;
}
