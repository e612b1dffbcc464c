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
 * would put on the wire for `conn.write(ticksPacket(...))`. The frame is a
 * string whose characters are its bytes, to be written with the 'latin1'
 * encoding: one write, and no Buffer per frame (a Buffer per frame is
 * external memory, and at tens of thousands of frames a second its growth
 * alone made V8 run a major GC every second or so). Null when the payload
 * is not pure ASCII, where characters and UTF-8 bytes differ; ticks are
 * ASCII by their schema, so that does not happen in practice.
 */
export function ticksFrame(tickJsons: readonly string[]): string | null {
  const payload = ENGINE_MESSAGE + TICKS_PREFIX + tickJsons.join(',') + TICKS_SUFFIX;
  const length = payload.length;
  if (Buffer.byteLength(payload, 'utf8') !== length) return null;
  if (length < 126) return String.fromCharCode(FIN_TEXT, length) + payload;
  if (length < 65_536) return String.fromCharCode(FIN_TEXT, 126, length >>> 8, length & 0xff) + payload;
  const high = Math.floor(length / 2 ** 32);
  const low = length >>> 0;
  return (
    String.fromCharCode(FIN_TEXT, 127, 0, 0, (high >>> 8) & 0xff, high & 0xff, low >>> 24, (low >>> 16) & 0xff, (low >>> 8) & 0xff, low & 0xff) +
    payload
  );
}

const SYMBOL_START = '{"symbol":"'.length;

/** The symbol of a tick serialized by the server (its first field, by construction). */
export function symbolOfTickJson(json: string): string {
  return json.slice(SYMBOL_START, json.indexOf('"', SYMBOL_START));
}
