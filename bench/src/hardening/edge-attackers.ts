import http from 'node:http';
import { ErrorCode, SOCKET_PATH } from '@tickfeed/protocol';
import { sendRest, type RestResult } from './http.js';
import { isCatalogCode } from './ledger.js';
import { HandshakeRefused, RawSocket } from './raw-socket.js';
import type { AttackContext } from './attackers.js';
import type { RestCase } from './rest-cases.js';
import type { Rng } from './rng.js';

/*
 * Attacks on what stands before any message is read (F20–F22, F24): the
 * per-address connection count and its release, spoofed X-Forwarded-For
 * entries, foreign Host headers, Engine.IO sessions that never join, and the
 * REST rate limit's exemptions. They need the target's limits, so they run
 * against the in-process server only.
 *
 * The fuzz server trusts loopback as its proxy: each attacker here is a
 * client "behind" it with an address of its own (the right-most
 * X-Forwarded-For entry), so one address's caps are this attacker's alone
 * and an exact count can be expected of them.
 */

/** The target's edge limits, as the fuzz configured them. */
export interface EdgeLimits {
  /** MAX_CONNECTIONS_PER_IP. */
  connectionsPerIp: number;
  /** MAX_PENDING_SESSIONS_PER_IP. */
  pendingPerIp: number;
  /** CONNECT_TIMEOUT_MS. */
  connectTimeoutMs: number;
  /** REST_RATE_LIMIT, requests per address per minute. */
  restPerMin: number;
}

/** How much later than CONNECT_TIMEOUT_MS a session that never joins may still be open: the fuzz keeps the loop busy. */
const TIMEOUT_SLACK_MS = 5_000;
/** REST requests the rate-limit attacker keeps in flight at once. */
const REST_BATCH = 10;
/** How long a fresh client may be refused after its address's connections closed (their closes are handled asynchronously). */
const RELEASE_WAIT_MS = 5_000;

/** The headers a trusted proxy passes for a client at `address`, with what the client wrote itself on the left. */
export function forwardedFor(address: string, spoofed?: string): Record<string, string> {
  return { 'x-forwarded-for': spoofed === undefined ? address : `${spoofed}, ${address}` };
}

