import http from 'node:http';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { io, type Socket } from 'socket.io-client';
import { ErrorCode, Events, INGEST_NAMESPACE } from '@tickfeed/protocol';
import { consumerRequest, ingestRequest, junkValue, type FuzzRequest, type Vocabulary } from './junk.js';
import { isCatalogCode, type Ledger, type ViolationKind } from './ledger.js';
import { rawAttack } from './raw-frames.js';
import { RawSocket, type RawAck } from './raw-socket.js';
import { restCase, type RestCase } from './rest-cases.js';
import { forwardedFor, type EdgeLimits } from './edge-attackers.js';
import { sendRest, type RestResult } from './http.js';
import type { Rng } from './rng.js';

/*
 * The attackers of a fuzz run. Each loops until the run stops, reconnecting
 * whenever the server drops it, and writes what it sent and got into the
 * ledger (F2, F6, F7).
 */

export interface AttackContext {
  url: string;
  ingestToken: string;
  adminToken: string;
  ledger: Ledger;
  /** What consumer-namespace attackers may name. */
  consumerVocab: Vocabulary;
  /** What authenticated publishers may name: their own symbols, and the healthy ones they must not publish. */
  ingestVocab: Vocabulary;
  healthySymbols: readonly string[];
  maxPayloadBytes: number;
  bodyLimitBytes: number;
  ackTimeoutMs: number;
  running: () => boolean;
  /** Requests per second of each flood burst. */
  floodRates: number[];
  /** The target's edge limits, when the fuzz configured them (in-process): the edge attacks run only then. */
  edge?: EdgeLimits;
  /** The steady publisher owns the feed status: a control command reaching an attacker breaks R48 (F26). */
  steadyOwnsFeed: boolean;
}

// Attackers send arbitrary events: the untyped socket is the point here.
type AnySocket = Socket;

const MAX_IN_FLIGHT = 16;
/**
 * How long a REST request may take before it counts as unanswered: longer
 * than the server's wait for a publisher's control reply (5 s), which a
 * silent attacking publisher makes it sit out.
 */
const REST_TIMEOUT_MS = 15_000;

/** socket.io-client attacker on the consumer namespace or (with the right token) on /ingest. */
export async function socketAttacker(rng: Rng, ctx: AttackContext, kind: 'consumer' | 'ingest', address: string): Promise<void> {
  const { ledger } = ctx;
  const vocab = kind === 'consumer' ? ctx.consumerVocab : ctx.ingestVocab;
  while (ctx.running()) {
    const socket: AnySocket = io(kind === 'consumer' ? ctx.url : `${ctx.url}${INGEST_NAMESPACE}`, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      extraHeaders: forwardedFor(address),
      ...(kind === 'ingest' ? { auth: { token: ctx.ingestToken } } : {}),
    });
    const connected = await connectOutcome(socket);
    if (connected !== null) {
      ledger.refusals.add(`${kind} (valid): ${connected}`);
      socket.close();
      await retryPause();
      continue;
    }
    ledger.notes.add(`${kind} attacker connections`);
    let oversizeSent = false;
    let reason: string | null = null;
    socket.on('disconnect', (r: string) => (reason = r));
    if (kind === 'ingest') answerControlWithJunk(rng, ctx, socket, vocab);

    const inFlight = new Set<Promise<void>>();
    while (ctx.running() && socket.connected) {
      const request = kind === 'consumer' ? consumerRequest(rng, vocab) : ingestRequest(rng, vocab);
      ledger.requests.add(`${kind} ${eventLabel(request.event)}`);
      ledger.mutations.add(request.mutation);
      if (request.oversize) oversizeSent = true;
      if (!request.withAck) {
        emitSafely(ledger, () => socket.emit(request.event, ...request.args));
        await yieldToLoop();
        continue;
      }
      const settled = new Promise<void>((resolve) => {
        const sent = emitSafely(ledger, () =>
          socket.timeout(ctx.ackTimeoutMs).emit(request.event, ...request.args, (error: Error | null, reply: unknown) => {
            judgeSocketAck(ctx, kind, request, error, reply, socket.connected);
            resolve();
          }),
        );
        if (!sent) resolve();
      });
      inFlight.add(settled);
      void settled.then(() => inFlight.delete(settled));
      if (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
      else await yieldToLoop();
    }
    await Promise.all(inFlight);
    if (socket.connected) {
      socket.disconnect();
    } else {
      ledger.disconnects.add(`${kind}: ${reason ?? 'unknown'}${oversizeSent ? ' (after an oversize message)' : ''}`);
    }
  }
}

