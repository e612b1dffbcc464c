import type { ControlReply, FeedControl, FeedStatus } from '@tickfeed/protocol';
import type { Logger } from './logger.js';
import { stepSpeed } from './transport.js';

/** The part of a TTY input stream the key handler needs (process.stdin fits). */
export interface KeyInput {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
  on(event: 'data', listener: (data: Buffer | string) => void): unknown;
  off(event: 'data', listener: (data: Buffer | string) => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

export interface KeyTarget {
  status(): FeedStatus;
  control(command: FeedControl): Promise<ControlReply>;
  /** The replay's first recorded time, for 'r' (restart). */
  readonly firstTs: number;
}

/**
 * Terminal transport keys for a replay: space pauses or resumes, + and -
 * step the speed (0.25 … 1000, max), r seeks to the start, q or Ctrl-C sends
 * SIGINT to the process (raw mode swallows it otherwise). Returns a function
 * that restores the terminal.
 */
export function attachTerminalKeys(input: KeyInput, target: KeyTarget, logger: Logger, interrupt: () => void): () => void {
  if (input.isTTY !== true || input.setRawMode === undefined) return () => {};
  const report = (reply: ControlReply) => {
    if (!reply.ok) logger.warn({ code: reply.error.code }, reply.error.message);
  };
  const onData = (data: Buffer | string) => {
    for (const key of data.toString()) {
      const status = target.status();
      if (key === ' ') {
        void target.control({ action: status.state === 'paused' ? 'resume' : 'pause' }).then(report);
      } else if (key === '+' || key === '=') {
        void target.control({ action: 'speed', speed: stepSpeed(status.speed, 1) }).then(report);
      } else if (key === '-' || key === '_') {
        void target.control({ action: 'speed', speed: stepSpeed(status.speed, -1) }).then(report);
      } else if (key === 'r') {
        void target.control({ action: 'seek', to: target.firstTs }).then(report);
      } else if (key === 'q' || key === '\u0003') {
        interrupt();
      }
    }
  };
  input.setRawMode(true);
  input.on('data', onData);
  input.resume();
  return () => {
    input.off('data', onData);
    input.setRawMode?.(false);
    input.pause();
  };
}