/** A client-written X-Forwarded-For value: one or several made-up entries, or junk. */
function spoofedEntries(rng: Rng): string {
  const ip = () => `${rng.int(1, 223)}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
  return rng.pick([ip(), `${ip()}, ${ip()}`, '127.0.0.1', '::1', `${ip()},${ip()},${ip()}`, 'unknown', '10.0.0.1, 127.0.0.1']);
}

/**
 * The catalog code an Engine.IO refusal names, or null: a refused polling
 * handshake answers `{"code":4,"message":"RATE_LIMITED: …"}`, a refused
 * WebSocket upgrade (always 400 in engine.io) the message as plain text.
 */
export function engineRefusalCode(body: string): string | null {
  let message: unknown = body;
  try {
    message = (JSON.parse(body) as { message?: unknown }).message;
  } catch {
    // Plain text: an upgrade's refusal.
  }
  const code = typeof message === 'string' ? /^([A-Z_]+):/.exec(message)?.[1] : undefined;
  return code !== undefined && isCatalogCode(code) ? code : null;
}

/** The catalog code of a REST error body, or null. */
function restCode(body: string): string | null {
  try {
    const parsed = JSON.parse(body) as { ok?: unknown; error?: { code?: unknown } };
    return parsed.ok === false && isCatalogCode(parsed.error?.code) ? (parsed.error?.code as string) : null;
  } catch {
    return null;
  }
}

function get(ctx: AttackContext, path: string, headers: Record<string, string>, agent: http.Agent | false = false): Promise<RestResult> {
  const request: RestCase = { method: 'GET', path, headers, route: path, expect: 'any' };
  return sendRest(new URL(ctx.url), request, agent, ctx.ackTimeoutMs);
}

type Consumer = { kind: 'open'; raw: RawSocket } | { kind: 'refused'; code: string | null; detail: string } | { kind: 'failed'; detail: string };

/** A Socket.IO consumer connection over a raw WebSocket: open, refused at the handshake or the namespace (with its code), or failed. */
async function openConsumer(ctx: AttackContext, headers: Record<string, string>): Promise<Consumer> {
  try {
    const raw = await RawSocket.connect({ url: ctx.url, headers, connectTimeoutMs: ctx.ackTimeoutMs });
    if (raw.connectResult?.ok === true) return { kind: 'open', raw };
    const message = raw.connectResult?.ok === false ? raw.connectResult.message : 'no reply';
    void raw.leave('destroy');
    const code = /^([A-Z_]+)/.exec(message)?.[1];
    return { kind: 'refused', code: code !== undefined && isCatalogCode(code) ? code : null, detail: message };
  } catch (error) {
    if (error instanceof HandshakeRefused) return { kind: 'refused', code: engineRefusalCode(error.body), detail: `${error.status} ${error.body.slice(0, 100)}` };
    return { kind: 'failed', detail: (error as Error).message };
  }
}

/**
 * F20: a fresh consumer from `address` is let in once its earlier
 * connections have closed; retried while their releases may be pending.
 */
export async function admitsFreshClient(ctx: AttackContext, address: string): Promise<{ ok: boolean; last: string }> {
  const deadline = performance.now() + RELEASE_WAIT_MS;
  let last = '';
  for (;;) {
    const result = await openConsumer(ctx, forwardedFor(address));
    if (result.kind === 'open') {
      await result.raw.leave('disconnect');
      return { ok: true, last: 'accepted' };
    }
    last = `${result.kind}: ${result.detail}`;
    if (performance.now() >= deadline) return { ok: false, last };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export type AbruptVariant = 'reset-after-connect' | 'reset-after-40' | 'close-after-40' | 'junk-after-40' | 'polling-40-close';

/**
 * F20: connections that end abruptly right after the namespace connect, more
 * of them than the address's cap; then a fresh client from the same address
 * must be let in. Every step's answer is coded or the connection's own end.
 */
export async function abruptCloser(rng: Rng, ctx: AttackContext, address: string): Promise<void> {
  const { ledger } = ctx;
  const limits = ctx.edge;
  if (limits === undefined) return;
  const headers = forwardedFor(address);
  while (ctx.running()) {
    // One more than the cap: had every close leaked its count, the address would now be locked out.
    for (let i = 0; i <= limits.connectionsPerIp && ctx.running(); i++) {
      const variant = rng.weighted<AbruptVariant>({ 'reset-after-connect': 3, 'reset-after-40': 3, 'close-after-40': 3, 'junk-after-40': 3, 'polling-40-close': 3 });
      ledger.requests.add(`abrupt ${variant}`);
      ledger.rawOutcomes.add(`abrupt ${variant}: ${await abruptClose(rng, ctx, variant, headers)}`);
    }
    ledger.requests.add('abrupt fresh client');
    const fresh = await admitsFreshClient(ctx, address);
    if (!fresh.ok) ledger.violation('address-locked', `a fresh client from ${address} was refused ${RELEASE_WAIT_MS} ms after its abrupt closes: ${fresh.last}`, 'abrupt');
  }
}

async function abruptClose(rng: Rng, ctx: AttackContext, variant: AbruptVariant, headers: Record<string, string>): Promise<string> {
  const { ledger } = ctx;
  if (variant === 'polling-40-close') {
    const handshake = await get(ctx, `${SOCKET_PATH}?EIO=4&transport=polling`, headers);
    if (handshake.kind !== 'response') return noAnswer(ctx, variant, handshake.reason);
    if (handshake.status !== 200) return refusedHandshake(ctx, variant, handshake.status, handshake.body);
    const sid = /"sid":"([^"]+)"/.exec(handshake.body)?.[1];
    if (sid === undefined) {
      ledger.violation('bad-reply', `${variant}: handshake without a session id: ${handshake.body.slice(0, 100)}`, variant);
      return 'no session id';
    }
    const post: RestCase = {
      method: 'POST',
      path: `${SOCKET_PATH}?EIO=4&transport=polling&sid=${encodeURIComponent(sid)}`,
      headers: { ...headers, 'content-type': 'text/plain;charset=UTF-8' },
      body: '40\x1e1',
      route: SOCKET_PATH,
      expect: 'any',
    };
    const posted = await sendRest(new URL(ctx.url), post, false, ctx.ackTimeoutMs);
    return posted.kind === 'response' ? `posted ${posted.status}` : noAnswer(ctx, variant, posted.reason);
  }
  let raw: RawSocket;
  try {
    raw = await RawSocket.connect({ url: ctx.url, headers, namespace: variant === 'reset-after-connect' ? '/' : null, connectTimeoutMs: ctx.ackTimeoutMs });
  } catch (error) {
    if (error instanceof HandshakeRefused) return refusedHandshake(ctx, variant, error.status, error.body);
    return noAnswer(ctx, variant, (error as Error).message);
  }
  switch (variant) {
    case 'reset-after-connect': {
      const result = raw.connectResult;
      await raw.leave('reset');
      if (result?.ok === true) return 'connected, reset';
      const message = result?.ok === false ? result.message : 'no reply';
      if (!isCatalogCode(/^([A-Z_]+)/.exec(message)?.[1])) ledger.violation('bad-reply', `${variant}: namespace refusal without a catalog code: ${message.slice(0, 100)}`, variant);
      return `refused ${message.slice(0, 40)}`;
    }
    case 'reset-after-40':
      raw.sendRaw('40');
      await raw.leave('reset');
      return 'reset';
    case 'close-after-40':
      raw.sendRaw('40');
      await raw.leave('close');
      return 'closed';
    case 'junk-after-40': {
      raw.sendRaw('40');
      raw.sendRaw(rng.pick(['42[broken', 'zzz', '4{', '42["subscribe",{"symbols":[1e999]}', '\u0000']));
      // A parse error ends the connection on the server's side; anything else is answered and left open.
      const closed = await Promise.race([raw.whenClosed(), new Promise<null>((resolve) => setTimeout(() => resolve(null), ctx.ackTimeoutMs))]);
      if (closed === null) {
        await raw.leave('reset');
        return 'still open, reset';
      }
      return `closed ${closed.code}`;
    }
  }
}

function refusedHandshake(ctx: AttackContext, what: string, status: number, body: string): string {
  const code = engineRefusalCode(body);
  if (code === null) ctx.ledger.violation('bad-reply', `${what}: handshake refused ${status} without a catalog code: ${body.slice(0, 100)}`, `${what} ${status}`);
  return `handshake refused ${status} ${code ?? '?'}`;
}

function noAnswer(ctx: AttackContext, what: string, reason: string): string {
  if (reason === 'timeout' || /timed out/.test(reason)) ctx.ledger.violation('no-reply', `${what}: no answer within ${ctx.ackTimeoutMs} ms (${reason})`, what);
  return `no answer (${reason.slice(0, 40)})`;
}

/**
 * F21: a client behind the trusted proxy writes its own X-Forwarded-For
 * entries, different on every connection; its Socket.IO connections and SSE
 * streams together must stop at MAX_CONNECTIONS_PER_IP, refused
 * `RATE_LIMITED`. And handshakes and streams naming a foreign Host are refused
 * with 403, whatever their Origin.
 */
export async function spoofer(rng: Rng, ctx: AttackContext, address: string): Promise<void> {
  const { ledger } = ctx;
  const limits = ctx.edge;
  if (limits === undefined) return;
  while (ctx.running()) {
    const held: (() => void)[] = [];
    let accepted = 0;
    const attempts = limits.connectionsPerIp + rng.int(1, 4);
    for (let i = 0; i < attempts && ctx.running(); i++) {
      const headers = forwardedFor(address, spoofedEntries(rng));
      if (rng.chance(0.6)) {
        ledger.requests.add('spoof consumer');
        const result = await openConsumer(ctx, headers);
        if (result.kind === 'open') {
          accepted++;
          held.push(() => void result.raw.leave('destroy'));
        } else if (result.kind === 'refused') {
          ledger.refusals.add(`spoof consumer: ${result.code ?? result.detail.slice(0, 60)}`);
          if (result.code !== ErrorCode.RATE_LIMITED) ledger.violation('bad-reply', `spoofed consumer refused without RATE_LIMITED: ${result.detail.slice(0, 100)}`, `spoof ${result.code}`);
        } else {
          ledger.notes.add(`spoof consumer failed: ${result.detail.slice(0, 60)}`);
        }
      } else {
        ledger.requests.add('spoof stream');
        const stream = await openStream(ctx, headers);
        if (stream.status === 200) {
          accepted++;
          held.push(stream.close);
        } else {
          stream.close();
          ledger.refusals.add(`spoof stream: ${stream.status} ${stream.code ?? ''}`);
          if (stream.status !== 429 || stream.code !== ErrorCode.RATE_LIMITED) ledger.violation('bad-reply', `spoofed stream answered ${stream.status} ${stream.body.slice(0, 100)}`, `spoof stream ${stream.status}`);
        }
      }
    }
    if (accepted > limits.connectionsPerIp) {
      ledger.violation('cap-bypassed', `${accepted} connections from ${address} accepted with rotating X-Forwarded-For entries; MAX_CONNECTIONS_PER_IP is ${limits.connectionsPerIp}`, 'spoof');
    }
    for (const close of held) close();
    await foreignHost(rng, ctx);
    // The next round starts once this one's connections are released.
    await admitsFreshClient(ctx, address);
  }
}

/** F21 (H25): a handshake or SSE stream naming a foreign Host is refused with 403, with or without a matching Origin. */
async function foreignHost(rng: Rng, ctx: AttackContext): Promise<void> {
  const { ledger } = ctx;
  const port = new URL(ctx.url).port;
  const name = rng.pick(['evil.example', 'rebind.example', 'localhost.evil.example', 'feed.example.', '127.0.0.1.nip.io']);
  const headers: Record<string, string> = { host: `${name}:${port}` };
  if (rng.chance(0.6)) headers.origin = `http://${name}:${port}`;
  const how = rng.pick(['polling', 'websocket', 'stream'] as const);
  ledger.requests.add(`foreign host ${how}`);
  let status: number;
  let detail: string;
  if (how === 'stream') {
    const stream = await openStream(ctx, headers);
    stream.close();
    status = stream.status;
    detail = stream.body;
  } else if (how === 'polling') {
    const result = await get(ctx, `${SOCKET_PATH}?EIO=4&transport=polling`, headers);
    status = result.kind === 'response' ? result.status : 0;
    detail = result.kind === 'response' ? result.body : result.reason;
  } else {
    try {
      const raw = await RawSocket.connect({ url: ctx.url, headers, namespace: null, connectTimeoutMs: ctx.ackTimeoutMs });
      await raw.leave('destroy');
      status = 101;
      detail = 'upgraded';
    } catch (error) {
      status = error instanceof HandshakeRefused ? error.status : 0;
      detail = error instanceof HandshakeRefused ? error.body : (error as Error).message;
    }
  }
  ledger.refusals.add(`foreign host ${how}: ${status}`);
  // engine.io answers every refused WebSocket upgrade with 400 and the reason as text; polling and SSE say 403.
  const refused = status === 403 || (how === 'websocket' && status === 400 && engineRefusalCode(detail) === ErrorCode.BAD_REQUEST);
  if (!refused) ledger.violation('host-accepted', `${how} with Host ${headers.host}${headers.origin === undefined ? '' : ` and Origin ${headers.origin}`} → ${status} ${detail.slice(0, 100)}`, `${how} ${status}`);
}

