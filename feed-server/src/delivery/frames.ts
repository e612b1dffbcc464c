import { Events } from '@tickfeed/protocol';

/*
 * Socket.IO v5 packets for the default namespace, built from pre-serialized
 * ticks so a tick is JSON-encoded once however many clients receive it.
 * An EVENT packet is its type digit ('2') followed by the JSON array
 * [eventName, ...args]; any Socket.IO client decodes these like any emit.
 */
const TICKS_PREFIX = `2[${JSON.stringify(Events.ticks)},[`;
const TICKS_SUFFIX = ']]';

/** Encodes a `ticks` event whose argument is the array of the given tick JSON texts. */
export function ticksPacket(tickJsons: readonly string[]): string {
  return TICKS_PREFIX + tickJsons.join(',') + TICKS_SUFFIX;
}

const SYMBOL_START = '{"symbol":"'.length;

/** The symbol of a tick serialized by the server (its first field, by construction). */
export function symbolOfTickJson(json: string): string {
  return json.slice(SYMBOL_START, json.indexOf('"', SYMBOL_START));
}