/** F2 and F7 on one ack of a socket.io-client attacker. */
function judgeSocketAck(ctx: AttackContext, kind: string, request: FuzzRequest, error: Error | null, reply: unknown, stillConnected: boolean): void {
  const { ledger } = ctx;
  const what = `${kind} ${eventLabel(request.event)} (${request.mutation})`;
  if (error !== null) {
    if (!stillConnected || /disconnected/.test(error.message)) {
      ledger.replies.add('(disconnected)');
      return;
    }
    if (kind === 'ingest' && request.event === Events.status) {
      // `status` has no ack in the contract: an unanswered one is dropped with a log line (R9).
      ledger.notes.add('status sent with an ack: unanswered (status has no ack in the contract)');
      return;
    }
    ledger.violation('no-reply', `${what}: no ack within ${ctx.ackTimeoutMs} ms while connected`, `${kind} ${request.event} ${request.mutation}`);
    return;
  }
  if (request.oversize) {
    ledger.violation('oversize-accepted', `${what}: a message over ${ctx.maxPayloadBytes} bytes was answered`);
    return;
  }
  const verdict = ledger.reply(what, reply);
  if (verdict.kind === 'ok' && request.undeclaredIndexes.length > 0) {
    const rejected = (reply as { rejected?: { index?: unknown; code?: unknown }[] }).rejected ?? [];
    for (const index of request.undeclaredIndexes) {
      const entry = rejected.find((r) => r.index === index);
      if (entry?.code !== ErrorCode.NOT_DECLARED) {
        ledger.violation('undeclared-accepted', `${what}: tick ${index} of a symbol this publisher never declared was ${entry === undefined ? 'accepted' : `rejected with ${String(entry.code)}`}`);
      }
    }
  }
}

/**
 * A publisher that owns a controllable feed gets control commands: answer
 * them badly. While the steady publisher owns the feed, none may arrive (R48).
 */
function answerControlWithJunk(rng: Rng, ctx: AttackContext, socket: AnySocket, vocab: Vocabulary): void {
  socket.on(Events.control, (command: unknown, ack: unknown) => {
    if (ctx.steadyOwnsFeed) ctx.ledger.violation('owner-bypassed', `a control command reached an attacking publisher: ${JSON.stringify(command).slice(0, 100)}`, 'control');
    if (typeof ack !== 'function') return;
    const answer = rng.weighted({ junk: 4, silent: 1, valid: 2, error: 2 });
    if (answer === 'silent') return;
    if (answer === 'junk') ack(junkValue(rng, vocab));
    else if (answer === 'error') ack({ ok: false, error: { code: rng.pick(['NOPE', ErrorCode.INTERNAL, 42]), message: 'x' } });
    else ack({ ok: true, status: { mode: 'replay', state: 'paused', speed: 1, clock: null, loop: false, completions: 0, marker: null, source: 'fuzz', controllable: true } });
  });
}

/** Publishers with wrong tokens: every attempt must be refused (F7). */
export async function badTokenAttacker(rng: Rng, ctx: AttackContext, address: string): Promise<void> {
  const { ledger } = ctx;
  const token = ctx.ingestToken;
  while (ctx.running()) {
    const auth = rng.pick<Record<string, unknown> | undefined>([
      undefined,
      {},
      { token: '' },
      { token: 'wrong' },
      { token: token.toUpperCase() === token ? `${token}x` : token.toUpperCase() },
      { token: ` ${token}` },
      { token: `${token}\u0000` },
      { token: token.slice(0, -1) },
      { token: `${token}${token}` },
      { token: 12345 },
      { token: [token] },
      { token: { value: token } },
      { token: null },
      { Token: token },
      { token: 'x'.repeat(100_000) },
    ]);
    ledger.requests.add('bad-token connect');
    const socket: AnySocket = io(`${ctx.url}${INGEST_NAMESPACE}`, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      extraHeaders: forwardedFor(address),
      ...(auth !== undefined ? { auth } : {}),
    });
    const refused = await connectOutcome(socket);
    if (refused === null) ledger.violation('unauthorized-accepted', `/ingest accepted auth ${JSON.stringify(auth)?.slice(0, 80)}`);
    else ledger.refusals.add(`ingest (bad token): ${refused}`);
    socket.close();
  }
}

