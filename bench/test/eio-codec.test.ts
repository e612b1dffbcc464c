import { describe, expect, it } from 'vitest';
import { ProtocolDecodeError, SioType, decodeEio, decodeSio, encodeSio, engineIoUrl } from '../src/eio-codec.js';

describe('Engine.IO / Socket.IO codec', () => {
  it('[B1] decodes the open packet and the heartbeat', () => {
    const open = decodeEio('0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}');
    expect(open).toEqual({ kind: 'open', open: { sid: 'abc', upgrades: [], pingInterval: 25000, pingTimeout: 20000, maxPayload: 1000000 } });
    expect(decodeEio('2')).toEqual({ kind: 'ping', data: '' });
    expect(decodeEio('3probe')).toEqual({ kind: 'pong', data: 'probe' });
    expect(decodeEio('1')).toEqual({ kind: 'close' });
    expect(decodeEio('42["x"]')).toEqual({ kind: 'message', data: '2["x"]' });
  });

  it('[B1] decodes events, acks, namespaces and connect replies', () => {
    expect(decodeSio('2["ticks",[{"seq":1}]]')).toEqual({ type: SioType.EVENT, nsp: '/', data: ['ticks', [{ seq: 1 }]] });
    expect(decodeSio('312[{"ok":true}]')).toEqual({ type: SioType.ACK, nsp: '/', id: 12, data: [{ ok: true }] });
    expect(decodeSio('2/ingest,7["publish",{}]')).toEqual({ type: SioType.EVENT, nsp: '/ingest', id: 7, data: ['publish', {}] });
    expect(decodeSio('0{"sid":"s1"}')).toEqual({ type: SioType.CONNECT, nsp: '/', data: { sid: 's1' } });
    expect(decodeSio('4/ingest,{"message":"nope"}')).toEqual({ type: SioType.CONNECT_ERROR, nsp: '/ingest', data: { message: 'nope' } });
    expect(decodeSio('1')).toEqual({ type: SioType.DISCONNECT, nsp: '/' });
  });

  it('[B1] encodes what it decodes', () => {
    const packets = [
      { type: SioType.EVENT, nsp: '/', id: 3, data: ['subscribe', { symbols: ['A'] }] },
      { type: SioType.CONNECT, nsp: '/ingest', data: { token: 't' } },
      { type: SioType.CONNECT, nsp: '/' },
    ] as const;
    for (const p of packets) expect(decodeSio(encodeSio(p))).toEqual(p);
    expect(encodeSio({ type: SioType.EVENT, nsp: '/', id: 3, data: ['a'] })).toBe('23["a"]');
    expect(encodeSio({ type: SioType.CONNECT, nsp: '/ingest', data: { token: 't' } })).toBe('0/ingest,{"token":"t"}');
  });

  it('[B1] refuses unknown packet types, binary packets and malformed JSON', () => {
    expect(() => decodeEio('9')).toThrow(ProtocolDecodeError);
    expect(() => decodeSio('51-["x",{"_placeholder":true,"num":0}]')).toThrow(ProtocolDecodeError);
    expect(() => decodeSio('2["x"')).toThrow(ProtocolDecodeError);
  });

  it('[B1] builds the WebSocket handshake URL', () => {
    expect(engineIoUrl('http://127.0.0.1:3000')).toBe('ws://127.0.0.1:3000/socket.io/?EIO=4&transport=websocket');
    expect(engineIoUrl('https://h:1/')).toBe('wss://h:1/socket.io/?EIO=4&transport=websocket');
  });
});
