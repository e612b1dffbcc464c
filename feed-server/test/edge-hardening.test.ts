import { request, type IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { io as connect } from 'socket.io-client';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { ErrorCode } from '@tickfeed/protocol';
import { ConfigError, loadServerConfig, type ServerConfig } from '../src/config.js';
import { hostAllowed, hostName } from '../src/edge/allowed-hosts.js';
import { ConnectionsPerIp } from '../src/edge/connections-per-ip.js';
import { consumer, declaration, startServer, stopAll, onCleanup, type RunningServer } from './support/harness.js';
import { RawEngine, httpRequest, pollingHandshake, pollingPost } from './support/raw-engine.js';

afterEach(stopAll);

async function gauge(running: RunningServer, name: string): Promise<number> {
  const metric = running.server.metrics.registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  return (await metric.get()).values[0]?.value ?? Number.NaN;
}

/** Both per-address counts drop back to zero, then a fresh client from the same address is let in. */
async function countsReturnToZeroAndAdmit(running: RunningServer): Promise<void> {
  await vi.waitFor(
    async () => {
      expect(await gauge(running, 'feed_address_connections')).toBe(0);
      expect(await gauge(running, 'feed_pending_sessions')).toBe(0);
    },
    { timeout: 5_000, interval: 20 },
  );
  const fresh = await consumer(running.url);
  expect(fresh.connected).toBe(true);
  expect(await gauge(running, 'feed_address_connections')).toBe(1);
  const gone = new Promise((resolve) => fresh.once('disconnect', resolve));
  fresh.disconnect();
  await gone;
  await vi.waitFor(async () => expect(await gauge(running, 'feed_address_connections')).toBe(0), { timeout: 5_000, interval: 20 });
}

/** A socket.io-client connection attempt; resolves with 'connected' or the connect_error message. */
function tryConsumer(url: string, headers: Record<string, string> = {}): Promise<string> {
  const socket = connect(url, { transports: ['websocket'], forceNew: true, reconnection: false, extraHeaders: headers });
  onCleanup(() => {
    socket.disconnect();
  });
  return new Promise((resolve) => {
    socket.once('connect', () => resolve('connected'));
    socket.once('connect_error', (error) => resolve(error.message));
  });
}

/** Opens GET /api/stream; the response stays open until `close` (a 200) or has ended (an error status). */
function openStream(url: string, headers: Record<string, string> = {}): Promise<{ status: number; res: IncomingMessage; body: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/api/stream?symbols=A`, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      const body = new Promise<string>((done) => res.on('end', () => done(Buffer.concat(chunks).toString())));
      onCleanup(() => {
        res.destroy();
      });
      resolve({ status: res.statusCode ?? 0, res, body });
    });
    req.on('error', reject);
    req.end();
  });
}

const CAP = 2;
/** More abrupt closes than the cap: had any of them leaked a count, the next client would be refused. */
const ROUNDS = CAP + 1;

describe('the per-address connection count follows the connections', () => {
  it('[H20] a TCP reset after the namespace connect was answered releases the count', async () => {
    const running = await startServer({ maxConnectionsPerIp: CAP });
    for (let i = 0; i < ROUNDS; i++) {
      const raw = await RawEngine.open(running.url);
      raw.send('40');
      expect(await raw.next((f) => f.startsWith('40'))).toMatch(/^40\{"sid"/);
      expect(await gauge(running, 'feed_address_connections')).toBe(1);
      raw.reset();
      await vi.waitFor(async () => expect(await gauge(running, 'feed_address_connections')).toBe(0), { timeout: 5_000, interval: 10 });
    }
    await countsReturnToZeroAndAdmit(running);
  });

  it('[H20] a reset right after sending the namespace connect releases the count', async () => {
    const running = await startServer({ maxConnectionsPerIp: CAP });
    for (let i = 0; i < ROUNDS; i++) {
      const raw = await RawEngine.open(running.url);
      raw.send('40');
      raw.reset();
    }
    await countsReturnToZeroAndAdmit(running);
  });

  it('[H20] a WebSocket close frame right after `40` releases the count', async () => {
    const running = await startServer({ maxConnectionsPerIp: CAP });
    for (let i = 0; i < ROUNDS; i++) {
      const raw = await RawEngine.open(running.url);
      raw.send('40');
      raw.ws.close(1000);
      await raw.closed;
    }
    await countsReturnToZeroAndAdmit(running);
  });

  it('[H20] a polling request whose body is `40\\x1e1` (namespace connect, then engine close) releases the count', async () => {
    const running = await startServer({ maxConnectionsPerIp: CAP });
    for (let i = 0; i < ROUNDS; i++) {
      const sid = await pollingHandshake(running.url);
      const res = await pollingPost(running.url, sid, ['40', '1']);
      expect(res.status).toBe(200);
    }
    await countsReturnToZeroAndAdmit(running);
  });

  it('[H20] a junk frame after `40` (Socket.IO parse error, Engine.IO parse error) releases the count', async () => {
    const running = await startServer({ maxConnectionsPerIp: CAP });
    for (const junk of ['42[broken', 'zzz']) {
      for (let i = 0; i < ROUNDS; i++) {
        const raw = await RawEngine.open(running.url);
        raw.send('40');
        raw.send(junk);
        await raw.closed;
      }
    }
    await countsReturnToZeroAndAdmit(running);
  });

  it('[H20] a polling session that joined and then stopped polling is counted until the heartbeat drops it, then released', async () => {
    const running = await startServer({ maxConnectionsPerIp: CAP, pingIntervalMs: 150, pingTimeoutMs: 150 });
    for (let i = 0; i < ROUNDS; i++) {
      const sid = await pollingHandshake(running.url);
      expect((await pollingPost(running.url, sid, ['40'])).status).toBe(200);
      await vi.waitFor(async () => expect(await gauge(running, 'feed_address_connections')).toBe(1), { timeout: 5_000, interval: 10 });
      // Never polls again, never upgrades: only the heartbeat can end it.
      await vi.waitFor(async () => expect(await gauge(running, 'feed_address_connections')).toBe(0), { timeout: 5_000, interval: 20 });
    }
    await countsReturnToZeroAndAdmit(running);
  });

  it('[H20] a burst of 20 connections reset right after the handshake leaves no count behind', async () => {
    const running = await startServer({ maxConnectionsPerIp: CAP, maxPendingSessionsPerIp: 0 });
    const raws = await Promise.all(Array.from({ length: 20 }, () => RawEngine.open(running.url)));
    for (const raw of raws) {
      raw.send('40');
      raw.reset();
    }
    await countsReturnToZeroAndAdmit(running);
  });

  it('[H20] the counter releases each count once, whatever closes it', () => {
    const counts = new ConnectionsPerIp(1);
    const listeners: (() => void)[] = [];
    const connection = { once: (_event: 'close', fn: () => void) => listeners.push(fn) };
    expect(counts.holdUntilClosed('a', connection)).toBe(true);
    expect(counts.holdUntilClosed('a', connection)).toBe(false);
    expect(counts.holdUntilClosed('b', connection)).toBe(true);
    expect(counts.total).toBe(2);
    expect(listeners).toHaveLength(2);
    for (const fn of listeners) fn();
    expect(counts.total).toBe(0);
    expect(counts.count('a')).toBe(0);
  });
});

describe('SSE streams and Socket.IO connections share the cap', () => {
  it('[H21] an SSE stream counts against MAX_CONNECTIONS_PER_IP with the Socket.IO connections, until its response closes', async () => {
    const running = await startServer({ maxConnectionsPerIp: CAP });
    await running.server.localIngest().declare({ symbols: [declaration('A')] });
    await consumer(running.url);
    const stream = await openStream(running.url);
    expect(stream.status).toBe(200);
    expect(await gauge(running, 'feed_address_connections')).toBe(2);

    const refused = await openStream(running.url);
    expect(refused.status).toBe(429);
    expect(JSON.parse(await refused.body)).toMatchObject({ ok: false, error: { code: ErrorCode.RATE_LIMITED } });
    expect(await tryConsumer(running.url)).toMatch(/RATE_LIMITED/);

    // The client goes away without a word: the response's close releases the count.
    stream.res.socket?.resetAndDestroy();
    await vi.waitFor(async () => expect(await gauge(running, 'feed_address_connections')).toBe(1), { timeout: 5_000, interval: 10 });
    expect((await openStream(running.url)).status).toBe(200);
  });
});

describe('sessions that never join a namespace', () => {
  it('[H22] are capped per address (MAX_PENDING_SESSIONS_PER_IP) and closed after CONNECT_TIMEOUT_MS', async () => {
    const running = await startServer({ maxPendingSessionsPerIp: 3, connectTimeoutMs: 300 });
    const opened = Date.now();
    const idle = await Promise.all([1, 2, 3].map(() => RawEngine.open(running.url)));
    expect(await gauge(running, 'feed_pending_sessions')).toBe(3);

    const refused = await httpRequest(`${running.url}/socket.io/?EIO=4&transport=polling`);
    expect(refused.status).toBe(403);
    expect(refused.body).toContain(ErrorCode.RATE_LIMITED);
    await expect(RawEngine.open(running.url)).rejects.toThrow(/handshake refused/);

    await Promise.all(idle.map((raw) => raw.closed));
    expect(Date.now() - opened).toBeLessThan(3_000);
    expect(await gauge(running, 'feed_pending_sessions')).toBe(0);
    await pollingHandshake(running.url);
  });

  it('[H22] a session that joins a namespace is no longer pending', async () => {
    const running = await startServer({ maxPendingSessionsPerIp: 1, connectTimeoutMs: 300 });
    const first = await consumer(running.url);
    const second = await consumer(running.url);
    expect(first.connected && second.connected).toBe(true);
    expect(await gauge(running, 'feed_pending_sessions')).toBe(0);
    // Joined sessions outlive the connect timeout.
    const raw = await RawEngine.open(running.url);
    await raw.closed;
    expect(first.connected && second.connected).toBe(true);
  });
});

describe('the client address behind a proxy', () => {
  it('[H23] X-Forwarded-For from a peer that is not a trusted proxy is ignored: rotating entries do not get past the cap', async () => {
    for (const trustProxy of [{ kind: 'none' }, { kind: 'addresses', addresses: ['10.9.9.9'] }] as const) {
      const running = await startServer({ maxConnectionsPerIp: CAP, trustProxy });
      const results: string[] = [];
      for (let i = 0; i < 6; i++) results.push(await tryConsumer(running.url, { 'x-forwarded-for': `198.51.100.${i}` }));
      expect(results.filter((r) => r === 'connected')).toHaveLength(CAP);
      expect(results.slice(CAP).every((r) => /RATE_LIMITED/.test(r))).toBe(true);
      await stopAll();
    }
  });

  it('[H23] behind a trusted proxy the right-most untrusted entry is the client, for Socket.IO, SSE and the REST rate limit alike', async () => {
    for (const trustProxy of [{ kind: 'addresses', addresses: ['loopback'] }, { kind: 'hops', hops: 1 }] as const) {
      const running = await startServer({ maxConnectionsPerIp: CAP, restRateLimitPerMin: 3, trustProxy });
      await running.server.localIngest().declare({ symbols: [declaration('A')] });
      // The client prepends whatever it likes; the proxy appends the address it saw.
      const spoofed = (i: number) => ({ 'x-forwarded-for': `192.0.2.${i}, 203.0.113.7` });
      expect(await tryConsumer(running.url, spoofed(1))).toBe('connected');
      expect(await tryConsumer(running.url, spoofed(2))).toBe('connected');
      expect(await tryConsumer(running.url, spoofed(3))).toMatch(/RATE_LIMITED/);
      expect((await openStream(running.url, spoofed(4))).status).toBe(429);
      // Another real client behind the same proxy has its own count.
      expect(await tryConsumer(running.url, { 'x-forwarded-for': '198.51.100.9' })).toBe('connected');
      expect((await openStream(running.url, { 'x-forwarded-for': '198.51.100.9' })).status).toBe(200);

      // The refused stream above was a REST request of 203.0.113.7 too; use a fresh proxied client for the rate limit.
      const rotating = (i: number) => ({ 'x-forwarded-for': `192.0.2.${i}, 203.0.113.8` });
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await httpRequest(`${running.url}/api/feed`, { headers: rotating(10 + i) })).status);
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      expect((await httpRequest(`${running.url}/api/feed`, { headers: { 'x-forwarded-for': '198.51.100.10' } })).status).toBe(200);
      await stopAll();
    }
  });

  it('[H23] TRUST_PROXY takes proxy addresses, CIDRs or a hop count, and refuses `true`', () => {
    const trust = (value: string) => loadServerConfig({ env: { TRUST_PROXY: value } }).trustProxy;
    expect(trust('false')).toEqual({ kind: 'none' });
    expect(loadServerConfig({ env: {} }).trustProxy).toEqual({ kind: 'none' });
    expect(trust('1')).toEqual({ kind: 'hops', hops: 1 });
    expect(trust('10.0.0.5, 172.16.0.0/12,loopback')).toEqual({ kind: 'addresses', addresses: ['10.0.0.5', '172.16.0.0/12', 'loopback'] });
    expect(() => trust('true')).toThrow(ConfigError);
    expect(() => trust('true')).toThrow(/TRUST_PROXY/);
    expect(() => trust('not-an-address')).toThrow(/TRUST_PROXY/);
  });

  it('[H24] nginx overwrites X-Forwarded-For with the address it saw, and the instances trust only the balancer', () => {
    const root = (path: string) => new URL(`../../${path}`, import.meta.url);
    const nginx = readFileSync(root('deploy/nginx.conf'), 'utf8');
    expect(nginx).toMatch(/proxy_set_header X-Forwarded-For \$remote_addr;/);
    expect(nginx).not.toMatch(/\$proxy_add_x_forwarded_for/);
    const compose = parse(readFileSync(root('docker-compose.yml'), 'utf8'), { merge: true }) as {
      services: Record<string, { environment?: Record<string, string>; networks?: { default?: { ipv4_address?: string } } }>;
    };
    const balancer = compose.services.lb?.networks?.default?.ipv4_address;
    expect(balancer).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    for (const name of ['feed-1', 'feed-2']) {
      const env = Object.fromEntries(
        Object.entries(compose.services[name]!.environment!).map(([k, v]) => [k, v.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1')]),
      );
      const config: ServerConfig = loadServerConfig({ env });
      expect(config.trustProxy).toEqual({ kind: 'addresses', addresses: [balancer] });
      // What nginx passes as Host for a browser on the published port, and for the simulator.
      expect(hostAllowed('localhost', config.allowedHosts)).toBe(true);
      expect(hostAllowed('lb', config.allowedHosts)).toBe(true);
    }
  });
});

describe('Host allow-list (DNS rebinding)', () => {
  const polling = '/socket.io/?EIO=4&transport=polling';

  it('[H25] a handshake or SSE stream naming a host outside ALLOWED_HOSTS is refused, even with an Origin matching that Host', async () => {
    const running = await startServer();
    await running.server.localIngest().declare({ symbols: [declaration('A')] });
    const port = running.port;
    const rebound = { host: `evil.example:${port}`, origin: `http://evil.example:${port}` };
    expect((await httpRequest(`${running.url}${polling}`, { headers: rebound })).status).toBe(403);
    // Same-origin GETs carry no Origin: the Host alone must refuse them.
    expect((await httpRequest(`${running.url}${polling}`, { headers: { host: `evil.example:${port}` } })).status).toBe(403);
    await expect(RawEngine.open(running.url, rebound)).rejects.toThrow(/handshake refused/);
    const stream = await openStream(running.url, { host: `evil.example:${port}` });
    expect(stream.status).toBe(403);
    expect(await gauge(running, 'feed_address_connections')).toBe(0);
  });

  it('[H25] the default `npm start` addresses pass: localhost names and IP literals, with their own Origin', async () => {
    const running = await startServer();
    await running.server.localIngest().declare({ symbols: [declaration('A')] });
    const port = running.port;
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `app.localhost:${port}`, `[::1]:${port}`]) {
      const res = await httpRequest(`${running.url}${polling}`, { headers: { host, origin: `http://${host}` } });
      expect(res.status, host).toBe(200);
    }
    const raw = await RawEngine.open(running.url, { host: `localhost:${port}`, origin: `http://localhost:${port}` });
    raw.send('40');
    expect(await raw.next((f) => f.startsWith('40'))).toMatch(/^40\{"sid"/);
    expect((await openStream(running.url, { host: `localhost:${port}` })).status).toBe(200);
  });

  it('[H25] names listed in ALLOWED_HOSTS pass, a leading dot covers subdomains, and a listed Host does not let a foreign Origin in', async () => {
    const running = await startServer({ allowedHosts: ['feed.example', '.corp.example'] });
    const port = running.port;
    const status = async (host: string, origin?: string) =>
      (await httpRequest(`${running.url}${polling}`, { headers: origin === undefined ? { host } : { host, origin } })).status;
    expect(await status(`feed.example:${port}`, `http://feed.example:${port}`)).toBe(200);
    expect(await status(`corp.example:${port}`)).toBe(200);
    expect(await status(`a.corp.example:${port}`)).toBe(200);
    expect(await status(`notcorp.example:${port}`)).toBe(403);
    expect(await status(`feed.example:${port}`, `http://evil.example:${port}`)).toBe(403);
  });

  it('[H25] host names are read strictly from the Host header', () => {
    expect(hostName('Example.COM:8080')).toBe('example.com');
    expect(hostName('[::1]:3000')).toBe('::1');
    expect(hostName('feed.example.')).toBe('feed.example');
    expect(hostName('a b')).toBeUndefined();
    expect(hostName('evil.example@127.0.0.1')).toBeUndefined();
    expect(hostAllowed(undefined, [])).toBe(true);
    expect(hostAllowed('10.1.2.3:80', [])).toBe(true);
    expect(hostAllowed('feed.example', [])).toBe(false);
    expect(hostAllowed('feed.example', ['*'])).toBe(true);
    expect(hostAllowed('localhost.evil.example', [])).toBe(false);
    // HOST, when it names the machine, is allowed without listing it.
    expect(loadServerConfig({ env: { HOST: 'feedbox' } }).allowedHosts).toEqual(['feedbox']);
    expect(loadServerConfig({ env: { HOST: '0.0.0.0', ALLOWED_HOSTS: 'A.example, .b.example' } }).allowedHosts).toEqual(['a.example', '.b.example']);
  });
});

