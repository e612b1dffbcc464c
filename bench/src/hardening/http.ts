import http from 'node:http';
import https from 'node:https';
import type { RestCase } from './rest-cases.js';

/** What one REST request got back. */
export type RestResult =
  | { kind: 'response'; status: number; contentType: string; body: string }
  /** No HTTP response: the request could not be sent, or the connection was closed or timed out. */
  | { kind: 'failed'; reason: string };

const MAX_BODY = 64 * 1024;

/**
 * Sends a case exactly as built (raw target, headers, body with a
 * Content-Length). An event stream is read up to its first chunk and dropped.
 */
export function sendRest(base: URL, request: RestCase, agent: http.Agent | false, timeoutMs: number): Promise<RestResult> {
  return new Promise<RestResult>((resolve) => {
    let settled = false;
    const done = (result: RestResult) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const headers: Record<string, string> = { ...request.headers };
    if (request.body !== undefined) headers['content-length'] = String(Buffer.byteLength(request.body));
    let req: http.ClientRequest;
    try {
      req = (base.protocol === 'https:' ? https : http).request({
        host: base.hostname,
        port: base.port,
        method: request.method,
        path: request.path,
        headers,
        agent,
        timeout: timeoutMs,
        rejectUnauthorized: false,
      });
    } catch (error) {
      done({ kind: 'failed', reason: `not sent: ${(error as NodeJS.ErrnoException).code ?? 'error'}` });
      return;
    }
    req.on('response', (res) => {
      const contentType = String(res.headers['content-type'] ?? '');
      const status = res.statusCode ?? 0;
      if (contentType.startsWith('text/event-stream')) {
        res.once('data', () => {
          done({ kind: 'response', status, contentType, body: '' });
          req.destroy();
        });
        res.once('end', () => done({ kind: 'response', status, contentType, body: '' }));
        return;
      }
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < MAX_BODY) body += chunk;
      });
      res.on('end', () => done({ kind: 'response', status, contentType, body }));
      res.on('error', () => done({ kind: 'response', status, contentType, body }));
    });
    req.on('timeout', () => {
      done({ kind: 'failed', reason: 'timeout' });
      req.destroy();
    });
    req.on('error', (error: NodeJS.ErrnoException) => done({ kind: 'failed', reason: error.code ?? error.message }));
    if (request.body !== undefined) req.end(request.body);
    else req.end();
  });
}

/** GET and parse JSON; retries while rate limited (429), up to the deadline. */
export async function getJson<T>(url: string, deadlineMs = 15_000, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const res = await fetch(url, { headers });
    if (res.status !== 429 || Date.now() > until) return { status: res.status, body: (await res.json()) as T };
    const retryAfter = Number(res.headers.get('retry-after') ?? '1');
    await res.body?.cancel();
    await new Promise((r) => setTimeout(r, Math.min(5_000, Math.max(100, retryAfter * 1_000))));
  }
}

export async function getText(url: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url);
  return { status: res.status, text: await res.text() };
}
