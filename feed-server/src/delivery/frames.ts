import { Events } from '@tickfeed/protocol';

/*
 * Socket.IO v5 packets for the default namespace, built from pre-serialized
 * ticks so a tick is JSON-encoded once however many clients receive it.
 * An EVENT packet is its type digit ('2') followed by the JSON array
 * [eventName, ...args]; any Socket.IO client decodes these like any emit.
 */
const TICKS_PREFIX = `2[${JSON.stringify(Events.ticks)},[`;
const TICKS_SUFFIX = ']]';
/** Engine.IO v4 MESSAGE packet type, which carries every Socket.IO packet. */
const ENGINE_MESSAGE = '4';

/** Encodes a `ticks` event whose argument is the array of the given tick JSON texts. */
export function ticksPacket(tickJsons: readonly string[]): string {
  return TICKS_PREFIX + tickJsons.join(',') + TICKS_SUFFIX;
}

/** WebSocket frame header: FIN set, opcode 1 (text). */
const FIN_TEXT = 0x81;

/**
 * The same `ticks` event as one complete, unmasked WebSocket text frame
 * (RFC 6455 §5.2) carrying the Engine.IO message: what engine.io and ws
 * would put on the wire for `conn.write(ticksPacket(...))`, built as a
 * single buffer so it leaves in one write.
 */
export function ticksFrame(tickJsons: readonly string[]): Buffer {
  const payload = ENGINE_MESSAGE + TICKS_PREFIX + tickJsons.join(',') + TICKS_SUFFIX;
  const length = Buffer.byteLength(payload);
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = FIN_TEXT;
  if (headerLength === 2) {
    frame[1] = length;
  } else if (headerLength === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  frame.write(payload, headerLength, 'utf8');
  return frame;
}

const SYMBOL_START = '{"symbol":"'.length;

/** The symbol of a tick serialized by the server (its first field, by construction). */
export function symbolOfTickJson(json: string): string {
  return json.slice(SYMBOL_START, json.indexOf('"', SYMBOL_START));
}
