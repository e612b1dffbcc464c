import { INTERVALS } from '@tickfeed/protocol';
import type { Rng } from './rng.js';

/*
 * Hostile REST requests against every route (F6, F7): odd paths, query
 * strings, bodies, methods and headers. Pure: the same Rng gives the same requests.
 */

export interface RestCase {
  method: string;
  /** Raw request target, sent as is (not normalised). */
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  /** Route template, for the summary (`/api/symbols/:symbol/candles`, `random`, …). */
  route: string;
  /**
   * What the answer must be besides F6: `unauthorized` (a well-formed control
   * command without the admin token must be refused with 401), `authorized`
   * (with the token: 200, or 409 NO_CONTROLLABLE_FEED), else `any`.
   */
  expect: 'any' | 'unauthorized' | 'authorized';
}

export interface RestContext {
  healthySymbols: readonly string[];
  adminToken: string;
  /** Request body limit of the server, bytes. */
  bodyLimitBytes: number;
}

const METHODS = { GET: 55, POST: 20, HEAD: 5, PUT: 4, DELETE: 4, PATCH: 4, OPTIONS: 4 } as const;

export function restCase(rng: Rng, ctx: RestContext): RestCase {
  const route = rng.weighted({
    symbols: 6,
    symbol: 10,
    candles: 16,
    ticks: 12,
    stream: 8,
    feed: 4,
    control: 18,
    ops: 6,
    docs: 3,
    engine: 6,
    random: 12,
  });
  const method = rng.weighted(METHODS);
  const headers: Record<string, string> = {};
  if (rng.chance(0.15)) headers['x-junk'] = 'j'.repeat(rng.pick([100, 4_000, 12_000]));
  if (rng.chance(0.1)) headers['x-forwarded-for'] = rng.pick(['1.2.3.4', 'junk', '::1, 10.0.0.1', '9'.repeat(300)]);
  if (rng.chance(0.1)) headers.origin = rng.pick(['http://evil.example', 'null', 'http://127.0.0.1']);
  if (rng.chance(0.05)) headers['last-event-id'] = rng.string(rng.int(1, 3_000), 'abc~:.,0123456789');
  const base = { method, headers, expect: 'any' as const };

  switch (route) {
    case 'symbols':
      return { ...base, path: `/api/symbols${query(rng, ctx)}`, route: '/api/symbols', ...maybeBody(rng, ctx, method, headers) };
    case 'symbol':
      return { ...base, path: `/api/symbols/${symbolSegment(rng, ctx)}${query(rng, ctx)}`, route: '/api/symbols/:symbol', ...maybeBody(rng, ctx, method, headers) };
    case 'candles':
      return { ...base, path: `/api/symbols/${symbolSegment(rng, ctx)}/candles${candlesQuery(rng)}`, route: '/api/symbols/:symbol/candles', ...maybeBody(rng, ctx, method, headers) };
    case 'ticks':
      return { ...base, path: `/api/symbols/${symbolSegment(rng, ctx)}/ticks${ticksQuery(rng)}`, route: '/api/symbols/:symbol/ticks', ...maybeBody(rng, ctx, method, headers) };
    case 'stream':
      return { ...base, method: rng.chance(0.8) ? 'GET' : method, path: `/api/stream${streamQuery(rng, ctx)}`, route: '/api/stream' };
    case 'feed':
      return { ...base, path: `/api/feed${query(rng, ctx)}`, route: '/api/feed', ...maybeBody(rng, ctx, method, headers) };
    case 'control':
      return controlCase(rng, ctx, headers);
    case 'ops':
      return { ...base, path: `${rng.pick(['/healthz', '/readyz', '/metrics'])}${query(rng, ctx)}`, route: 'ops', ...maybeBody(rng, ctx, method, headers) };
    case 'docs':
      return { ...base, path: rng.pick(['/docs', '/docs/json', '/docs/yaml', `/docs/static/${rng.string(6)}`, '/docs/static/../../package.json']), route: '/docs' };
    case 'engine':
      return engineCase(rng, headers);
    default:
      return { ...base, path: randomPath(rng), route: 'random', ...maybeBody(rng, ctx, method, headers) };
  }
}

