import type { ConsumerSocket } from '../types.js';

/**
 * Requests of one connection that may wait for a cluster catch-up at once (tick and book
 * subscribes together). Catching up costs store reads (concurrent ones for a symbol share
 * one); a connection that piles up subscribes gets the rest answered from local state instead.
 */
const MAX_WAITING_CATCH_UPS = 4;

/** Whether another request of this connection may wait for a catch-up. */
export function mayWait(socket: ConsumerSocket): boolean {
  return socket.data.waiting < MAX_WAITING_CATCH_UPS;
}

/**
 * Answers a request once `wait` settled and every earlier request of the socket that waited
 * was answered: at once when none waits. Only cluster mode ever waits (a catch-up from the
 * store). Tick and book requests share the order, so an unsubscribe never overtakes the
 * subscribe it follows. Ours rather than a queue library: a queue object per connection would
 * cost memory on every idle connection; this is a promise chain in two fields of socket.data,
 * empty when idle.
 */
export function inOrder(socket: ConsumerSocket, wait: Promise<void> | undefined, answer: () => void): void {
  const data = socket.data;
  if (wait === undefined && data.queue === undefined) return answer();
  data.waiting++;
  const queue: Promise<void> = (data.queue ?? Promise.resolve())
    // A catch-up never rejects; were it to, this connection's later requests must not stall.
    .then(() => wait?.catch(() => undefined))
    .then(() => {
      data.waiting--;
      if (data.queue === queue) data.queue = undefined;
      // A socket that left meanwhile gets no answer (its ack would go nowhere) and changes nothing.
      if (socket.connected) answer();
    });
  data.queue = queue;
}
