import { afterEach, describe, expect, it } from 'vitest';
import { TickRecorder, consumer, declaration, makeTicks, range, startServer, stopAll } from './support/harness.js';

afterEach(stopAll);

/**
 * The fan-out keeps its own index of each tick room's consumers, from the
 * adapter's join-room and leave-room events (SPEC R5): it must follow the
 * namespace's adapter whichever it is, and lose no one on the way.
 */
describe('the fan-out follows the adapter rooms', () => {
  it('[R5] an adapter set after start (as a cluster link sets one) is followed: its subscribers get every tick', async () => {
    const running = await startServer();
    const port = running.server.localIngest();
    await port.declare({ symbols: [declaration('S')] });
    // Socket.IO gives every namespace a new instance of the adapter class it is given (here: the one it has).
    const before = running.server.io.of('/').adapter;
    running.server.io.adapter(before.constructor as never);
    expect(running.server.io.of('/').adapter).not.toBe(before);
    const socket = await consumer(running.url);
    const recorder = new TickRecorder(socket);
    await socket.emitWithAck('subscribe', { symbols: ['S'] });
    await port.publish({ ticks: makeTicks('S', 1, 50) });
    await recorder.untilSeq('S', 50);
    expect(recorder.seqs('S')).toEqual(range(1, 50));
    expect(running.server.fastify.feed.fanout.membersOf('S')).toBe(1);
    socket.disconnect();
    await until(() => running.server.fastify.feed.fanout.membersOf('S') === 0);
  });
});

async function until(done: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
