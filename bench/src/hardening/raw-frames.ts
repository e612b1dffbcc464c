import { Events } from '@tickfeed/protocol';
import type { Rng } from './rng.js';

/*
 * Malformed Engine.IO / Socket.IO frames for a raw WebSocket (F8): what no
 * well-behaved client library sends. Pure: the same Rng gives the same frames.
 */

export type RawFrameKind =
  | 'bad-json'
  | 'raw-numbers'
  | 'proto-keys'
  | 'unknown-eio-type'
  | 'unknown-sio-type'
  | 'reserved-event'
  | 'odd-event-name'
  | 'namespace-junk'
  | 'odd-ack-id'
  | 'binary-junk'
  | 'binary-placeholder'
  | 'random-text'
  | 'oversize'
  | 'deep-nesting';

export interface RawAttack {
  kind: RawFrameKind;
  /** Sent in order, each one WebSocket frame (Buffer: binary frame). */
  frames: (string | Buffer)[];
  /** Ack id of a well-formed event among the frames: the server must answer it or close the connection. */
  ackId: number | null;
  /** At least one frame is over the payload limit: the server must close the connection. */
  oversize: boolean;
}

export interface RawFrameContext {
  /** `''` for the default namespace, `'/ingest,'` for /ingest (the packet's namespace prefix). */
  nsp: string;
  /** Symbols to put in otherwise well-formed requests. */
  symbols: readonly string[];
  maxPayloadBytes: number;
  /** Next ack id of the connection. */
  nextAckId: () => number;
}

export function rawAttack(rng: Rng, ctx: RawFrameContext): RawAttack {
  const attack = compose(rng, ctx);
  attack.oversize = attack.frames.some((f) => (typeof f === 'string' ? Buffer.byteLength(f) : f.length) > ctx.maxPayloadBytes);
  return attack;
}