function controlCase(rng: Rng, ctx: RestContext, headers: Record<string, string>): RestCase {
  const method = rng.chance(0.85) ? 'POST' : rng.weighted(METHODS);
  const auth = rng.weighted({ none: 3, wrong: 4, right: 3, odd: 2 });
  if (auth === 'wrong') headers.authorization = rng.pick(['Bearer wrong', 'Bearer ', `Bearer ${ctx.adminToken}x`, `Bearer ${ctx.adminToken.slice(0, -1)}`, 'Basic dGVzdDp0ZXN0']);
  if (auth === 'right') headers.authorization = `Bearer ${ctx.adminToken}`;
  if (auth === 'odd') headers.authorization = rng.pick([`bearer ${ctx.adminToken}`, `Bearer  ${ctx.adminToken}`, ctx.adminToken, `Bearer ${'x'.repeat(5_000)}`]);
  const valid = rng.chance(0.5);
  let body: string;
  if (valid) {
    body = JSON.stringify(rng.pick([{ action: 'pause' }, { action: 'resume' }, { action: 'speed', speed: rng.pick([1, 2, 10, 'max']) }, { action: 'seek', to: 1_767_225_600_000 }]));
    headers['content-type'] = 'application/json';
  } else {
    body = badJsonBody(rng, ctx);
    headers['content-type'] = rng.pick(['application/json', 'application/json', 'text/plain', 'application/x-www-form-urlencoded']);
  }
  const wellFormedPost = valid && method === 'POST';
  // 'odd' headers are wrong too, except a lower-case scheme, which servers may accept.
  const authorized = auth === 'right';
  const expect: RestCase['expect'] = !wellFormedPost ? 'any' : authorized ? 'authorized' : auth === 'odd' && headers.authorization?.startsWith('bearer ') ? 'any' : 'unauthorized';
  return { method, path: `/api/feed/control${rng.chance(0.1) ? query(rng, ctx) : ''}`, headers, body, route: '/api/feed/control', expect };
}

function engineCase(rng: Rng, headers: Record<string, string>): RestCase {
  const sid = rng.pick(['', `&sid=${rng.string(20)}`, '&sid=', `&sid=${'%00'.repeat(10)}`]);
  const transport = rng.pick(['polling', 'websocket', 'webtransport', 'x', '']);
  const eio = rng.pick(['4', '3', '5', 'x', '']);
  const path = `/socket.io/?EIO=${eio}&transport=${transport}${sid}${rng.chance(0.2) ? `&t=${rng.string(7)}` : ''}`;
  if (rng.chance(0.5)) {
    headers['content-type'] = 'text/plain;charset=UTF-8';
    return { method: 'POST', path, headers, body: rng.pick(['40', '42["subscribe",{}]', '\u001e\u001e', rng.string(rng.int(1, 500)), '1', '2probe']), route: '/socket.io/', expect: 'any' };
  }
  return { method: 'GET', path, headers, route: '/socket.io/', expect: 'any' };
}

function symbolSegment(rng: Rng, ctx: RestContext): string {
  return rng.pick([
    rng.pick(ctx.healthySymbols),
    rng.pick(ctx.healthySymbols),
    'NOPE',
    'aapl',
    'A'.repeat(64),
    'A'.repeat(5_000),
    '%00',
    '%F0%9F%92%A5',
    '..%2F..%2Fetc%2Fpasswd',
    '%',
    '%E0%A4%A',
    '__proto__',
    'constructor',
    '',
    '.',
    '%20',
  ]);
}

