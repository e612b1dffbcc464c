import { afterEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode, type SubscribeReply, type SubscribeRequest, type UnsubscribeReply } from '@tickfeed/protocol';
import { NO_REPLICATION } from '../src/feed-core.js';
import { consumer, declaration, startServer, stopAll, type ConsumerClient } from './support/harness.js';

afterEach(stopAll);

function subscribe(socket: ConsumerClient, request: unknown): Promise<SubscribeReply> {
  return socket.timeout(5_000).emitWithAck('subscribe', request as never);
}

/** A replicator whose prepareSubscribe waits until the test releases it, recording each request it saw. */
function holdingReplicator() {
  const seen: SubscribeRequest[] = [];
  const releases: (() => void)[] = [];
  return {
    seen,
    releaseAll: () => releases.splice(0).forEach((release) => release()),
    replicator: {
      ...NO_REPLICATION,
      prepareSubscribe(request: SubscribeRequest): Promise<void> {
        seen.push(request);
        return new Promise<void>((resolve) => releases.push(resolve));
      },
    },
  };
}

describe('the replicator prepares subscribes (cluster catch-up hook)', () => {
  it('[R60] a subscribe is answered after its prepareSubscribe settled, from the state then; later requests of the connection are answered after it, in order', async () => {
    const { server, url } = await startServer();
    const hold = holdingReplicator();
    server.core.replicator = hold.replicator;
    const socket = await consumer(url);
    const answered: string[] = [];
    const first = subscribe(socket, { symbols: ['NEW', 'NEW'] }).then((reply) => (answered.push('subscribe'), reply));
    const second = socket
      .timeout(5_000)
      .emitWithAck('unsubscribe', { symbols: ['NEW'] })
      .then((reply: UnsubscribeReply) => (answered.push('unsubscribe'), reply));
    await vi.waitFor(() => expect(hold.seen).toHaveLength(1));
    // What the hook gets is the checked request: repeats removed.
    expect(hold.seen[0]).toEqual({ symbols: ['NEW'] });
    // Declared while the subscribe waits, as a catch-up from the shared store would.
    expect((await server.localIngest().declare({ symbols: [declaration('NEW')] })).ok).toBe(true);
    expect(answered).toEqual([]);
    hold.releaseAll();
    const reply = await first;
    expect(reply.ok && reply.subscribed.map((s) => s.symbol)).toEqual(['NEW']);
    expect(await second).toEqual({ ok: true, unsubscribed: ['NEW'] });
    expect(answered).toEqual(['subscribe', 'unsubscribe']);
  });

  it('[R60] a malformed subscribe never reaches prepareSubscribe: it gets BAD_REQUEST at once', async () => {
    const { server, url } = await startServer();
    const hold = holdingReplicator();
    server.core.replicator = hold.replicator;
    const socket = await consumer(url);
    for (const bad of [{ symbols: 'AAPL' }, { symbols: ['AAPL'], resume: { AAPL: { epoch: 5, seq: -1 } } }, null]) {
      const reply = await subscribe(socket, bad);
      expect(reply.ok ? null : reply.error.code).toBe(ErrorCode.BAD_REQUEST);
    }
    expect(hold.seen).toEqual([]);
  });

  it('[R60] at most 4 subscribes of a connection wait for a catch-up; the rest are answered from local state, still in order', async () => {
    const { server, url } = await startServer();
    const hold = holdingReplicator();
    server.core.replicator = hold.replicator;
    const socket = await consumer(url);
    const replies = Array.from({ length: 6 }, (_, i) => subscribe(socket, { symbols: [`S${i}`] }));
    await vi.waitFor(() => expect(hold.seen).toHaveLength(4));
    hold.releaseAll();
    const codes = (await Promise.all(replies)).map((reply) => (reply.ok ? reply.rejected[0]?.code : reply.error.code));
    expect(codes).toEqual(Array(6).fill(ErrorCode.UNKNOWN_SYMBOL));
    expect(hold.seen.map((request) => request.symbols[0])).toEqual(['S0', 'S1', 'S2', 'S3']);
  });
});
