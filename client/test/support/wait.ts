import type { FeedClient, FeedClientEvents } from '../../src/feed-client.js';

/**
 * Resolves with the first `event` from `client` whose arguments satisfy
 * `predicate`; rejects after `timeoutMs` naming what it waited for (a guard
 * against hanging, not a guessed sleep).
 */
export function nextEvent<K extends keyof FeedClientEvents>(
  client: FeedClient,
  event: K,
  predicate: (...args: FeedClientEvents[K]) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<FeedClientEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for '${String(event)}'`));
    }, timeoutMs);
    const off = client.on(event, (...args) => {
      if (!predicate(...args)) return;
      clearTimeout(timer);
      off();
      resolve(args);
    });
  });
}

/** Resolves once `check()` holds, re-checking on every event `client` emits of the given kinds. */
export function until(
  client: FeedClient,
  events: (keyof FeedClientEvents)[],
  check: () => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  if (check()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const offs: (() => void)[] = [];
    const done = (error?: Error) => {
      clearTimeout(timer);
      for (const off of offs) off();
      if (error === undefined) resolve();
      else reject(error);
    };
    const timer = setTimeout(() => done(new Error(`timed out waiting until ${what}`)), timeoutMs);
    for (const event of events) {
      offs.push(
        client.on(event, () => {
          if (check()) done();
        }),
      );
    }
  });
}
