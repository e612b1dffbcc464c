import { io, type Socket } from 'socket.io-client';
import { ErrorCode, Events, INGEST_NAMESPACE, type FeedStatus, type SymbolDeclaration, type Tick } from '@tickfeed/protocol';
import type { AttackContext } from './attackers.js';
import { forwardedFor } from './edge-attackers.js';
import { getJson } from './http.js';
import type { Rng } from './rng.js';

/*
 * Publishers with the ingest token that try to put nonsense into shared
 * state (F25) or take what another publisher owns (F26). What they get
 * accepted is kept, so the state check (F4) compares their symbols too.
 */

// Attackers send what they like: the untyped socket is the point here.
type AnySocket = Socket;

/** What a publisher attacker got accepted: the state check (F4) compares these symbols as well. */
export interface AcceptedState {
  accepted: Map<string, Tick[]>;
  declarations: Map<string, SymbolDeclaration>;
  epochs: Map<string, string>;
}

async function connectPublisher(ctx: AttackContext, auth: Record<string, unknown>): Promise<AnySocket | null> {
  const socket: AnySocket = io(`${ctx.url}${INGEST_NAMESPACE}`, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token: ctx.ingestToken, ...auth } });
  const refused = await new Promise<string | null>((resolve) => {
    socket.once('connect', () => resolve(null));
    socket.once('connect_error', (error: Error) => resolve(error.message));
  });
  if (refused === null) return socket;
  ctx.ledger.refusals.add(`publisher attacker: ${refused.slice(0, 60)}`);
  socket.close();
  return null;
}

/** The ack's reply, or null when none came in time (a violation while connected) or the socket closed. */
async function ask(ctx: AttackContext, socket: AnySocket, what: string, event: string, payload: unknown): Promise<Record<string, unknown> | null> {
  try {
    const reply = (await socket.timeout(ctx.ackTimeoutMs).emitWithAck(event, payload)) as unknown;
    const verdict = ctx.ledger.reply(what, reply);
    return verdict.kind === 'malformed' ? null : (reply as Record<string, unknown>);
  } catch {
    if (socket.connected) ctx.ledger.violation('no-reply', `${what}: no ack within ${ctx.ackTimeoutMs} ms while connected`, what);
    else ctx.ledger.replies.add('(disconnected)');
    return null;
  }
}

type HostileTick = 'size 1e308' | 'size 1e13' | 'size off the lot grid' | 'ts 1e300' | 'ts past the clock skew' | 'ts past a Date' | 'price 1e300' | 'price 1e-300' | 'price 1e10' | 'price off the tick grid' | 'bid off the tick grid' | 'ask 1e300' | 'price 0';
type HostileDeclare = 'refPrice 1e-300' | 'refPrice 1e300' | 'tickSize 1e300' | 'tickSize 1e-300' | 'refPrice 1e10';

function hostileTick(kind: HostileTick, tick: Tick): Record<string, unknown> {
  switch (kind) {
    case 'size 1e308':
      return { ...tick, size: 1e308 };
    case 'size 1e13':
      return { ...tick, size: 1e13 };
    case 'size off the lot grid':
      return { ...tick, size: 1.000000001 };
    case 'ts 1e300':
      return { ...tick, ts: 1e300 };
    case 'ts past the clock skew':
      return { ...tick, ts: Date.now() + 3_600_000 };
    case 'ts past a Date':
      return { ...tick, ts: 8.64e15 + 1 };
    case 'price 1e300':
      return { ...tick, price: 1e300, ask: 1e300 };
    case 'price 1e-300':
      return { ...tick, price: 1e-300, bid: 1e-300 };
    case 'price 1e10':
      return { ...tick, price: 1e10, ask: 1e10 };
    case 'price off the tick grid':
      return { ...tick, price: tick.price + 0.005 };
    case 'bid off the tick grid':
      return { ...tick, bid: tick.bid + 0.003 };
    case 'ask 1e300':
      return { ...tick, ask: 1e300 };
    case 'price 0':
      return { ...tick, price: 0, bid: 0 };
  }
}

function hostileDeclaration(kind: HostileDeclare, d: SymbolDeclaration): SymbolDeclaration {
  switch (kind) {
    case 'refPrice 1e-300':
      return { ...d, refPrice: 1e-300 };
    case 'refPrice 1e300':
      return { ...d, refPrice: 1e300 };
    case 'tickSize 1e300':
      return { ...d, tickSize: 1e300 };
    case 'tickSize 1e-300':
      return { ...d, tickSize: 1e-300 };
    case 'refPrice 1e10':
      return { ...d, refPrice: 1e10 };
  }
}