/** Raw WebSocket attacker: malformed Engine.IO / Socket.IO frames, each followed by a probe (F2). */
export async function rawAttacker(rng: Rng, ctx: AttackContext, address: string): Promise<void> {
  const { ledger } = ctx;
  while (ctx.running()) {
    const ingest = rng.chance(0.35);
    let raw: RawSocket;
    try {
      raw = await RawSocket.connect({ url: ctx.url, namespace: ingest ? INGEST_NAMESPACE : '/', auth: ingest ? { token: ctx.ingestToken } : undefined, headers: forwardedFor(address) });
    } catch (error) {
      ledger.notes.add(`raw handshake failed: ${(error as Error).message}`);
      await retryPause();
      continue;
    }
    if (raw.connectResult?.ok !== true) {
      ledger.refusals.add(`raw ${ingest ? 'ingest' : 'consumer'} (valid): ${raw.connectResult?.ok === false ? raw.connectResult.message : 'no reply'}`);
      await raw.leave('destroy');
      await retryPause();
      continue;
    }
    const symbols = ingest ? [...ctx.ingestVocab.ownSymbols, ...ctx.healthySymbols] : [...ctx.healthySymbols, 'NOPE'];
    while (ctx.running() && raw.open) {
      const attack = rawAttack(rng, { nsp: ingest ? `${INGEST_NAMESPACE},` : '', symbols, maxPayloadBytes: ctx.maxPayloadBytes, nextAckId: () => raw.takeAckId() });
      ledger.requests.add(`raw ${attack.kind}`);
      const label = `raw ${attack.kind}`;
      if (attack.ackId !== null) {
        const [first, ...rest] = attack.frames;
        const pending = raw.sendWithAck(attack.ackId, first ?? '', ctx.ackTimeoutMs);
        for (const frame of rest) raw.sendRaw(frame);
        judgeRawAck(ctx, label, attack.oversize, await pending, raw.open);
      } else {
        for (const frame of attack.frames) raw.sendRaw(frame);
      }
      if (!raw.open) {
        ledger.rawOutcomes.add(`${attack.kind}: closed ${raw.closed?.code ?? '?'}`);
        break;
      }
      // The probe: an unknown event with an ack. Answered means the connection survived the junk.
      const probe = await raw.emitWithAck('fuzz-probe', [], ctx.ackTimeoutMs);
      if (probe.kind === 'ack') {
        if (attack.oversize) ledger.violation('oversize-accepted', `${label}: connection still served after a frame over ${ctx.maxPayloadBytes} bytes`);
        ledger.rawOutcomes.add(`${attack.kind}: survived`);
      } else if (probe.kind === 'closed') {
        ledger.rawOutcomes.add(`${attack.kind}: closed ${probe.close.code}`);
      } else if (raw.open) {
        ledger.violation('no-reply', `${label}: the connection neither answered a probe nor closed within ${ctx.ackTimeoutMs} ms`);
        ledger.rawOutcomes.add(`${attack.kind}: hung`);
      }
    }
    if (raw.open) {
      await raw.leave(rng.pick(['disconnect', 'destroy', 'reset'] as const));
    } else {
      ledger.disconnects.add(`raw: ${raw.closed?.code ?? '?'}${raw.closed?.reason && raw.closed.reason !== 'closed' ? ` ${raw.closed.reason}` : ''}`);
    }
  }
}

function judgeRawAck(ctx: AttackContext, label: string, oversize: boolean, result: RawAck, open: boolean): void {
  const { ledger } = ctx;
  if (result.kind === 'ack') {
    if (oversize) ledger.violation('oversize-accepted', `${label}: a frame over ${ctx.maxPayloadBytes} bytes was answered`);
    else ledger.reply(label, result.args[0]);
  } else if (result.kind === 'closed') {
    ledger.replies.add('(disconnected)');
  } else if (open) {
    ledger.violation('no-reply', `${label}: no ack within ${ctx.ackTimeoutMs} ms while connected`);
  }
}

/** Thousands of requests per second from one socket: socket.io-client bursts, and raw frame bursts. */
export async function flooder(rng: Rng, ctx: AttackContext, address: string): Promise<void> {
  while (ctx.running()) {
    if (rng.chance(0.5)) await clientFlood(rng, ctx, address);
    else await rawFlood(rng, ctx, address);
  }
}

