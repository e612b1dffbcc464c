import { Events } from '@tickfeed/protocol';
import { Counter } from './counter.js';
import { classifyReply } from './ledger.js';
import { RawSocket, type LeaveMode } from './raw-socket.js';
import type { Rng } from './rng.js';

/*
 * A churning client of the soak (F10): connect, subscribe, read for a
 * while, maybe change its subscriptions, then leave, often abruptly
 * (TCP destroyed or reset, or silent until the heartbeat drops it), and
 * start over, until the run stops.
 */

export interface ChurnStats {
  connects: number;
  connectFailures: number;
  subscribes: number;
  unsubscribes: number;
  /** Subscribes sent and left at once, without waiting for the ack. */
  abandoned: number;
  /** Requests whose ack did not come in time while connected. */
  ackTimeouts: number;
  /** Ack replies by ok / error code / malformed. */
  replies: Counter;
  /** How clients left. */
  leaves: Counter;
  /** Connections the server closed before the client left, by close code. */
  serverCloses: Counter;
  tickFrames: number;
}

export function newChurnStats(): ChurnStats {
  return {
    connects: 0,
    connectFailures: 0,
    subscribes: 0,
    unsubscribes: 0,
    abandoned: 0,
    ackTimeouts: 0,
    replies: new Counter(),
    leaves: new Counter(),
    serverCloses: new Counter(),
    tickFrames: 0,
  };
}

export interface ChurnOptions {
  url: string;
  symbols: readonly string[];
  /** How long a client stays between steps, ms (uniform in [min, max]). */
  dwellMs: { min: number; max: number };
  /** How long a silent client stays silent before it is destroyed, ms. */
  silentMs: number;
  stats: ChurnStats;
  /** Resolves when the run stops. */
  stopped: Promise<void>;
  isRunning: () => boolean;
}

const LEAVE_WEIGHTS: Readonly<Record<LeaveMode, number>> = { disconnect: 25, close: 10, destroy: 30, reset: 20, silent: 15 };

export async function churnSlot(rng: Rng, options: ChurnOptions): Promise<void> {
  const { stats } = options;
  const pause = (ms: number) => Promise.race([options.stopped, new Promise<void>((resolve) => setTimeout(resolve, ms))]);
  while (options.isRunning()) {
    let socket: RawSocket;
    try {
      socket = await RawSocket.connect({ url: options.url });
    } catch {
      stats.connectFailures++;
      await pause(200);
      continue;
    }
    if (socket.connectResult?.ok !== true) {
      stats.connectFailures++;
      await socket.leave('destroy');
      continue;
    }
    stats.connects++;
    try {
      await visit(rng, socket, options, pause);
    } finally {
      stats.tickFrames += socket.tickFrames;
      if (socket.closed !== null && socket.closed.by === 'server') stats.serverCloses.add(String(socket.closed.code));
      else if (socket.open) await socket.leave('destroy');
    }
  }
}

async function visit(rng: Rng, socket: RawSocket, options: ChurnOptions, pause: (ms: number) => Promise<void>): Promise<void> {
  const { stats } = options;
  let held = rng.sample(options.symbols, rng.int(1, 8));
  if (rng.chance(0.1)) {
    // Join and vanish before the ack: the server must still clean up the rooms it joined.
    stats.abandoned++;
    socket.sendRaw(`42${socket.takeAckId()}${JSON.stringify([Events.subscribe, { symbols: held }])}`);
    await socket.leave(rng.chance(0.5) ? 'destroy' : 'reset');
    stats.leaves.add('abandoned mid-subscribe');
    return;
  }
  if (!(await request(socket, stats, Events.subscribe, held))) return;
  stats.subscribes++;
  await pause(rng.int(options.dwellMs.min, options.dwellMs.max));
  if (!options.isRunning() || !socket.open) return;
  if (rng.chance(0.5)) {
    const dropped = rng.sample(held, rng.int(1, held.length));
    if (!(await request(socket, stats, Events.unsubscribe, dropped))) return;
    stats.unsubscribes++;
    held = held.filter((s) => !dropped.includes(s));
  }
  if (rng.chance(0.3)) {
    if (!(await request(socket, stats, Events.subscribe, rng.sample(options.symbols, rng.int(1, 4))))) return;
    stats.subscribes++;
  }
  await pause(rng.int(options.dwellMs.min, options.dwellMs.max) / 2);
  if (!socket.open) return;
  const mode = rng.weighted(LEAVE_WEIGHTS);
  stats.leaves.add(mode);
  await socket.leave(mode);
  if (mode === 'silent') {
    // Silent: no FIN, no pong, not reading. The server's heartbeat must free it; we cut it off later.
    await pause(options.silentMs);
    await socket.leave('destroy');
  }
}

async function request(socket: RawSocket, stats: ChurnStats, event: string, symbols: readonly string[]): Promise<boolean> {
  const result = await socket.emitWithAck(event, [{ symbols }], 10_000);
  if (result.kind === 'ack') {
    const verdict = classifyReply(result.args[0]);
    stats.replies.add(verdict.kind === 'ok' ? 'ok' : verdict.kind === 'error' ? verdict.code : 'malformed');
    return true;
  }
  if (result.kind === 'timeout') stats.ackTimeouts++;
  return false;
}
