/*
 * Child processes for tests, the bench and the local cluster: spawn, wait
 * until a line of output says ready, stop with SIGTERM then SIGKILL. Ours,
 * on node:child_process alone: what we need is reading readiness from a
 * child's log lines (the feed server logs its URL after listening on port 0),
 * which process libraries such as execa leave to the caller anyway.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import type { Readable } from 'node:stream';

/** Whether the child has exited (or was killed) already. */
export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Resolves when the child exits (at once when it has already). */
export function exited(child: ChildProcess): Promise<ExitStatus> {
  if (hasExited(child)) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/**
 * Stops a child: `signal` (SIGTERM unless told), then SIGKILL when it is still
 * running after `graceMs`; resolves once it exited. A child that already
 * exited resolves at once.
 */
export async function stopProcess(child: ChildProcess, options: { graceMs?: number; signal?: NodeJS.Signals } = {}): Promise<ExitStatus> {
  if (hasExited(child)) return { code: child.exitCode, signal: child.signalCode };
  const done = exited(child);
  child.kill(options.signal ?? 'SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), options.graceMs ?? 10_000);
  try {
    return await done;
  } finally {
    clearTimeout(timer);
  }
}

/** Calls `onLine` with each line `stream` writes (without the newline); the last partial line on end. */
export function eachLine(stream: Readable, onLine: (line: string) => void): void {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      onLine(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
    }
  });
  stream.once('end', () => {
    if (buffered !== '') onLine(buffered);
    buffered = '';
  });
}

export interface SpawnReadyOptions<T> {
  /** Shown in errors. */
  name: string;
  command: string;
  args?: readonly string[];
  /** Passed to spawn (stdio is always ['ignore', 'pipe', 'pipe']). */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** What marks the child ready in one line of its stdout or stderr; undefined while it is not. */
  isReady: (line: string, stream: 'stdout' | 'stderr') => T | undefined;
  /** Every line of its output, ready or not (to show or keep it). */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Give up (and SIGKILL it) when not ready within this, ms; default none. */
  timeoutMs?: number;
}

export interface SpawnedChild<T> {
  child: ChildProcess;
  /** What `isReady` found; rejects when the child fails to start, exits or times out first. */
  ready: Promise<T>;
}

const TAIL_CHARS = 2_000;

/**
 * Spawns a process and watches its output line by line until `isReady` finds
 * what marks it ready. The child is returned at once (so a stop during startup
 * reaches it); errors name the process and end with the tail of its output.
 */
export function spawnReady<T>(options: SpawnReadyOptions<T>): SpawnedChild<T> {
  const spawnOptions: SpawnOptions = { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env };
  if (options.cwd !== undefined) spawnOptions.cwd = options.cwd;
  const child = spawn(options.command, [...(options.args ?? [])], spawnOptions);
  let tail = '';
  const ready = new Promise<T>((resolve, reject) => {
    let settled = false;
    const settle = (error: Error | undefined, value?: T) => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      if (error !== undefined) reject(error);
      else resolve(value as T);
    };
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            child.kill('SIGKILL');
            settle(new Error(`${options.name} not ready within ${options.timeoutMs} ms\n${tail}`));
          }, options.timeoutMs);
    for (const stream of ['stdout', 'stderr'] as const) {
      const readable = child[stream];
      if (readable === null) continue;
      eachLine(readable, (line) => {
        tail = (tail + line + '\n').slice(-TAIL_CHARS);
        options.onLine?.(line, stream);
        if (settled) return;
        const found = options.isReady(line, stream);
        if (found !== undefined) settle(undefined, found);
      });
    }
    child.once('error', (error) => settle(new Error(`${options.name}: ${error.message}`)));
    child.once('exit', (code, signal) => settle(new Error(`${options.name} exited (${code ?? signal}) before it was ready\n${tail}`)));
  });
  // A caller that only stops the child need not handle a failed start.
  ready.catch(() => undefined);
  return { child, ready };
}

/**
 * The URL in the feed server's "feed server listening" log line (pino JSON),
 * or undefined for any other line: how a parent learns the port a feed server
 * started with PORT=0 got.
 */
export function feedServerUrl(line: string): string | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const entry = JSON.parse(line) as { msg?: unknown; url?: unknown };
    return entry.msg === 'feed server listening' && typeof entry.url === 'string' ? entry.url : undefined;
  } catch {
    return undefined;
  }
}