interface OpenedStream {
  status: number;
  code: string | null;
  body: string;
  close: () => void;
}

/** GET /api/stream of two healthy symbols; a 200 is held open (reading) until `close`, an error's body is read. */
function openStream(ctx: AttackContext, headers: Record<string, string>): Promise<OpenedStream> {
  const symbols = ctx.healthySymbols.slice(0, 2).join(',');
  return new Promise((resolve) => {
    const req = http.request(`${ctx.url}/api/stream?symbols=${symbols}`, { headers, agent: false, timeout: ctx.ackTimeoutMs }, (res) => {
      const status = res.statusCode ?? 0;
      const close = () => void req.destroy();
      if (status === 200) {
        res.resume();
        resolve({ status, code: null, body: '', close });
        return;
      }
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status, code: restCode(body), body, close }));
      res.on('error', () => resolve({ status, code: restCode(body), body, close }));
    });
    req.on('timeout', () => {
      req.destroy();
      resolve({ status: 0, code: null, body: 'timeout', close: () => undefined });
    });
    req.on('error', (error) => resolve({ status: 0, code: null, body: error.message, close: () => undefined }));
    req.end();
  });
}

/**
 * F22: bursts of Engine.IO sessions that never join a namespace, more than
 * MAX_PENDING_SESSIONS_PER_IP at once. Those over the cap are refused (403
 * `RATE_LIMITED`) or closed at once; at most the cap stay open, and the server
 * closes each within CONNECT_TIMEOUT_MS (plus slack for a busy loop).
 */
