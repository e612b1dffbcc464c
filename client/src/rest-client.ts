import {
  ErrorCode,
  type CandlesResponse,
  type ErrorCode as ErrorCodeType,
  type FeedStatus,
  type Interval,
  type SymbolInfo,
  type SymbolsResponse,
  type TicksResponse,
} from '@tickfeed/protocol';
import { resolveToken, type AccessTokenSource } from './access-token.js';

/** A REST call that did not return 2xx; `code` comes from the protocol's catalog when the body carried one. */
export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCodeType,
    message: string,
  ) {
    super(message);
    this.name = 'RestError';
  }
}

export type FetchLike = (input: string, init?: { signal?: AbortSignal; headers?: Record<string, string> }) => Promise<{
  ok: boolean;
  status: number;
  json(): Promise<unknown>;
}>;

export interface RestClientOptions {
  /** Server base URL, e.g. http://127.0.0.1:3000; '' for same-origin in a browser. */
  readonly baseUrl: string;
  /** Default globalThis.fetch. */
  readonly fetch?: FetchLike;
  /** Access token sent as `Authorization: Bearer` (servers with AUTH_MODE=jwt). */
  readonly token?: AccessTokenSource;
}

export interface CandlesQuery {
  /** Candles returned at most (server default when omitted). */
  readonly limit?: number;
  /** Only candles that start before this time, epoch ms. */
  readonly before?: number;
}

export interface TicksQuery {
  /** Only ticks with seq > after. */
  readonly after?: number;
  readonly limit?: number;
}

/** One GET in flight, shared by every caller that asked for the same path meanwhile. */
interface SharedGet {
  readonly result: Promise<unknown>;
  readonly abort: AbortController;
  /** Callers still waiting; when the last one gives up, the request is aborted. */
  waiting: number;
}

/**
 * Typed helpers for the feed server's REST API. Identical GETs made while one
 * is in flight share it (D86): views that need the same history at the same
 * moment (the chart and the tape filling the same hole) cost one request, and
 * one caller's abort does not cancel the others'.
 */
export class RestClient {
  private readonly baseUrl: string;
  private readonly fetchImpl: FetchLike;
  private readonly token: AccessTokenSource | undefined;
  private readonly inFlight = new Map<string, SharedGet>();

  constructor(options: RestClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token;
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  /** GET /api/symbols: the whole universe with metadata and snapshots, page after page (following `nextCursor`). */
  async symbols(signal?: AbortSignal): Promise<SymbolInfo[]> {
    const all: SymbolInfo[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? '' : `?cursor=${encodeURIComponent(cursor)}`;
      const body: SymbolsResponse = await this.get<SymbolsResponse>(`/api/symbols${query}`, signal);
      all.push(...body.symbols);
      // A server without pages answers without nextCursor: that is the whole list.
      cursor = body.nextCursor ?? null;
    } while (cursor !== null);
    return all;
  }

  /** GET /api/symbols/:symbol. */
  symbol(symbol: string, signal?: AbortSignal): Promise<SymbolInfo> {
    return this.get<SymbolInfo>(`/api/symbols/${encodeURIComponent(symbol)}`, signal);
  }

  /** GET /api/symbols/:symbol/candles: history whose `seq` tells where the live stream continues. */
  candles(symbol: string, interval: Interval, query: CandlesQuery = {}, signal?: AbortSignal): Promise<CandlesResponse> {
    const params = new URLSearchParams({ interval });
    if (query.limit !== undefined) params.set('limit', String(query.limit));
    if (query.before !== undefined) params.set('before', String(query.before));
    return this.get<CandlesResponse>(`/api/symbols/${encodeURIComponent(symbol)}/candles?${params}`, signal);
  }

  /** GET /api/symbols/:symbol/ticks: recent ticks with seq > after, ascending. */
  ticks(symbol: string, query: TicksQuery = {}, signal?: AbortSignal): Promise<TicksResponse> {
    const params = new URLSearchParams();
    if (query.after !== undefined) params.set('after', String(query.after));
    if (query.limit !== undefined) params.set('limit', String(query.limit));
    const text = params.toString();
    const qs = text === '' ? '' : `?${text}`;
    return this.get<TicksResponse>(`/api/symbols/${encodeURIComponent(symbol)}/ticks${qs}`, signal);
  }

  /** GET /api/feed: the feed's status (live or replay). */
  feed(signal?: AbortSignal): Promise<FeedStatus> {
    return this.get<FeedStatus>('/api/feed', signal);
  }

  private get<T>(path: string, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted === true) return Promise.reject(signal.reason as Error);
    let shared = this.inFlight.get(path);
    if (shared === undefined) {
      const abort = new AbortController();
      const created: SharedGet = {
        abort,
        waiting: 0,
        result: this.request(path, abort.signal).finally(() => {
          if (this.inFlight.get(path) === created) this.inFlight.delete(path);
        }),
      };
      this.inFlight.set(path, created);
      shared = created;
    }
    const entry = shared;
    entry.waiting++;
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const leave = (): boolean => {
        if (settled) return false;
        settled = true;
        entry.waiting--;
        signal?.removeEventListener('abort', onAbort);
        return true;
      };
      const onAbort = (): void => {
        if (!leave()) return;
        reject(signal?.reason as Error);
        if (entry.waiting === 0) {
          if (this.inFlight.get(path) === entry) this.inFlight.delete(path);
          entry.abort.abort(signal?.reason);
        }
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      entry.result.then(
        (body) => leave() && resolve(body as T),
        (error: unknown) => leave() && reject(error as Error),
      );
    });
  }

  private async request<T>(path: string, signal: AbortSignal): Promise<T> {
    const token = this.token === undefined ? undefined : await resolveToken(this.token);
    const response = await this.fetchImpl(`${this.baseUrl}${path}`, {
      headers: { accept: 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
      signal,
    });
    const body: unknown = await response.json().catch(() => undefined);
    if (!response.ok) throw toRestError(response.status, body);
    if (typeof body !== 'object' || body === null) {
      throw new RestError(response.status, ErrorCode.INTERNAL, `GET ${path}: the body is not a JSON object`);
    }
    return body as T;
  }
}

function toRestError(status: number, body: unknown): RestError {
  const error = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined;
  if (typeof error === 'object' && error !== null) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && typeof message === 'string') {
      return new RestError(status, code as ErrorCodeType, message);
    }
  }
  return new RestError(status, status >= 500 ? ErrorCode.INTERNAL : ErrorCode.BAD_REQUEST, `HTTP ${status}`);
}
