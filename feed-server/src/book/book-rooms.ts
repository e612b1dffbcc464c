import type { ConsumerNamespace, ConsumerSocket } from '../types.js';

/*
 * A book subscription is a Socket.IO room `book:SYMBOL:DEPTH`, beside the
 * symbol rooms of tick subscriptions: membership stays in the adapter (so
 * book subscriptions count in the connection's and the user's subscription
 * totals and metrics with tick ones), and clients at one depth share one
 * serialized update. A symbol name never holds ':', so the names never meet.
 */
const PREFIX = 'book:';

export function bookRoom(symbol: string, depth: number): string {
  return `${PREFIX}${symbol}:${depth}`;
}

/** The symbol and depth of a book room; undefined for any other room. */
export function parseBookRoom(room: string): { symbol: string; depth: number } | undefined {
  if (!room.startsWith(PREFIX)) return undefined;
  const colon = room.lastIndexOf(':');
  if (colon <= PREFIX.length) return undefined;
  return { symbol: room.slice(PREFIX.length, colon), depth: Number(room.slice(colon + 1)) };
}

/** The symbol a subscription room is about: itself for a tick room, the symbol of a book room. */
export function symbolOfRoom(room: string): string {
  return parseBookRoom(room)?.symbol ?? room;
}

/** The depth at which a socket follows a symbol's book; undefined when it does not. */
export function bookDepthOf(socket: ConsumerSocket, symbol: string): number | undefined {
  const prefix = `${PREFIX}${symbol}:`;
  for (const room of socket.rooms) if (room.startsWith(prefix)) return Number(room.slice(prefix.length));
  return undefined;
}

/** The symbols a socket follows as books. */
export function booksOf(socket: ConsumerSocket): Map<string, number> {
  const out = new Map<string, number>();
  for (const room of socket.rooms) {
    const parsed = parseBookRoom(room);
    if (parsed !== undefined) out.set(parsed.symbol, parsed.depth);
  }
  return out;
}

/**
 * The depths at which each symbol's book is followed on this instance, so an
 * update is diffed once per depth in use. Members are always read from the
 * adapter (whichever adapter the namespace has now); a depth whose room is
 * gone is dropped when next looked at.
 */
export class BookDepths {
  private readonly depths = new Map<string, Set<number>>();

  constructor(private readonly nsp: ConsumerNamespace) {}

  joined(symbol: string, depth: number): void {
    let set = this.depths.get(symbol);
    if (set === undefined) this.depths.set(symbol, (set = new Set()));
    set.add(depth);
  }

  /** Calls `each` with every depth of the symbol that has members here, and the members. */
  forEach(symbol: string, each: (depth: number, members: ReadonlySet<string>) => void): void {
    const set = this.depths.get(symbol);
    if (set === undefined) return;
    for (const depth of set) {
      const members = this.nsp.adapter.rooms.get(bookRoom(symbol, depth));
      if (members === undefined || members.size === 0) {
        set.delete(depth);
        continue;
      }
      each(depth, members);
    }
    if (set.size === 0) this.depths.delete(symbol);
  }
}