export async function pendingOpener(rng: Rng, ctx: AttackContext, address: string): Promise<void> {
  const { ledger } = ctx;
  const limits = ctx.edge;
  if (limits === undefined) return;
  const headers = forwardedFor(address);
  while (ctx.running()) {
    const n = limits.pendingPerIp + rng.int(1, 6);
    const started = performance.now();
    ledger.requests.add('pending session', n);
    const attempts = await Promise.all(
      Array.from({ length: n }, async (): Promise<RawSocket | null> => {
        try {
          return await RawSocket.connect({ url: ctx.url, headers, namespace: null, connectTimeoutMs: ctx.ackTimeoutMs });
        } catch (error) {
          if (error instanceof HandshakeRefused) refusedHandshake(ctx, 'pending session', error.status, error.body);
          ledger.refusals.add(`pending session: ${error instanceof HandshakeRefused ? `${error.status} ${engineRefusalCode(error.body) ?? '?'}` : (error as Error).message.slice(0, 60)}`);
          return null;
        }
      }),
    );
    const sessions = attempts.filter((s): s is RawSocket => s !== null);
    // Handshakes in flight together may pass the cap's check at once; the server closes the extra ones right away.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const open = sessions.filter((s) => s.open).length;
    if (open > limits.pendingPerIp) ledger.violation('pending-unbounded', `${open} sessions from one address open without joining; MAX_PENDING_SESSIONS_PER_IP is ${limits.pendingPerIp}`, 'cap');
    const deadline = limits.connectTimeoutMs + TIMEOUT_SLACK_MS;
    const closed = await Promise.all(
      sessions.map((s) => Promise.race([s.whenClosed().then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), Math.max(0, started + deadline - performance.now())))])),
    );
    const lingering = closed.filter((c) => !c).length;
    if (lingering > 0) ledger.violation('pending-unbounded', `${lingering} sessions that never joined a namespace still open ${deadline} ms after their handshake (CONNECT_TIMEOUT_MS ${limits.connectTimeoutMs})`, 'timeout');
    ledger.rawOutcomes.add(`pending session: ${sessions.length} of ${n} accepted, ${open} held`);
    for (const s of sessions) if (s.open) await s.leave('destroy');
  }
}