const HOSTILE_TICKS: readonly HostileTick[] = ['size 1e308', 'size 1e13', 'size off the lot grid', 'ts 1e300', 'ts past the clock skew', 'ts past a Date', 'price 1e300', 'price 1e-300', 'price 1e10', 'price off the tick grid', 'bid off the tick grid', 'ask 1e300', 'price 0'];
const HOSTILE_DECLARES: readonly HostileDeclare[] = ['refPrice 1e-300', 'refPrice 1e300', 'tickSize 1e300', 'tickSize 1e-300', 'refPrice 1e10'];
/** Codes a refused number may carry: INVALID_TICK for a tick (P20, P13, R40), BAD_REQUEST for what the schema refuses. */
const NUMBER_CODES: ReadonlySet<string> = new Set([ErrorCode.INVALID_TICK, ErrorCode.BAD_REQUEST]);

/**
 * F25: a publisher of its own symbols that sends, next to each valid tick,
 * copies of it with one number out of range or off the grid (size 1e308, ts
 * 1e300, price 1e-300, …) and re-declares its symbols with hostile reference
 * prices and tick sizes. Each hostile tick must be refused by index with
 * INVALID_TICK (or the publish with BAD_REQUEST), each hostile declaration
 * with BAD_REQUEST; the valid ticks are accepted and kept for the state check.
 */
export async function hostileNumbers(rng: Rng, ctx: AttackContext, symbols: readonly string[], state: AcceptedState): Promise<void> {
  const { ledger } = ctx;
  const socket = await connectPublisher(ctx, {});
  if (socket === null) return;
  try {
    const declarations = symbols.map((symbol): SymbolDeclaration => ({ symbol, name: `${symbol} numbers`, kind: 'equity', currency: 'USD', tickSize: 0.01, refPrice: rng.int(1_000, 20_000) / 100 }));
    const declared = await ask(ctx, socket, 'numbers declare', Events.declare, { symbols: declarations, reset: true, reason: 'fuzz hostile numbers' });
    if (declared?.ok !== true) return;
    const seqs = new Map<string, number>();
    const cents = new Map<string, number>();
    for (const entry of declared.declared as { symbol: string; epoch: string; lastSeq: number }[]) {
      seqs.set(entry.symbol, entry.lastSeq);
      state.epochs.set(entry.symbol, entry.epoch);
      state.accepted.set(entry.symbol, []);
    }
    for (const d of declarations) {
      state.declarations.set(d.symbol, d);
      cents.set(d.symbol, Math.round(d.refPrice * 100));
    }
    while (ctx.running() && socket.connected) {
      if (rng.chance(0.15)) {
        const kind = rng.pick(HOSTILE_DECLARES);
        ledger.requests.add(`numbers declare ${kind}`);
        const reply = await ask(ctx, socket, `numbers declare ${kind}`, Events.declare, { symbols: [hostileDeclaration(kind, rng.pick(declarations))] });
        if (reply === null) continue;
        const refused = reply.ok === false ? (reply.error as { code: string }).code : (reply.rejected as { code: string }[] | undefined)?.[0]?.code;
        if (refused !== ErrorCode.BAD_REQUEST) ledger.violation('hostile-number-accepted', `declare with ${kind} → ${JSON.stringify(reply).slice(0, 160)}`, `declare ${kind}`);
        continue;
      }
      const symbol = rng.pick(symbols);
      const seq = (seqs.get(symbol) ?? 0) + 1;
      const price = Math.max(100, (cents.get(symbol) ?? 10_000) + rng.int(-20, 20));
      const valid: Tick = { symbol, seq, ts: Date.now(), price: price / 100, size: rng.int(1, 500), bid: (price - 1) / 100, ask: (price + 1) / 100 };
      // The hostile copies carry the valid tick's seq: had one been accepted, the valid one after it would be refused.
      const kinds = rng.sample(HOSTILE_TICKS, rng.int(1, 3));
      ledger.requests.add('numbers publish', 1);
      for (const kind of kinds) ledger.mutations.add(`numbers: ${kind}`);
      const reply = await ask(ctx, socket, 'numbers publish', Events.publish, { ticks: [...kinds.map((k) => hostileTick(k, valid)), valid] });
      if (reply === null) continue;
      if (reply.ok === false) {
        const code = (reply.error as { code: string }).code;
        if (!NUMBER_CODES.has(code)) ledger.violation('hostile-number-accepted', `publish with ${kinds.join(', ')} refused with ${code}`, `publish ${code}`);
        continue;
      }
      const rejected = new Map(((reply.rejected as { index: number; code: string }[] | undefined) ?? []).map((r) => [r.index, r.code]));
      kinds.forEach((kind, index) => {
        const code = rejected.get(index);
        if (code === undefined || !NUMBER_CODES.has(code)) ledger.violation('hostile-number-accepted', `tick with ${kind} ${code === undefined ? 'accepted' : `refused with ${code}`}`, `${kind} ${code}`);
        else ledger.replies.add(`numbers: ${code}`);
      });
      if (rejected.has(kinds.length)) {
        ledger.violation('publisher-failed', `a valid tick published after hostile copies was refused with ${rejected.get(kinds.length)}`, 'numbers valid');
      } else {
        seqs.set(symbol, seq);
        cents.set(symbol, price);
        state.accepted.get(symbol)?.push(valid);
      }
      await new Promise((resolve) => setTimeout(resolve, rng.int(0, 20)));
    }
  } finally {
    // Stays connected until the run ends, so its symbols stay its own for the state check.
    await waitForEnd(ctx);
    socket.disconnect();
  }
}

