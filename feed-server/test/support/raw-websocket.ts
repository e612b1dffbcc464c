import { randomBytes } from 'node:crypto';
import { connect, type Socket as NetSocket } from 'node:net';
import { SOCKET_PATH } from '@tickfeed/protocol';

/**
 * A Socket.IO client made of a bare TCP socket and hand-built WebSocket
 * frames: it can send requests and then stop reading for good, the way a
 * hostile or stalled client does, without any library buffering for it.
 */
export interface RawSocketIo {
  readonly tcp: NetSocket;
  /** Sends one Socket.IO packet (e.g. `421["subscribe",{...}]`) as a masked text frame. */
  send(packet: string): void;
  /** Stops reading from the TCP socket: the server's writes pile up in its buffers. */
  stopReading(): void;
  destroy(): void;
}

/** Connects to the default namespace over WebSocket; resolves once the namespace connect is acknowledged. */
export function rawSocketIo(port: number): Promise<RawSocketIo> {
  const tcp = connect(port, '127.0.0.1');
  const key = randomBytes(16).toString('base64');
  tcp.write(
    `GET ${SOCKET_PATH}/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
      `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  const client: RawSocketIo = {
    tcp,
    send: (packet) => tcp.write(maskedTextFrame(packet)),
    stopReading: () => {
      tcp.removeAllListeners('data');
      tcp.pause();
    },
    destroy: () => tcp.destroy(),
  };
  return new Promise((resolve, reject) => {
    let buffer = Buffer.alloc(0);
    let upgraded = false;
    tcp.on('error', reject);
    tcp.on('close', () => reject(new Error('closed during the handshake')));
    tcp.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!upgraded) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        if (!buffer.subarray(0, end).toString('latin1').startsWith('HTTP/1.1 101')) return reject(new Error(buffer.toString('latin1', 0, end)));
        upgraded = true;
        buffer = buffer.subarray(end + 4);
      }
      for (let frame = readFrame(buffer); frame !== null; frame = readFrame(buffer)) {
        buffer = buffer.subarray(frame.size);
        if (frame.text.startsWith('0{')) client.send('40');
        else if (frame.text.startsWith('40')) {
          tcp.removeAllListeners('close');
          tcp.removeAllListeners('error');
          tcp.on('error', () => undefined);
          resolve(client);
          return;
        } else if (frame.text.startsWith('44')) return reject(new Error(frame.text));
      }
    });
  });
}

/** One unmasked server frame at the start of `buffer` (its payload as text and its size), or null when incomplete. */
function readFrame(buffer: Buffer): { text: string; size: number } | null {
  if (buffer.length < 2) return null;
  let length = buffer[1]! & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (buffer.length < 4) return null;
    length = buffer.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (buffer.length < 10) return null;
    length = Number(buffer.readBigUInt64BE(2));
    offset = 10;
  }
  if (buffer.length < offset + length) return null;
  return { text: buffer.toString('utf8', offset, offset + length), size: offset + length };
}

/** A client-to-server text frame (RFC 6455: clients mask every frame). */
function maskedTextFrame(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const length = payload.length;
  const header = length < 126 ? Buffer.from([0x81, 0x80 | length]) : length < 65_536 ? Buffer.from([0x81, 0x80 | 126, length >> 8, length & 0xff]) : null;
  const head = header ?? Buffer.concat([Buffer.from([0x81, 0x80 | 127]), bigLength(length)]);
  const mask = randomBytes(4);
  for (let i = 0; i < length; i++) payload[i] = payload[i]! ^ mask[i & 3]!;
  return Buffer.concat([head, mask, payload]);
}

function bigLength(length: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(BigInt(length));
  return out;
}