/**
 * F24: from an address that has used up its REST_RATE_LIMIT (with rotating
 * spoofed X-Forwarded-For entries, which must not reset it), the API answers
 * 429 `RATE_LIMITED` while health and metrics, whatever their query string,
 * are never limited; and `POST /api/feed/control` without the admin token is
 * 401 `UNAUTHORIZED` whatever its body.
 */
export async function restEdgeAttacker(rng: Rng, ctx: AttackContext, addresses: () => string): Promise<void> {
  const { ledger } = ctx;
  const limits = ctx.edge;
  if (limits === undefined || limits.restPerMin <= 0) return;
  // Requests of a batch run side by side, so the limit is reached within seconds even on a busy server.
  const agent = new http.Agent({ keepAlive: true, maxSockets: REST_BATCH });
  try {
    while (ctx.running()) {
      // A fresh address starts a fresh window: more than the limit inside it must meet a 429.
      const address = addresses();
      let limited = false;
      for (let sent = 0; sent < limits.restPerMin + 2 && ctx.running() && !limited; ) {
        const batch = Math.min(REST_BATCH, limits.restPerMin + 2 - sent);
        sent += batch;
        const results = await Promise.all(
          Array.from({ length: batch }, () => {
            const path = rng.pick(['/api/feed', '/api/symbols?limit=1', `/api/symbols/${rng.pick(ctx.healthySymbols)}`]);
            ledger.requests.add('rest-edge api');
            return get(ctx, path, forwardedFor(address, spoofedEntries(rng)), agent);
          }),
        );
        for (const result of results) {
          if (result.kind !== 'response') continue;
          ledger.restStatus.add(String(result.status));
          if (result.status === 429) {
            limited = true;
            if (restCode(result.body) !== ErrorCode.RATE_LIMITED) ledger.violation('rest-uncoded', `429 without RATE_LIMITED: ${result.body.slice(0, 100)}`, '429');
          }
        }
      }
      if (!ctx.running()) break;
      if (!limited) {
        ledger.violation('cap-bypassed', `${limits.restPerMin + 2} REST requests from ${address} (rotating X-Forwarded-For entries) inside one minute were never rate limited; REST_RATE_LIMIT is ${limits.restPerMin}`, 'rest');
        continue;
      }
      // Limited now: health and metrics must still answer, whatever the query.
      for (let i = rng.int(5, 20); i > 0 && ctx.running(); i--) {
        const path = `${rng.pick(['/metrics', '/healthz', '/readyz'])}${rng.pick(['', '?x=1', `?${rng.string(rng.int(1, 30), 'abc=&%20')}`, '?', '?metrics&a=b'])}`;
        ledger.requests.add('rest-edge ops');
        const result = await get(ctx, path, forwardedFor(address, rng.chance(0.5) ? spoofedEntries(rng) : undefined), agent);
        if (result.kind !== 'response') continue;
        ledger.restStatus.add(String(result.status));
        if (result.status === 429) ledger.violation('ops-rate-limited', `${path} rate limited (429) for ${address}`, path.split('?', 1)[0]);
        await controlWithoutToken(rng, ctx, addresses(), agent);
      }
    }
  } finally {
    agent.destroy();
  }
}