function candlesQuery(rng: Rng): string {
  const parts: string[] = [];
  if (rng.chance(0.8)) parts.push(`interval=${rng.pick([...INTERVALS, ...INTERVALS, '2m', '1M', '', '1m&interval=5m', '%00', 'x'.repeat(300)])}`);
  if (rng.chance(0.6)) parts.push(`limit=${rng.pick(['1', '500', '2000', '2001', '0', '-1', '1e999', '1.5', 'abc', '', '99999999999999999999'])}`);
  if (rng.chance(0.4)) parts.push(`before=${rng.pick(['0', '-1', 'NaN', '1e999', 'x', '1767225600000', String(2 ** 62)])}`);
  if (rng.chance(0.1)) parts.push(rng.pick(['__proto__[x]=1', 'constructor[prototype][x]=1', 'extra=1']));
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}

function ticksQuery(rng: Rng): string {
  const parts: string[] = [];
  if (rng.chance(0.6)) parts.push(`after=${rng.pick(['0', '1', '-1', '1e30', 'x', '', '3.5', '99999999999999999999'])}`);
  if (rng.chance(0.6)) parts.push(`limit=${rng.pick(['1', '200', '1000', '1001', '0', '-5', 'NaN', ''])}`);
  if (rng.chance(0.1)) parts.push('after=1&after=2');
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}

function streamQuery(rng: Rng, ctx: RestContext): string {
  const symbols = rng.pick([
    rng.sample(ctx.healthySymbols, rng.int(1, 4)).join(','),
    'NOPE',
    '',
    ',,,',
    Array.from({ length: 250 }, (_, i) => `S${i}`).join(','),
    'A'.repeat(4_500),
    `${rng.pick(ctx.healthySymbols)},%00`,
  ]);
  const parts = [`symbols=${symbols}`];
  if (rng.chance(0.3)) parts.push(`lastEventId=${rng.pick(['x', '', '::::', 'a~1', 'e:1:2'.repeat(100)])}`);
  if (rng.chance(0.1)) return '';
  return `?${parts.join('&')}`;
}

function query(rng: Rng, _ctx: RestContext): string {
  if (!rng.chance(0.2)) return '';
  return `?${rng.pick(['a=1', '__proto__[polluted]=1', 'x='.concat('y'.repeat(3_000)), 'a=1&a=2&a=3', '%', '&&&', 'q=%00'])}`;
}

function randomPath(rng: Rng): string {
  return rng.pick([
    `/${rng.string(rng.int(1, 20), 'abcdefghijklmnopqrstuvwxyz/._-')}`,
    `/api/${rng.string(rng.int(1, 12), 'abcdefghijklmnopqrstuvwxyz/')}`,
    '//api//symbols',
    '/api/symbols/../feed',
    '/%2e%2e/%2e%2e/etc/passwd',
    '/api/symbols/%',
    '/api/symbols/AAPL/candles/extra',
    '/api',
    '/index.html',
    `/${'a/'.repeat(500)}`,
    '/api/symbols?'.concat('a=1&'.repeat(500)),
    '/.env',
    '/api/feed/control/x',
  ]);
}

function maybeBody(rng: Rng, ctx: RestContext, method: string, headers: Record<string, string>): { body?: string | Buffer } {
  if (method === 'GET' || method === 'HEAD' || !rng.chance(0.6)) return {};
  headers['content-type'] = rng.pick(['application/json', 'text/plain', 'application/octet-stream', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'x/'.concat('y'.repeat(200))]);
  return { body: rng.chance(0.2) ? rng.bytes(rng.int(0, 2_000)) : badJsonBody(rng, ctx) };
}

function badJsonBody(rng: Rng, ctx: RestContext): string {
  return rng.pick([
    '',
    '{',
    '{"action":',
    'null',
    '[]',
    '"pause"',
    '{"action":"explode"}',
    '{"action":"speed","speed":-1}',
    '{"action":"speed","speed":1e999}',
    '{"action":"seek","to":"x"}',
    '{"action":"pause","extra":1}',
    '{"__proto__":{"action":"pause"}}',
    '{"constructor":{"prototype":{"x":1}}}',
    `{"action":"${'p'.repeat(1_000)}"}`,
    `${'['.repeat(5_000)}${']'.repeat(5_000)}`,
    `{"a":"${'x'.repeat(Math.ceil(ctx.bodyLimitBytes * 1.2))}"}`,
  ]);
}