/**
 * A pause between bursts: the server shares its one event loop (in-process,
 * also with every other attacker), so an endless flood would starve the rest
 * of the fuzz. Each burst still comes at thousands of requests per second.
 */
function floodPause(ctx: AttackContext): Promise<void> {
  return ctx.running() ? new Promise((resolve) => setTimeout(resolve, 250)) : Promise.resolve();
}

async function clientFlood(rng: Rng, ctx: AttackContext, address: string): Promise<void> {
  const { ledger } = ctx;
  const socket: AnySocket = io(ctx.url, { transports: ['websocket'], forceNew: true, reconnection: false, extraHeaders: forwardedFor(address) });
  const refused = await connectOutcome(socket);
  if (refused !== null) {
    ledger.refusals.add(`flood (valid): ${refused}`);
    socket.close();
    await retryPause();
    return;
  }
  while (ctx.running() && socket.connected) {
    const n = rng.pick([500, 1_000, 2_000]);
    const started = performance.now();
    const replies: Promise<void>[] = [];
    for (let i = 0; i < n; i++) {
      const event = rng.chance(0.7) ? Events.subscribe : Events.unsubscribe;
      ledger.requests.add(`flood ${event}`);
      replies.push(
        new Promise<void>((resolve) => {
          socket.timeout(ctx.ackTimeoutMs).emit(event, { symbols: rng.sample(ctx.healthySymbols, rng.int(1, 3)) }, (error: Error | null, reply: unknown) => {
            if (error === null) ledger.reply(`flood ${event}`, reply);
            else if (socket.connected) ledger.violation('no-reply', `flood ${event}: no ack within ${ctx.ackTimeoutMs} ms while connected`);
            else ledger.replies.add('(disconnected)');
            resolve();
          });
        }),
      );
    }
    await Promise.all(replies);
    ctx.floodRates.push(n / ((performance.now() - started) / 1000));
    await floodPause(ctx);
  }
  socket.disconnect();
}

async function rawFlood(rng: Rng, ctx: AttackContext, address: string): Promise<void> {
  const { ledger } = ctx;
  let raw: RawSocket;
  try {
    raw = await RawSocket.connect({ url: ctx.url, headers: forwardedFor(address) });
  } catch (error) {
    ledger.notes.add(`raw handshake failed: ${(error as Error).message}`);
    await retryPause();
    return;
  }
  for (let round = 0; round < 5 && ctx.running() && raw.open; round++) {
    const n = rng.pick([1_000, 3_000, 5_000]);
    const started = performance.now();
    const pending: Promise<RawAck>[] = [];
    for (let i = 0; i < n; i++) {
      const unknown = rng.chance(0.3);
      ledger.requests.add(unknown ? 'raw-flood unknown' : 'raw-flood subscribe');
      pending.push(unknown ? raw.emitWithAck('flood', [i], ctx.ackTimeoutMs) : raw.emitWithAck(Events.subscribe, [{ symbols: [rng.pick(ctx.healthySymbols)] }], ctx.ackTimeoutMs));
    }
    for (const result of await Promise.all(pending)) judgeRawAck(ctx, 'raw-flood', false, result, raw.open);
    ctx.floodRates.push(n / ((performance.now() - started) / 1000));
    await floodPause(ctx);
  }
  if (raw.open) await raw.leave('destroy');
  else ledger.disconnects.add(`raw-flood: ${raw.closed?.code ?? '?'}`);
}

/**
 * REST attacker: hostile requests at every route, one at a time (F6, F7),
 * each from one of many client addresses behind the proxy (`address()`), so
 * the per-address REST rate limit leaves most of them through. An
 * X-Forwarded-For the case writes itself stays on the left, as a proxy that
 * appends would pass it.
 */