describe('REST edges', () => {
  it('[H26] health and metrics are exempt from REST_RATE_LIMIT by path, whatever the query string', async () => {
    const running = await startServer({ restRateLimitPerMin: 2 });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await httpRequest(`${running.url}/api/feed`)).status);
    expect(statuses).toEqual([200, 200, 429]);
    for (const path of ['/metrics?x=1', '/metrics', '/healthz?probe=1', '/readyz?a=b&c=d', '/metrics?x=2']) {
      expect((await httpRequest(`${running.url}${path}`)).status, path).toBe(200);
    }
    expect((await httpRequest(`${running.url}/api/feed?metrics`)).status).toBe(429);
  });

  it('[H27] POST /api/feed/control checks the admin token before it looks at the body', async () => {
    const running = await startServer();
    const post = (headers: Record<string, string>, body: string) =>
      httpRequest(`${running.url}/api/feed/control`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: 'Basic test-admin' }]) {
      for (const body of ['{"action":"no-such-action","secret":1}', '{', '[]']) {
        const res = await post(headers, body);
        expect(res.status, `${JSON.stringify(headers)} ${body}`).toBe(401);
        expect(JSON.parse(res.body)).toMatchObject({ ok: false, error: { code: ErrorCode.UNAUTHORIZED } });
        expect(res.body).not.toMatch(/action|must/);
      }
    }
    const authorized = await post({ authorization: 'Bearer test-admin' }, '{"action":"no-such-action"}');
    expect(authorized.status).toBe(400);
    expect(JSON.parse(authorized.body)).toMatchObject({ ok: false, error: { code: ErrorCode.BAD_REQUEST } });
  });
});
