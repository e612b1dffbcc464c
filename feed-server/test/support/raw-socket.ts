import type { Socket as NetSocket } from 'node:net';
import type { ConsumerClient } from './harness.js';

/**
 * The TCP socket under a socket.io-client WebSocket connection. Tests pause it
 * to play a client that stops reading (its TCP window fills) or goes silent.
 */
export function tcpSocketOf(client: ConsumerClient): NetSocket {
  const transport = client.io.engine.transport as unknown as { name: string; ws?: { _socket?: NetSocket } };
  const socket = transport.ws?._socket;
  if (transport.name !== 'websocket' || socket === undefined) throw new Error('not a websocket connection');
  return socket;
}
