import type { ChildProcess } from 'node:child_process';

/**
 * Typed request/response over a forked child's IPC channel. Each bench
 * process (server under test, load generator, publisher) exposes an Api:
 * an object of async methods taking one JSON-serialisable argument.
 */
export type Api = Record<string, (params: never) => Promise<unknown>>;

type Params<F> = F extends (params: infer P) => Promise<unknown> ? P : never;
type Result<F> = F extends (params: never) => Promise<infer R> ? R : never;

interface RpcRequest {
  kind: 'rpc';
  id: number;
  method: string;
  params: unknown;
}

type RpcReply = { kind: 'rpc-reply'; id: number; ok: true; result: unknown } | { kind: 'rpc-reply'; id: number; ok: false; error: string };

/** A child tells its parent it is up (and, for servers, where). */
export interface ReadyMessage {
  kind: 'ready';
  info: Record<string, unknown>;
}

export class RpcClient<A extends Api> {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; method: string }>();

  constructor(private readonly child: ChildProcess) {
    child.on('message', (message: unknown) => {
      const reply = message as Partial<RpcReply> | null;
      if (!reply || reply.kind !== 'rpc-reply' || typeof reply.id !== 'number') return;
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (reply.ok) p.resolve((reply as { result: unknown }).result);
      else p.reject(new Error(`${p.method}: ${(reply as { error: string }).error}`));
    });
    child.on('exit', (code, signal) => {
      for (const p of this.pending.values()) p.reject(new Error(`${p.method}: child exited (${signal ?? code})`));
      this.pending.clear();
    });
  }

  call<K extends keyof A & string>(method: K, params: Params<A[K]>): Promise<Result<A[K]>> {
    const id = this.nextId++;
    return new Promise<Result<A[K]>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, method });
      const request: RpcRequest = { kind: 'rpc', id, method, params };
      this.child.send(request, (err) => {
        if (err) {
          this.pending.delete(id);
          reject(err);
        }
      });
    });
  }
}

/** In a child: answers the parent's calls with `api`, and exits when the parent goes away. */
export function serveRpc(api: Api, onParentGone: () => void): void {
  if (!process.send) throw new Error('this script must be started by the bench (no IPC channel)');
  process.on('message', (message: unknown) => {
    const request = message as Partial<RpcRequest> | null;
    if (!request || request.kind !== 'rpc' || typeof request.id !== 'number' || typeof request.method !== 'string') return;
    const id = request.id;
    const method = api[request.method];
    const reply = (r: RpcReply) => process.send?.(r);
    if (!method) {
      reply({ kind: 'rpc-reply', id, ok: false, error: `unknown method ${request.method}` });
      return;
    }
    method(request.params as never).then(
      (result) => reply({ kind: 'rpc-reply', id, ok: true, result }),
      (e: unknown) => reply({ kind: 'rpc-reply', id, ok: false, error: e instanceof Error ? e.message : String(e) }),
    );
  });
  process.on('disconnect', onParentGone);
}

export function sendReady(info: Record<string, unknown>): void {
  const message: ReadyMessage = { kind: 'ready', info };
  process.send?.(message);
}