function compose(rng: Rng, ctx: RawFrameContext): RawAttack {
  const kind = rng.weighted<RawFrameKind>({
    'bad-json': 10,
    'raw-numbers': 12,
    'proto-keys': 8,
    'unknown-eio-type': 6,
    'unknown-sio-type': 6,
    'reserved-event': 6,
    'odd-event-name': 6,
    'namespace-junk': 6,
    'odd-ack-id': 5,
    'binary-junk': 6,
    'binary-placeholder': 5,
    'random-text': 6,
    oversize: 3,
    'deep-nesting': 3,
  });
  const { nsp } = ctx;
  const symbol = rng.pick(ctx.symbols);
  const plain = (frames: (string | Buffer)[]): RawAttack => ({ kind, frames, ackId: null, oversize: false });
  const acked = (event: string, json: string): RawAttack => {
    const id = ctx.nextAckId();
    return { kind, frames: [`42${nsp}${id}[${JSON.stringify(event)},${json}]`], ackId: id, oversize: false };
  };
  const event = rng.pick([Events.subscribe, Events.unsubscribe, Events.declare, Events.publish]);
  switch (kind) {
    case 'bad-json':
      return plain([
        rng.pick([
          `42${nsp}["subscribe",{"symbols":[`,
          `42${nsp}{"a":1}`,
          `42${nsp}[,]`,
          `42${nsp}["subscribe",NaN]`,
          `42${nsp}["subscribe",{'symbols':['${symbol}']}]`,
          `42${nsp}["subscribe",{"symbols":["${symbol}"]}]]`,
          `42${nsp}["subscribe",undefined]`,
          `42${nsp}"subscribe"`,
          `42${nsp}["subscribe",Infinity]`,
          `42${nsp}["subscribe",{"symbols":["\\ud800"]}`,
        ]),
      ]);
    case 'raw-numbers': {
      // JSON.parse turns 1e999 into Infinity: the only way to get non-finite numbers past JSON.
      const n = rng.pick(['1e999', '-1e999', '-0', '123456789012345678901234567890', '-1', '1.5', '4.9e-324', '0']);
      const payloads = [
        `{"symbols":["${symbol}"],"resume":{"${symbol}":{"epoch":"x","seq":${n}}}}`,
        `{"symbols":[${n},"${symbol}"]}`,
        `{"ticks":[{"symbol":"${symbol}","seq":${n},"ts":${n},"price":${n},"size":${n},"bid":${n},"ask":${n}}]}`,
        `{"ticks":[{"symbol":"${symbol}","seq":1,"ts":1767225600000,"price":1e999,"size":1,"bid":1,"ask":2}]}`,
        `{"ticks":[{"symbol":"${symbol}","seq":1,"ts":1767225600000,"price":10,"size":-1e999,"bid":9,"ask":11}]}`,
        `{"symbols":[{"symbol":"${symbol}","name":"x","kind":"equity","currency":"USD","tickSize":${n},"refPrice":${n}}]}`,
      ];
      return acked(event, rng.pick(payloads));
    }
    case 'proto-keys':
      return acked(
        event,
        rng.pick([
          `{"symbols":["${symbol}"],"__proto__":{"symbols":["X"],"isAdmin":true}}`,
          `{"__proto__":{"symbols":["${symbol}"]}}`,
          `{"constructor":{"prototype":{"polluted":true}},"symbols":[]}`,
          `{"symbols":["${symbol}"],"resume":{"__proto__":{"epoch":"x","seq":1}}}`,
          `{"ticks":[{"__proto__":{"symbol":"${symbol}"},"seq":1}]}`,
          `{"symbols":{"length":1,"0":"${symbol}"}}`,
        ]),
      );
    case 'unknown-eio-type':
      return plain([rng.pick(['7', '9', 'x', '', '5', '6', '8probe', '2probe', '3', '1', '0{}', '\u0000', '44'])]);
    case 'unknown-sio-type':
      return plain([rng.pick([`47${nsp}`, `49${nsp}[]`, `4x`, '4', `43${nsp}[]`, `43${nsp}999["x"]`, `44${nsp}{"message":"x"}`, `4-1`, '4 2[]'])]);
    case 'reserved-event':
      return acked(rng.pick(['disconnect', 'connect', 'connect_error', 'disconnecting', 'newListener', 'removeListener', 'error']), '"x"');
    case 'odd-event-name':
      return plain([
        rng.pick([`42${nsp}[1,{}]`, `42${nsp}[null]`, `42${nsp}[]`, `42${nsp}[{"a":1}]`, `42${nsp}[["subscribe"]]`, `42${nsp}[true]`, `421${nsp}[1.5]`]),
      ]);
    case 'namespace-junk':
      return plain([
        rng.pick(['40/nope,', '40/ingest,{"token":1}', '40/ingest,{"token":"wrong"}', '41', '40', '40{"x":1}', '42/nope,["subscribe",{}]', '42/ingest,["publish",{}]', '40/,', '40/../,', `40/${'n'.repeat(5_000)},`]),
      ]);
    case 'odd-ack-id':
      return plain([
        rng.pick([
          `42${nsp}99999999999999999999999["subscribe",{"symbols":[]}]`,
          `42${nsp}-1["subscribe",{"symbols":[]}]`,
          `42${nsp}1.5["subscribe",{"symbols":[]}]`,
          `42${nsp}${'9'.repeat(400)}["subscribe",{"symbols":[]}]`,
          `42${nsp}0x10["subscribe",{"symbols":[]}]`,
        ]),
      ]);
    case 'binary-junk':
      return plain([rng.bytes(rng.int(0, 4_096))]);
    case 'binary-placeholder':
      return plain(
        rng.pick<(string | Buffer)[]>([
          [`451-${nsp}["${event}",{"_placeholder":true,"num":0}]`, rng.bytes(rng.int(0, 256))],
          [`451-${nsp}["${event}",{"_placeholder":true,"num":7}]`, rng.bytes(16)],
          [`452-${nsp}["${event}",{"_placeholder":true,"num":0}]`, rng.bytes(16)],
          [`42${nsp}["${event}",{"_placeholder":true,"num":0}]`],
          [`451-${nsp}["${event}",{"_placeholder":true,"num":"__proto__"}]`, rng.bytes(8)],
          [`45x-${nsp}["${event}"]`],
          [`461-${nsp}1[{"_placeholder":true,"num":0}]`, rng.bytes(8)],
        ]),
      );
    case 'random-text':
      return plain([rng.string(rng.int(1, 2_000), '0123456789[]{}",:-/abc\u00e9\ud83d\ude00\u0000')]);
    case 'oversize': {
      const size = Math.ceil(ctx.maxPayloadBytes * (1.1 + rng.next()));
      return plain([rng.chance(0.5) ? `42${nsp}["subscribe",{"symbols":["${'A'.repeat(size)}"]}]` : rng.bytes(size)]);
    }
    case 'deep-nesting': {
      const depth = rng.pick([10_000, 100_000, 200_000]);
      const open = rng.chance(0.5) ? '[' : '{"a":';
      const close = open === '[' ? ']' : '}';
      return acked(event, `${open.repeat(depth)}1${close.repeat(depth)}`);
    }
  }
}
