/**
 * Engine.IO v4 / Socket.IO v5 text packets over WebSocket (one packet per
 * frame), decoded and encoded by hand so the load generator needs no
 * socket.io-client. Pure: strings in, values out.
 *
 * Engine.IO: '0' open + JSON, '1' close, '2' ping, '3' pong, '4' message, '6' noop.
 * Socket.IO (inside '4'): type digit, ['/nsp,'], [ack id digits], [JSON].
 */
export const EIO_VERSION = 4;

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
  const type = frame.charCodeAt(0) - 48;
  const rest = frame.slice(1);
  switch (type) {
    case 0:
      return { kind: 'open', open: parseOpen(rest) };
    case 1:
      return { kind: 'close' };
    case 2:
      return { kind: 'ping', data: rest };
    case 3:
      return { kind: 'pong', data: rest };
    case 4:
      return { kind: 'message', data: rest };
    case 6:
      return { kind: 'noop' };
    default:
      throw new ProtocolDecodeError(`unknown Engine.IO packet type '${frame.charAt(0)}'`);
  }
}

export function encodeEioMessage(sio: string): string {
  return `4${sio}`;
}

export const EIO_PONG = '3';

export function decodeSio(str: string): SioPacket {
  let i = 0;
  const type = str.charCodeAt(0) - 48;
  if (!(type >= 0 && type <= 6)) throw new ProtocolDecodeError(`unknown Socket.IO packet type '${str.charAt(0)}'`);
  if (type === SioType.BINARY_EVENT || type === SioType.BINARY_ACK) {
    throw new ProtocolDecodeError('binary packets are not used by this contract');
  }
  i = 1;
  let nsp = '/';
  if (str.charAt(i) === '/') {
    const comma = str.indexOf(',', i);
    const end = comma === -1 ? str.length : comma;
    nsp = str.slice(i, end);
    i = comma === -1 ? str.length : comma + 1;
  }
  let id: number | undefined;
  const idStart = i;
  while (i < str.length) {
    const c = str.charCodeAt(i);
    if (c < 48 || c > 57) break;
    i++;
  }
  if (i > idStart) id = Number(str.slice(idStart, i));
  const packet: SioPacket = { type: type as SioType, nsp };
  if (id !== undefined) packet.id = id;
  if (i < str.length) {
    try {
      packet.data = JSON.parse(str.slice(i));
    } catch {
      throw new ProtocolDecodeError('malformed Socket.IO payload');
    }
  }
  return packet;
}

export function encodeSio(packet: SioPacket): string {
  let out = String(packet.type);
  if (packet.nsp !== '/') out += `${packet.nsp},`;
  if (packet.id !== undefined) out += String(packet.id);
  if (packet.data !== undefined) out += JSON.stringify(packet.data);
  return out;
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