async function controlWithoutToken(rng: Rng, ctx: AttackContext, address: string, agent: http.Agent): Promise<void> {
  const { ledger } = ctx;
  const auth = rng.pick([undefined, 'Bearer wrong', 'Bearer ', `Basic ${ctx.adminToken}`, ctx.adminToken, `Bearer ${ctx.adminToken}x`]);
  const body = rng.pick([
    '{"action":"pause"}',
    '{"action":"no-such-action","secret":1}',
    '{',
    '[]',
    '',
    'null',
    '{"action":"speed","speed":1e999}',
    `{"a":"${'x'.repeat(rng.int(1, 80_000))}"}`,
    '{"__proto__":{"action":"pause"}}',
  ]);
  const headers: Record<string, string> = { ...forwardedFor(address), 'content-type': rng.pick(['application/json', 'text/plain', 'application/x-www-form-urlencoded']) };
  if (auth !== undefined) headers.authorization = auth;
  ledger.requests.add('rest-edge control without token');
  const result = await sendRest(new URL(ctx.url), { method: 'POST', path: '/api/feed/control', headers, body, route: '/api/feed/control', expect: 'unauthorized' }, agent, ctx.ackTimeoutMs);
  if (result.kind !== 'response') return;
  ledger.restStatus.add(String(result.status));
  if (result.status !== 401 || restCode(result.body) !== ErrorCode.UNAUTHORIZED) {
    ledger.violation('control-not-401', `POST /api/feed/control (${auth ?? 'no authorization'}, body ${body.slice(0, 40)}) → ${result.status} ${result.body.slice(0, 100)}`, `${result.status}`);
  }
}
