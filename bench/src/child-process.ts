import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, openSync } from 'node:fs';
import { cpus, getPriority } from 'node:os';
import { stopProcess } from '@tickfeed/dev-tools';
import { RpcClient, type Api, type ReadyMessage } from './ipc.js';

/**
 * Starting the bench's processes (B3): each one a separate `node`, pinned to
 * a core with taskset when the machine has at least two, talking to the
 * parent over IPC.
 */
export interface ChildSpec {
  /** Shown in errors. */
  name: string;
  /** Absolute path of the script (a bench/dist file). */
  script: string;
  args?: string[];
  env?: Record<string, string>;
  /** Core to pin to; ignored without taskset or with a single core. */
  cpu?: number;
  /** Scheduling niceness (negative: higher priority, needs root); 0 leaves it alone. */
  nice?: number;
  /** Extra node flags, e.g. --expose-gc. */
  nodeFlags?: string[];
  /** Append the child's stdout to this file (servers' logs are dropped by default). */
  stdoutFile?: string;
  /** Give up when the child is not ready within this, ms. Default 30,000. */
  readyTimeoutMs?: number;
}

export interface Child<A extends Api> {
  name: string;
  pid: number;
  process: ChildProcess;
  rpc: RpcClient<A>;
  /** What the child sent with its ready message. */
  info: Record<string, unknown>;
  /** Whether the child was pinned with taskset. */
  pinned: boolean;
  /** Asks the child to stop (SIGTERM), then SIGKILL after a grace period; resolves on exit. */
  stop(graceMs?: number): Promise<void>;
}

let tasksetAvailable: boolean | null = null;

/**
 * Processes this coordinator started and has not seen exit, so an interrupted
 * run (SIGINT) can stop them too; node children also exit on their own when
 * the IPC channel closes, redis-server would not.
 */
const running = new Set<() => Promise<void>>();

export function trackProcess(child: ChildProcess, stop: () => Promise<void>): void {
  running.add(stop);
  child.once('exit', () => running.delete(stop));
}

export async function stopAllProcesses(): Promise<void> {
  await Promise.allSettled([...running].map((stop) => stop()));
}

export function canPin(): boolean {
  if (tasksetAvailable === null) {
    tasksetAvailable = cpus().length >= 2 && ['/usr/bin/taskset', '/bin/taskset'].some((p) => existsSync(p));
  }
  return tasksetAvailable;
}

/** Pins the calling process (the bench's coordinator) to a core, when possible. */
export function pinSelf(cpu: number): boolean {
  if (!canPin()) return false;
  try {
    execFileSync('taskset', ['-pc', String(cpu), String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * The command line that runs `command` on core `cpu` (taskset) with niceness
 * `nice` (nice), when possible. Both exec the command, so the pid is the command's.
 */
export function placeCommand(command: string, args: string[], cpu?: number, nice = 0): { command: string; args: string[]; pinned: boolean } {
  let out = [command, ...args];
  const pinned = cpu !== undefined && canPin();
  if (pinned) out = ['taskset', '-c', String(cpu), ...out];
  // nice(1) is relative to our own niceness, which --nice may already have set.
  const delta = nice === 0 ? 0 : nice - getPriority();
  if (delta !== 0 && canRenice(delta)) out = ['nice', '-n', String(delta), ...out];
  return { command: out[0] as string, args: out.slice(1), pinned };
}

/** Raising priority (negative niceness) needs root. */
export function canRenice(nice: number): boolean {
  return nice >= 0 || process.getuid?.() === 0;
}

export function startChild<A extends Api>(spec: ChildSpec): Promise<Child<A>> {
  const placed = placeCommand(process.execPath, [...(spec.nodeFlags ?? []), spec.script, ...(spec.args ?? [])], spec.cpu, spec.nice);
  const pinned = placed.pinned;
  const child = spawn(placed.command, placed.args, {
    env: { ...process.env, ...spec.env },
    stdio: ['ignore', spec.stdoutFile ? openSync(spec.stdoutFile, 'a') : 'ignore', 'pipe', 'ipc'],
  });
  let stderrTail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-4000);
  });
  const rpc = new RpcClient<A>(child);

  const stop = async (graceMs = 10_000): Promise<void> => {
    await stopProcess(child, { graceMs });
  };
  trackProcess(child, stop);

  return new Promise<Child<A>>((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop(1000);
      reject(new Error(`${spec.name} not ready within ${spec.readyTimeoutMs ?? 30_000} ms\n${stderrTail}`));
    }, spec.readyTimeoutMs ?? 30_000);
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      reject(new Error(`${spec.name} exited before it was ready (${signal ?? code})\n${stderrTail}`));
    };
    child.once('exit', onExit);
    child.on('message', function onMessage(message: unknown) {
      const ready = message as Partial<ReadyMessage> | null;
      if (!ready || ready.kind !== 'ready') return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      clearTimeout(timer);
      resolve({
        name: spec.name,
        pid: child.pid ?? -1,
        process: child,
        rpc,
        info: ready.info ?? {},
        pinned,
        stop,
      });
    });
  });
}
