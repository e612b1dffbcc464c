import { RestClient, type SymbolEvent } from '@tickfeed/client';
import type { Tick } from '@tickfeed/protocol';
import type { SymbolFeed } from '../../src/feed/symbol-feed.js';

type Route = (url: URL) => unknown;

/**
 * A SymbolFeed for unit tests: ticks and symbol events are pushed by the test,
 * REST answers come from `routes` through a real RestClient over a fake fetch.
 * Each request waits until the test releases it, so tests decide what arrives
 * while a load is in flight.
 */
export class FakeFeed implements SymbolFeed {
  readonly rest: RestClient;
  readonly requests: { url: URL; release: () => void }[] = [];
  private readonly tickListeners = new Map<string, Set<(ticks: Tick[]) => void>>();
  private readonly eventListeners = new Map<string, Set<(event: SymbolEvent) => void>>();
  epochs = new Map<string, string>();
  seqs = new Map<string, number>();

  constructor(private readonly routes: Record<string, Route>) {
    this.rest = new RestClient({
      baseUrl: 'http://feed.test',
      fetch: (input) => {
        const url = new URL(input);
        const route = Object.entries(this.routes).find(([suffix]) => url.pathname.endsWith(suffix));
        return new Promise((resolve) => {
          this.requests.push({
            url,
            release: () => resolve({ ok: route !== undefined, status: route === undefined ? 404 : 200, json: async () => route?.[1](url) ?? {} }),
          });
        });
      },
    });
  }

  /** Releases the oldest pending request and lets its continuation run. */
  async release(): Promise<URL> {
    const request = this.requests.shift();
    if (request === undefined) throw new Error('no pending request');
    request.release();
    for (let i = 0; i < 10; i++) await Promise.resolve();
    return request.url;
  }

  onTicks(symbol: string, listener: (ticks: Tick[]) => void): () => void {
    return add(this.tickListeners, symbol, listener);
  }

  onSymbolEvent(symbol: string, listener: (event: SymbolEvent) => void): () => void {
    return add(this.eventListeners, symbol, listener);
  }

  epoch(symbol: string): string | undefined {
    return this.epochs.get(symbol);
  }

  seq(symbol: string): number {
    return this.seqs.get(symbol) ?? 0;
  }

  ticks(symbol: string, ticks: Tick[]): void {
    for (const listener of this.tickListeners.get(symbol) ?? []) listener(ticks);
  }

  event(event: SymbolEvent): void {
    for (const listener of this.eventListeners.get(event.symbol) ?? []) listener(event);
  }

  listeners(symbol: string): number {
    return (this.tickListeners.get(symbol)?.size ?? 0) + (this.eventListeners.get(symbol)?.size ?? 0);
  }
}

function add<T>(map: Map<string, Set<T>>, key: string, listener: T): () => void {
  const set = map.get(key) ?? new Set<T>();
  map.set(key, set);
  set.add(listener);
  return () => set.delete(listener);
}
