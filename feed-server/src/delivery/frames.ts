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
 * A finished WebSocket frame in the shape `ws`'s `Sender.frame` gives
 * (header, payload), which Engine.IO's websocket transport writes as it is
 * when a packet carries it as `wsPreEncodedFrame`: Socket.IO's own hook for
 * broadcasts, which skips Engine.IO's encoding and ws's framing per client.
 */
export type PreEncodedFrame = [header: Buffer, payload: string];

/**
 * The same `ticks` event as one complete, unmasked WebSocket text frame
 * (RFC 6455 §5.2) carrying the Engine.IO message: what engine.io and ws
 * would put on the wire for `conn.write(ticksPacket(...))`. The payload
 * stays a string (as `Sender.frame` leaves a string whose byte length it was
 * told): a Buffer per frame is external memory, and at tens of thousands of
 * frames a second its growth alone made V8 run a major GC every second or
 * so. Null when the payload is not pure ASCII, where characters and UTF-8
 * bytes differ; ticks are ASCII by their schema, so that does not happen in
 * practice, and Engine.IO then encodes the packet itself.
 */
export function ticksFrame(packet: string): PreEncodedFrame | null {
  const payload = ENGINE_MESSAGE + packet;
  const length = payload.length;
  if (Buffer.byteLength(payload, 'utf8') !== length) return null;
  return [frameHeader(length), payload];
}

/** The header of an unmasked final text frame whose payload is `length` bytes (pooled: a few bytes of a shared slab). */
export function frameHeader(length: number): Buffer {
  if (length < 126) {
    const header = Buffer.allocUnsafe(2);
    header[0] = FIN_TEXT;
    header[1] = length;
    return header;
  }
  if (length < 65_536) {
    const header = Buffer.allocUnsafe(4);
    header[0] = FIN_TEXT;
    header[1] = 126;
    header.writeUInt16BE(length, 2);
    return header;
  }
  const header = Buffer.allocUnsafe(10);
  header[0] = FIN_TEXT;
  header[1] = 127;
  header.writeBigUInt64BE(BigInt(length), 2);
  return header;
}

const SYMBOL_START = '{"symbol":"'.length;

/** The symbol of a tick serialized by the server (its first field, by construction). */
export function symbolOfTickJson(json: string): string {
  return json.slice(SYMBOL_START, json.indexOf('"', SYMBOL_START));
}
