import { decodePacket, protocol as ENGINE_IO_PROTOCOL } from 'engine.io-parser';
import { Decoder, Encoder, type Packet } from 'socket.io-parser';

/**
 * Engine.IO v4 / Socket.IO v5 text packets over WebSocket (one packet per
 * frame), parsed by engine.io-parser and socket.io-parser, the parsers
 * socket.io itself uses, so the load generator needs no socket.io-client.
 * What is ours is only the typed shape the raw clients read (and the open
 * packet's check). Pure: strings in, values out.
 */
export const EIO_VERSION = ENGINE_IO_PROTOCOL;
export interface OpenPayload {
  sid: string;
  upgrades: string[];
  pingInterval: number;
  pingTimeout: number;
  maxPayload: number;
}

export type EioPacket =
  | { kind: 'open'; open: OpenPayload }
  | { kind: 'close' }
  | { kind: 'ping'; data: string }
  | { kind: 'pong'; data: string }
  | { kind: 'message'; data: string }
  | { kind: 'noop' };

export const SioType = {
  CONNECT: 0,
  DISCONNECT: 1,
  EVENT: 2,
  ACK: 3,
  CONNECT_ERROR: 4,
  BINARY_EVENT: 5,
  BINARY_ACK: 6,
} as const;
export type SioType = (typeof SioType)[keyof typeof SioType];

export interface SioPacket {
  type: SioType;
  nsp: string;
  /** Ack id, when the packet asks for or answers an ack. */
  id?: number;
  /** Parsed JSON payload: an array for events and acks, an object for connect. */
  data?: unknown;
}

export class ProtocolDecodeError extends Error {}

export function decodeEio(frame: string): EioPacket {
  const packet = decodePacket(frame);
  const data = typeof packet.data === 'string' ? packet.data : '';
  switch (packet.type) {
    case 'open':
      return { kind: 'open', open: parseOpen(data) };
    case 'close':
      return { kind: 'close' };
    case 'ping':
      return { kind: 'ping', data };
    case 'pong':
      return { kind: 'pong', data };
    case 'message':
      return { kind: 'message', data };
    case 'noop':
      return { kind: 'noop' };
    default:
      throw new ProtocolDecodeError(`unknown Engine.IO packet type '${frame.charAt(0)}'`);
  }
}

export function encodeEioMessage(sio: string): string {
  return `4${sio}`;
}

export const EIO_PONG = '3';

// One decoder and encoder for all: the decoder emits synchronously inside add(), and holds state only for binary packets, which are refused.
const decoder = new Decoder();
let decoded: Packet | undefined;
decoder.on('decoded', (packet: Packet) => {
  decoded = packet;
});
const encoder = new Encoder();

export function decodeSio(str: string): SioPacket {
  decoded = undefined;
  try {
    decoder.add(str);
  } catch (error) {
    throw new ProtocolDecodeError(`malformed Socket.IO packet: ${error instanceof Error ? error.message : String(error)}`);
  }
  const packet = decoded as Packet | undefined;
  decoded = undefined;
  if (packet === undefined) {
    // A binary packet waits for its attachments: drop it.
    decoder.destroy();
    throw new ProtocolDecodeError('binary packets are not used by this contract');
  }
  const out: SioPacket = { type: packet.type as number as SioType, nsp: packet.nsp };
  if (packet.id !== undefined) out.id = packet.id;
  if (packet.data !== undefined) out.data = packet.data;
  return out;
}

export function encodeSio(packet: SioPacket): string {
  const [encoded] = encoder.encode(packet as Packet) as unknown[];
  if (typeof encoded !== 'string') throw new Error('binary data has no place in this contract');
  return encoded;
}

/** The WebSocket URL of the Engine.IO endpoint of an http(s) base URL. */
export function engineIoUrl(base: string, path = '/socket.io/'): string {
  const u = new URL(path, base);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  u.searchParams.set('EIO', String(EIO_VERSION));
  u.searchParams.set('transport', 'websocket');
  return u.toString();
}

function parseOpen(json: string): OpenPayload {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new ProtocolDecodeError('malformed Engine.IO open packet');
  }
  if (typeof value !== 'object' || value === null) throw new ProtocolDecodeError('Engine.IO open packet is not an object');
  const v = value as Record<string, unknown>;
  if (typeof v.sid !== 'string' || typeof v.pingInterval !== 'number' || typeof v.pingTimeout !== 'number') {
    throw new ProtocolDecodeError('Engine.IO open packet lacks sid or ping settings');
  }
  return {
    sid: v.sid,
    upgrades: Array.isArray(v.upgrades) ? v.upgrades.filter((x): x is string => typeof x === 'string') : [],
    pingInterval: v.pingInterval,
    pingTimeout: v.pingTimeout,
    maxPayload: typeof v.maxPayload === 'number' ? v.maxPayload : 1_000_000,
  };
}
