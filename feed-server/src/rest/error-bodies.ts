import { ErrorCode, errorReply, type ErrorReply } from '@tickfeed/protocol';

/**
 * Fastify answers some malformed requests itself, before any route or error
 * handler runs (a bad URL encoding, an over-long path parameter), with its own
 * body `{ error, code: 'FST_…', message }`. This rewrites any such error body
 * into the catalog's `{ ok: false, error: { code, message } }`, so every REST
 * error a client sees carries a catalog code.
 */
export function codedErrorBody(statusCode: number, payload: string): string | undefined {
  if (statusCode < 400) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(payload);
  } catch {
    return undefined;
  }
  // Only Fastify's default error shape is rewritten; the routes' own bodies (e.g. /readyz's 503) are kept.
  const { error, message } = (typeof body === 'object' && body !== null ? body : {}) as { error?: unknown; message?: unknown };
  if (typeof error !== 'string' || typeof message !== 'string') return undefined;
  return JSON.stringify(fallback(statusCode, message));
}

function fallback(statusCode: number, message: string): ErrorReply {
  const code =
    statusCode === 429 ? ErrorCode.RATE_LIMITED : statusCode === 413 ? ErrorCode.PAYLOAD_TOO_LARGE : statusCode >= 500 ? ErrorCode.INTERNAL : ErrorCode.BAD_REQUEST;
  return errorReply(code, statusCode >= 500 ? 'internal error' : message.slice(0, 200));
}