export async function restAttacker(rng: Rng, ctx: AttackContext, address: () => string): Promise<void> {
  const { ledger } = ctx;
  const base = new URL(ctx.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    while (ctx.running()) {
      const request = restCase(rng, { healthySymbols: ctx.healthySymbols, adminToken: ctx.adminToken, bodyLimitBytes: ctx.bodyLimitBytes });
      Object.assign(request.headers, forwardedFor(address(), request.headers['x-forwarded-for']));
      ledger.requests.add(`rest ${request.method} ${request.route}`);
      // A request the HTTP parser may refuse (huge headers) gets a connection of its own: the server closes it after the refusal.
      const headerBytes = Object.entries(request.headers).reduce((n, [k, v]) => n + k.length + v.length, request.path.length);
      let result = await sendRest(base, request, headerBytes > 8_000 ? false : agent, REST_TIMEOUT_MS);
      // A kept-alive connection the server just closed fails at once: retry once on a fresh one.
      if (result.kind === 'failed' && result.reason === 'ECONNRESET') result = await sendRest(base, request, false, REST_TIMEOUT_MS);
      const verdict = judgeRest(request, result);
      ledger.restStatus.add(result.kind === 'response' ? String(result.status) : `no response (${result.reason})`);
      for (const note of verdict.notes) ledger.notes.add(note);
      for (const v of verdict.violations) ledger.violation(v.kind, v.detail, v.signature);
    }
  } finally {
    agent.destroy();
  }
}

/**
 * F6 and F7 on one REST answer: no 5xx (except /readyz's 503), every 4xx of
 * the API with a catalog code, and no control command through without the admin token.
 */
export function judgeRest(request: RestCase, result: RestResult): { violations: { kind: ViolationKind; detail: string; signature: string }[]; notes: string[] } {
  const violations: { kind: ViolationKind; detail: string; signature: string }[] = [];
  const notes: string[] = [];
  const where = `${request.method} ${request.path.slice(0, 100)}`;
  if (result.kind === 'failed') {
    // A reset after a refusal (e.g. 431) is how HTTP ends a bad connection; silence until the timeout is not.
    if (result.reason === 'timeout') violations.push({ kind: 'no-reply', detail: `${where}: no HTTP answer in time`, signature: `${request.method} ${request.route}` });
    else notes.push(`rest: no response (${result.reason}) to ${request.method} ${request.route}`);
    return { violations, notes };
  }
  const { status, body } = result;
  if (status >= 500 && !(status === 503 && request.path.startsWith('/readyz'))) {
    violations.push({ kind: 'rest-5xx', detail: `${where} → ${status} ${body.slice(0, 200)}`, signature: `${request.route} ${status}` });
  }
  if (request.expect === 'unauthorized' && ((status >= 200 && status < 300) || status === 409)) {
    violations.push({ kind: 'unauthorized-accepted', detail: `${where} without the admin token → ${status}`, signature: String(status) });
  }
  if (request.expect === 'authorized') notes.push(`control with the admin token → ${status}`);
  // Engine.IO's endpoint speaks its own protocol; 431 comes from the HTTP parser before any route; HEAD has no body.
  const coded = status >= 400 && status < 500 && status !== 431 && request.method !== 'HEAD' && request.route !== '/socket.io/';
  if (coded && !hasCatalogCode(body)) {
    violations.push({ kind: 'rest-uncoded', detail: `${where} → ${status} ${body.slice(0, 200)}`, signature: `${status} ${/"code":"([A-Z_]+)"/.exec(body)?.[1] ?? body.slice(0, 40)}` });
  }
  return { violations, notes };
}

function hasCatalogCode(body: string): boolean {
  try {
    const parsed = JSON.parse(body) as { ok?: unknown; error?: { code?: unknown } };
    return parsed.ok === false && isCatalogCode(parsed.error?.code);
  } catch {
    return false;
  }
}

/** After a refused or failed connection: not a tight loop of reconnects against a server that refuses. */
function retryPause(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 100));
}

/** null once connected, else the refusal's message. */
function connectOutcome(socket: AnySocket): Promise<string | null> {
  return new Promise((resolve) => {
    socket.once('connect', () => resolve(null));
    socket.once('connect_error', (error: Error) => resolve(error.message.slice(0, 120) || 'refused'));
  });
}

/** socket.io-client refuses some event names itself (reserved): that is not the server's answer. */
function emitSafely(ledger: Ledger, emit: () => void): boolean {
  try {
    emit();
    return true;
  } catch (error) {
    ledger.notes.add(`socket.io-client refused to send: ${(error as Error).message.slice(0, 60)}`);
    return false;
  }
}

/** Event names for the summary: the contract's as they are, odd ones grouped. */
export function eventLabel(event: string): string {
  const known: readonly string[] = Object.values(Events);
  if (known.includes(event) || event === 'error') return event;
  return '(unknown event)';
}
