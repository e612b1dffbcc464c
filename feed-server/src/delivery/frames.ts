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
const ENGINE_MESSAGE_BYTE = '4'.charCodeAt(0);

/** Encodes a `ticks` event whose argument is the array of the given tick JSON texts. */
export function ticksPacket(tickJsons: readonly string[]): string {
  return TICKS_PREFIX + tickJsons.join(',') + TICKS_SUFFIX;
}

/** WebSocket frame header: FIN set, opcode 1 (text). */
const FIN_TEXT = 0x81;

/**
 * A finished WebSocket frame as a list of buffers, the shape `ws`'s
 * `Sender.frame` gives and its `sendFrame` writes, which Engine.IO's
 * websocket transport hands over as it is when a packet carries it as
 * `wsPreEncodedFrame`: Socket.IO's own hook for broadcasts, which skips
 * Engine.IO's encoding and ws's framing per client.
 */
export type PreEncodedFrame = [frame: Buffer];

/**
 * The same `ticks` event as one complete, unmasked WebSocket text frame
 * (RFC 6455 §5.2) carrying the Engine.IO message: what engine.io and ws
 * would put on the wire for `conn.write(ticksPacket(...))`. Header and
 * payload share one buffer (small ones come from Node's pool), so the
 * transport makes one plain write: no cork, no writev of a list, no string
 * for the stream to convert.
 */
export function ticksFrame(packet: string): PreEncodedFrame {
  // The payload is the Engine.IO message type, one ASCII byte, then the packet: written in place, not concatenated first.
  const length = 1 + Buffer.byteLength(packet, 'utf8');
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  writeFrameHeader(frame, length);
  frame[headerLength] = ENGINE_MESSAGE_BYTE;
  frame.write(packet, headerLength + 1, 'utf8');
  return [frame];
}

/** Writes the header of an unmasked final text frame whose payload is `length` bytes at the start of `frame`. */
function writeFrameHeader(frame: Buffer, length: number): void {
  frame[0] = FIN_TEXT;
  if (length < 126) {
    frame[1] = length;
  } else if (length < 65_536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
}

const SYMBOL_START = '{"symbol":"'.length;

/** The symbol of a tick serialized by the server (its first field, by construction). */
export function symbolOfTickJson(json: string): string {
  return json.slice(SYMBOL_START, json.indexOf('"', SYMBOL_START));
}