async function waitForEnd(ctx: AttackContext): Promise<void> {
  while (ctx.running()) await new Promise((resolve) => setTimeout(resolve, 100));
}

/**
 * F26: a second publisher with the ingest token that declares the steady
 * publisher's symbols (renamed, cheap, with and without `reset`), publishes
 * ticks of them and announces its own controllable feed status. Each of those
 * symbols must be refused `NOT_OWNER` in the declare and `NOT_DECLARED` or
 * `NOT_OWNER` in the publish; the feed's status stays the steady publisher's,
 * and no control command ever reaches this one.
 */
export async function usurper(rng: Rng, ctx: AttackContext, address: string, feedSource: string): Promise<void> {
  const { ledger } = ctx;
  while (ctx.running()) {
    const auth = rng.chance(0.5) ? { publisherId: `usurper-${rng.string(6)}` } : {};
    const socket = await connectPublisher(ctx, auth);
    if (socket === null) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      continue;
    }
    socket.on(Events.control, (command: unknown, ack: unknown) => {
      ledger.violation('owner-bypassed', `a control command reached a publisher that does not own the feed: ${JSON.stringify(command).slice(0, 100)}`, 'control');
      if (typeof ack === 'function') (ack as (reply: unknown) => void)({ ok: false, error: { code: ErrorCode.INTERNAL, message: 'not mine' } });
    });
    for (let round = rng.int(5, 30); round > 0 && ctx.running() && socket.connected; round--) {
      const targets = rng.sample(ctx.healthySymbols, rng.int(1, 4));
      const action = rng.weighted({ declare: 4, publish: 4, status: 2 });
      ledger.requests.add(`usurper ${action}`);
      if (action === 'declare') {
        const symbols = targets.map((symbol): SymbolDeclaration => ({ symbol, name: 'Hijacked', kind: 'equity', currency: 'USD', tickSize: rng.pick([0.01, 1]), refPrice: 1 }));
        const reply = await ask(ctx, socket, 'usurper declare', Events.declare, { symbols, ...(rng.chance(0.5) ? { reset: true, reason: 'usurper' } : {}) });
        if (reply?.ok === true) {
          const won = ((reply.declared as { symbol: string }[] | undefined) ?? []).filter((d) => targets.includes(d.symbol));
          if (won.length > 0) ledger.violation('owner-bypassed', `declare of another publisher's ${won.map((d) => d.symbol).join(', ')} accepted`, 'declare');
          for (const r of (reply.rejected as { symbol: string; code: string }[] | undefined) ?? []) {
            if (r.code !== ErrorCode.NOT_OWNER) ledger.violation('owner-bypassed', `declare of another publisher's ${r.symbol} refused with ${r.code}, not NOT_OWNER`, `declare ${r.code}`);
            else ledger.replies.add('usurper: NOT_OWNER');
          }
        } else if (reply !== null) {
          ledger.violation('owner-bypassed', `declare of another publisher's symbols answered ${JSON.stringify(reply).slice(0, 120)}, not NOT_OWNER per symbol`, 'declare error');
        }
      } else if (action === 'publish') {
        const ticks = targets.map((symbol) => ({ symbol, seq: rng.int(1, 1_000_000), ts: Date.now(), price: 1, size: 1, bid: 0.99, ask: 1.01 }));
        const reply = await ask(ctx, socket, 'usurper publish', Events.publish, { ticks });
        if (reply?.ok === true) {
          const rejected = new Map(((reply.rejected as { index: number; code: string }[] | undefined) ?? []).map((r) => [r.index, r.code]));
          ticks.forEach((tick, index) => {
            const code = rejected.get(index);
            if (code !== ErrorCode.NOT_DECLARED && code !== ErrorCode.NOT_OWNER) ledger.violation('owner-bypassed', `tick of another publisher's ${tick.symbol} ${code === undefined ? 'accepted' : `refused with ${code}`}`, `publish ${code}`);
          });
        }
      } else {
        const status: FeedStatus = { mode: 'replay', state: 'playing', speed: 1, clock: Date.now(), loop: false, completions: 0, marker: null, source: `usurper ${rng.string(4)}`, controllable: true };
        socket.emit(Events.status, status);
        // The status has no ack; what the feed says afterwards is the verdict.
        const feed = await getJson<FeedStatus>(`${ctx.url}/api/feed`, ctx.ackTimeoutMs, forwardedFor(address));
        if (feed.status === 200 && feed.body.source !== feedSource) ledger.violation('owner-bypassed', `the feed status became ${JSON.stringify(feed.body).slice(0, 120)} after another publisher announced one`, 'status');
      }
    }
    socket.disconnect();
  }
}
