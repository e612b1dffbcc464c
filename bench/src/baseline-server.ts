import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import {
  ErrorCode,
  Events,
  INGEST_NAMESPACE,
  errorReply,
  type ClientToServerEvents,
  type IngestClientToServerEvents,
  type IngestServerToClientEvents,
  type ServerToClientEvents,
  type Snapshot,
  type Tick,
} from '@tickfeed/protocol';

/**
 * The naive baseline (B6): what a first Socket.IO implementation does, one
 * `io.to(symbol).emit('ticks', [tick])` per tick. It keeps just enough of the
 * contract for the bench to drive it the same way as the feed server:
 * declare and publish with acks on /ingest, subscribe with snapshot seq.
 */
export interface BaselineServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

interface SymbolState {
  last: Tick | null;
}

const EPOCH = 'baseline';

export async function startBaselineServer(options: { host: string; port: number; ingestToken: string }): Promise<BaselineServer> {
  const http: HttpServer = createServer();
  const io = new Server<ClientToServerEvents, ServerToClientEvents>(http, { transports: ['websocket', 'polling'] });
  const symbols = new Map<string, SymbolState>();

  const ingest = io.of(INGEST_NAMESPACE) as unknown as import('socket.io').Namespace<
    IngestClientToServerEvents,
    IngestServerToClientEvents
  >;
  ingest.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown }).token;
    next(token === options.ingestToken ? undefined : new Error(ErrorCode.UNAUTHORIZED));
  });
  ingest.on('connection', (socket) => {
    socket.on(Events.declare, (request, ack) => {
      const declared = request.symbols.map((d) => {
        const state = symbols.get(d.symbol) ?? { last: null };
        symbols.set(d.symbol, state);
        return {
          symbol: d.symbol,
          epoch: EPOCH,
          lastSeq: state.last?.seq ?? 0,
          lastTs: state.last?.ts ?? 0,
          last: state.last?.price ?? d.refPrice,
        };
      });
      ack({ ok: true, declared, rejected: [] });
    });
    socket.on(Events.publish, (request, ack) => {
      if (!Array.isArray(request?.ticks)) {
        ack(errorReply(ErrorCode.BAD_REQUEST, 'ticks must be an array'));
        return;
      }
      let accepted = 0;
      const rejected: { index: number; symbol: string | null; code: typeof ErrorCode.SEQ_MISMATCH; message: string }[] = [];
      request.ticks.forEach((tick, index) => {
        const state = symbols.get(tick.symbol);
        if (!state || tick.seq !== (state.last?.seq ?? 0) + 1) {
          rejected.push({ index, symbol: tick.symbol, code: ErrorCode.SEQ_MISMATCH, message: 'seq must be last + 1' });
          return;
        }
        state.last = tick;
        accepted += 1;
        // The naive fan-out under test: one emit, hence one frame per subscriber, per tick.
        io.to(tick.symbol).emit(Events.ticks, [tick]);
      });
      ack({ ok: true, accepted, rejected });
    });
  });

  io.on('connection', (socket) => {
    socket.on(Events.subscribe, (request, ack) => {
      if (typeof ack !== 'function') return;
      if (!Array.isArray(request?.symbols)) {
        ack(errorReply(ErrorCode.BAD_REQUEST, 'symbols must be an array'));
        return;
      }
      const subscribed = [];
      const rejected = [];
      for (const symbol of request.symbols) {
        const state = symbols.get(symbol);
        if (!state) {
          rejected.push({ symbol, code: ErrorCode.UNKNOWN_SYMBOL, message: 'unknown symbol' });
          continue;
        }
        void socket.join(symbol);
        subscribed.push({ symbol, epoch: EPOCH, snapshot: snapshotOf(symbol, state) });
      }
      ack({ ok: true, subscribed, rejected });
    });
    socket.on(Events.unsubscribe, (request, ack) => {
      if (typeof ack !== 'function' || !Array.isArray(request?.symbols)) return;
      for (const symbol of request.symbols) void socket.leave(symbol);
      ack({ ok: true, unsubscribed: request.symbols });
    });
  });

  await new Promise<void>((resolve) => http.listen(options.port, options.host, resolve));
  const port = (http.address() as AddressInfo).port;
  return {
    url: `http://${options.host}:${port}`,
    port,
    close: async () => {
      io.disconnectSockets(true);
      await new Promise<void>((resolve) => {
        void io.close(() => resolve());
      });
    },
  };
}

function snapshotOf(symbol: string, state: SymbolState): Snapshot {
  const t = state.last;
  const price = t?.price ?? 0;
  return {
    symbol,
    seq: t?.seq ?? 0,
    ts: t?.ts ?? 0,
    last: price,
    bid: t?.bid ?? 0,
    ask: t?.ask ?? 0,
    open: price,
    high: price,
    low: price,
    volume: 0,
    prevClose: price,
    change: 0,
    changePct: 0,
  };
}
