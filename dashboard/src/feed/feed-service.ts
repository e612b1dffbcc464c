import { batch, createSignal } from 'solid-js';
import { createStore, produce } from 'solid-js/store';
import {
  FeedClient,
  RestClient,
  type AccessTokenSource,
  type ConnectionState,
  type SymbolEvent,
} from '@tickfeed/client';
import { ErrorCode, INTERVAL_MS, sessionKindOf, type FeedStatus, type Snapshot, type SymbolInfo, type Tick } from '@tickfeed/protocol';
import { FrameConflator, groupBy, type FrameScheduler } from '../lib/frame-conflator.js';
import { QuoteModel, type QuoteView } from '../lib/quote-model.js';
import { delayBasis, deliveryDelay, type DelayBasis } from '../lib/latency.js';
import { isMarketClosedFor } from '../lib/market-hours.js';
import { RollingWindow, staleSeconds } from '../lib/rolling-stats.js';
import { sparklinePath } from '../lib/sparkline.js';
import { createBookFeed } from './book-feed.js';
import { QuoteSpark } from './quote-spark.js';
import type { SymbolFeed } from './symbol-feed.js';

export interface Message {
  readonly id: number;
  readonly kind: 'error' | 'info';
  readonly text: string;
}

export interface LiveStats {
  /** Median delivery delay over the last window, ms (see lib/latency.ts); null without ticks. */
  readonly latencyMs: number | null;
  /** What the delay is measured against: the wall clock (live) or the replay clock (replay: a tick's age). */
  readonly latencyBasis: DelayBasis;
  readonly ticksPerSec: number;
  /** Symbols without an update for longer than STALE_AFTER_MS, with the seconds since. */
  readonly stale: Readonly<Record<string, number>>;
}

export interface Spark {
  readonly path: string;
  readonly up: boolean;
}

export interface FeedServiceOptions {
  /** Server base URL; '' in the browser for same-origin. */
  readonly baseUrl: string;
  /** Socket.IO URL; defaults to baseUrl (the page's origin in the browser). */
  readonly socketUrl: string;
  readonly schedule: FrameScheduler;
  readonly now?: () => number;
  /** Access token (or a callback fetching a current one) for servers with AUTH_MODE=jwt; sent on REST and Socket.IO. */
  readonly token?: AccessTokenSource;
}

export const STATS_WINDOW_MS = 5_000;
export const STALE_AFTER_MS = 10_000;
const SPARK_INTERVAL = '1m';
const SPARK_CANDLES = 240;
const SPARK_LOAD_CONCURRENCY = 4;
/**
 * The watchlist runs on conflated quotes: each symbol's latest state at most
 * this often. Symbols a view follows tick by tick (the chart and the time &
 * sales register onTicks) get every tick instead.
 */
export const WATCHLIST_THROTTLE_MS = 250;
const MESSAGE_TTL_MS = 6_000;

/**
 * The dashboard's state and its one connection to the feed: watchlist,
 * quotes (one store keyed by symbol), sparklines, connection and feed status,
 * live statistics, messages. Ticks are conflated to animation frames here;
 * views get them per frame through the SymbolFeed interface and never see
 * the socket.
 */
export function createFeedService(options: FeedServiceOptions) {
  const now = options.now ?? Date.now;
  const token = options.token;
  const rest = new RestClient({ baseUrl: options.baseUrl, ...(token !== undefined ? { token } : {}) });
  const client = new FeedClient({ url: options.socketUrl, ...(token !== undefined ? { token } : {}) });

  const [connection, setConnection] = createSignal<ConnectionState>(client.state);
  const [feedStatus, setFeedStatus] = createSignal<{ status: FeedStatus; receivedAt: number } | null>(null);
  const [universe, setUniverse] = createSignal<SymbolInfo[]>([]);
  const [watchlist, setWatchlist] = createSignal<string[]>([]);
  const [quotes, setQuotes] = createStore<Record<string, QuoteView>>({});
  const [sparks, setSparks] = createStore<Record<string, Spark>>({});
  const [messages, setMessages] = createSignal<Message[]>([]);
  const [clock, setClock] = createSignal(now());
  const [stats, setStats] = createSignal<LiveStats>({ latencyMs: null, latencyBasis: 'wall', ticksPerSec: 0, stale: {} });

  const models = new Map<string, QuoteModel>();
  const lastUpdate = new Map<string, number>();
  const tickListeners = new Map<string, Set<(ticks: Tick[]) => void>>();
  const eventListeners = new Map<string, Set<(event: SymbolEvent) => void>>();
  let latency = new RollingWindow(STATS_WINDOW_MS);
  const throughput = new RollingWindow(STATS_WINDOW_MS);
  let messageId = 0;
  let totalTicks = 0;

  const symbolFeed: SymbolFeed = {
    onTicks: (symbol, listener) => {
      const off = addListener(tickListeners, symbol, listener);
      scheduleDelivery(symbol);
      return () => {
        off();
        scheduleDelivery(symbol);
      };
    },
    onSymbolEvent: (symbol, listener) => addListener(eventListeners, symbol, listener),
    epoch: (symbol) => client.position(symbol)?.epoch,
    seq: (symbol) => client.position(symbol)?.seq ?? 0,
    rest,
  };

  /* ------------------------------- per frame ------------------------------- */

  const bookFeed = createBookFeed(client, options.schedule);

  const conflator = new FrameConflator<Tick>(options.schedule, (ticks) => {
    const t = now();
    totalTicks += ticks.length;
    throughput.add(t, ticks.length);
    const groups = groupBy(ticks, (tick) => tick.symbol);
    batch(() => {
      for (const [symbol, group] of groups) {
        const model = models.get(symbol);
        if (model === undefined) continue;
        model.apply(group);
        const view = model.view();
        setQuotes(symbol, view);
        lastUpdate.set(symbol, t);
        const delay = deliveryDelay(feedStatus(), t, group[group.length - 1]!.ts);
        if (delay !== null) latency.add(t, delay);
        updateSpark(symbol, view);
      }
    });
    for (const [symbol, group] of groups) {
      const listeners = tickListeners.get(symbol);
      if (listeners !== undefined) for (const listener of [...listeners]) listener(group);
    }
  });

  /* ------------------------------ feed client ------------------------------ */

  /** Recent connection states, oldest first (debug hook: tests assert reconnecting → connected). */
  const stateHistory: string[] = [client.state.kind];
  client.on('state', (state) => {
    stateHistory.push(state.kind);
    if (stateHistory.length > 100) stateHistory.shift();
    setConnection(state);
  });
  client.on('feedStatus', (status) => {
    const previous = delayBasis(feedStatus());
    setFeedStatus({ status, receivedAt: now() });
    // Delays against another clock are not comparable: start the window over.
    if (delayBasis(feedStatus()) !== previous) latency = new RollingWindow(STATS_WINDOW_MS);
  });
  client.on('ticks', (ticks) => conflator.push(ticks));
  // At most a few events a second: applied at once, in one batch.
  client.on('quotes', (quotes) => applyQuotes(quotes));
  client.on('symbol', (event) => {
    const model = models.get(event.symbol);
    if (model === undefined) {
      const meta = universe().find((info) => info.meta.symbol === event.symbol)?.meta;
      models.set(event.symbol, new QuoteModel(event.symbol, event.snapshot, meta === undefined ? undefined : sessionKindOf(meta)));
    }
    else if (event.cause !== 'recovered') model.reset(event.snapshot);
    const current = models.get(event.symbol)!;
    setQuotes(event.symbol, current.view());
    // A fresh snapshot, recovered or not, means the symbol is current again (clears its staleness).
    lastUpdate.set(event.symbol, now());
    const listeners = eventListeners.get(event.symbol);
    if (listeners !== undefined) for (const listener of [...listeners]) listener(event);
  });
  client.on('rejected', (rejected) => {
    for (const entry of rejected) {
      say('error', entry.code === ErrorCode.UNKNOWN_SYMBOL ? `Unknown symbol: ${entry.symbol}` : `${entry.symbol}: ${entry.message}`);
    }
    const gone = new Set(rejected.map((entry) => entry.symbol));
    setWatchlist((list) => list.filter((symbol) => !gone.has(symbol)));
    for (const symbol of gone) dropSymbol(symbol);
  });
  client.on('notice', (notice) => say('info', notice.message));
  client.on('error', (error) => say('error', `${error.code}: ${error.message}`));

  /* -------------------------------- sparklines ------------------------------ */

  const sparkLines = new Map<string, { spark: QuoteSpark; abort: AbortController }>();
  const sparkDirty = new Set<string>();
  const sparkQueue: (() => Promise<void>)[] = [];
  let sparkActive = 0;

  function queueSparkLoad<T>(task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      sparkQueue.push(() => task().then(resolve, reject));
      pumpSparkQueue();
    });
  }

  function pumpSparkQueue(): void {
    while (sparkActive < SPARK_LOAD_CONCURRENCY && sparkQueue.length > 0) {
      const task = sparkQueue.shift()!;
      sparkActive++;
      void task().finally(() => {
        sparkActive--;
        pumpSparkQueue();
      });
    }
  }

  /**
   * Loads a sparkline's candles, then advances it from the symbol's quote
   * store (quotes or ticks alike): the latest state held when the load ends
   * is applied at once, so nothing received during the load is lost.
   */
  function startSpark(symbol: string): void {
    sparkLines.get(symbol)?.abort.abort();
    const spark = new QuoteSpark(INTERVAL_MS[SPARK_INTERVAL], SPARK_CANDLES);
    const abort = new AbortController();
    sparkLines.set(symbol, { spark, abort });
    void queueSparkLoad(() => rest.candles(symbol, SPARK_INTERVAL, { limit: SPARK_CANDLES }, abort.signal)).then(
      (response) => {
        if (abort.signal.aborted) return;
        spark.load(response);
        sparkDirty.add(symbol);
        const view = models.get(symbol)?.view();
        if (view !== undefined) updateSpark(symbol, view);
        // Draw a freshly loaded sparkline at the next frame, not at the next 1 Hz refresh.
        options.schedule(renderSparks);
      },
      () => {
        if (abort.signal.aborted) return;
        setTimeout(() => {
          if (sparkLines.get(symbol)?.abort === abort) startSpark(symbol);
        }, 1_000);
      },
    );
  }

  function updateSpark(symbol: string, quote: { seq: number; ts: number; last: number }): void {
    const line = sparkLines.get(symbol);
    if (line === undefined) return;
    const result = line.spark.apply(quote);
    if (result === 'reload') startSpark(symbol);
    else if (result) sparkDirty.add(symbol);
  }

  /** Conflated quotes of the watchlist: each replaces its symbol's state. */
  function applyQuotes(snapshots: readonly Snapshot[]): void {
    const t = now();
    let covered = 0;
    batch(() => {
      for (const snapshot of snapshots) {
        const model = models.get(snapshot.symbol);
        if (model === undefined) continue;
        const ticks = model.applyQuote(snapshot);
        covered += ticks;
        const view = model.view();
        setQuotes(snapshot.symbol, view);
        lastUpdate.set(snapshot.symbol, t);
        updateSpark(snapshot.symbol, view);
      }
    });
    // The ticks a quote stands for still count in the feed's throughput.
    if (covered > 0) {
      totalTicks += covered;
      throughput.add(t, covered);
    }
  }

  /* --------------------------- delivery per symbol --------------------------- */

  const deliveryDue = new Set<string>();
  let deliveryScheduled = false;

  /**
   * Re-decides a watchlist symbol's delivery after a view started or stopped
   * following its ticks. Batched to the end of the turn, so a view that swaps
   * symbols (chart and tape) sends one request per delivery, not one per listener.
   */
  function scheduleDelivery(symbol: string): void {
    deliveryDue.add(symbol);
    if (deliveryScheduled) return;
    deliveryScheduled = true;
    queueMicrotask(() => {
      deliveryScheduled = false;
      const symbols = [...deliveryDue].filter((s) => watchlist().includes(s));
      deliveryDue.clear();
      subscribeByDelivery(symbols, true);
    });
  }

  /** Subscribes each symbol with the delivery it needs now; with `changedOnly`, only those whose delivery differs. */
  function subscribeByDelivery(symbols: readonly string[], changedOnly: boolean): void {
    const full: string[] = [];
    const quoted: string[] = [];
    for (const symbol of symbols) {
      const throttleMs = tickListeners.has(symbol) ? 0 : WATCHLIST_THROTTLE_MS;
      if (changedOnly && client.throttleOf(symbol) === throttleMs) continue;
      (throttleMs === 0 ? full : quoted).push(symbol);
    }
    if (full.length > 0) void client.subscribe(full);
    if (quoted.length > 0) void client.subscribeQuotes(quoted, { throttleMs: WATCHLIST_THROTTLE_MS });
  }

  function renderSparks(): void {
    if (sparkDirty.size === 0) return;
    const updates: [string, Spark][] = [];
    for (const symbol of sparkDirty) {
      const line = sparkLines.get(symbol);
      const quote = models.get(symbol)?.view();
      if (line === undefined || !line.spark.loaded) continue;
      const closes = line.spark.closes;
      const up = quote === undefined ? true : quote.change >= 0;
      updates.push([symbol, { path: sparklinePath(closes, 72, 20), up }]);
    }
    sparkDirty.clear();
    batch(() => {
      for (const [symbol, spark] of updates) setSparks(symbol, spark);
    });
  }

  /* ----------------------------- 1 Hz housekeeping ----------------------------- */

  let metaIndex: { of: SymbolInfo[]; bySymbol: Map<string, SymbolInfo['meta']> } | null = null;
  /** The universe's metadata by symbol, rebuilt only when the universe changes. */
  function metaBySymbol(): Map<string, SymbolInfo['meta']> {
    const list = universe();
    if (metaIndex === null || metaIndex.of !== list) metaIndex = { of: list, bySymbol: new Map(list.map((info) => [info.meta.symbol, info.meta])) };
    return metaIndex.bySymbol;
  }

  const heartbeat = setInterval(() => {
    const t = now();
    const stale: Record<string, number> = {};
    const closed = feedStatus()?.status.closed;
    const metaOf = closed === undefined ? null : metaBySymbol();
    for (const symbol of watchlist()) {
      // A symbol whose market is closed (S71) is silent by design, not stale.
      if (metaOf !== null && isMarketClosedFor(metaOf.get(symbol), closed)) continue;
      const seconds = staleSeconds(lastUpdate.get(symbol) ?? 0, t, STALE_AFTER_MS);
      if (seconds !== null) stale[symbol] = seconds;
    }
    batch(() => {
      setClock(t);
      setStats({
        latencyMs: latency.median(t),
        latencyBasis: delayBasis(feedStatus()),
        ticksPerSec: Math.round(throughput.sum(t) / (STATS_WINDOW_MS / 1000)),
        stale,
      });
    });
    renderSparks();
  }, 1000);

  /* ------------------------------- watchlist ------------------------------- */

  function say(kind: Message['kind'], text: string): void {
    // The same text again replaces the one shown (its timer starts over) instead of stacking.
    if (messages().some((m) => m.text === text)) setMessages((list) => list.filter((m) => m.text !== text));
    const id = ++messageId;
    setMessages((list) => [...list.slice(-4), { id, kind, text }]);
    setTimeout(() => dismiss(id), MESSAGE_TTL_MS);
  }

  function dismiss(id: number): void {
    setMessages((list) => list.filter((m) => m.id !== id));
  }

  function dropSymbol(symbol: string): void {
    models.delete(symbol);
    lastUpdate.delete(symbol);
    sparkLines.get(symbol)?.abort.abort();
    sparkLines.delete(symbol);
    sparkDirty.delete(symbol);
    setQuotes(produce((q) => void delete q[symbol]));
    setSparks(produce((s) => void delete s[symbol]));
  }

  /** Replaces the watchlist (e.g. from preferences); subscribes what is new, unsubscribes what is gone. */
  function setSymbols(symbols: readonly string[]): void {
    const previous = new Set(watchlist());
    const next = [...new Set(symbols)];
    const removed = [...previous].filter((symbol) => !next.includes(symbol));
    const added = next.filter((symbol) => !previous.has(symbol));
    setWatchlist(next);
    for (const symbol of removed) dropSymbol(symbol);
    if (removed.length > 0) void client.unsubscribe(removed);
    subscribeByDelivery(added, false);
    for (const symbol of added) startSpark(symbol);
  }

  /**
   * Adds a symbol typed by the user. Returns an error text for the search box
   * when it cannot be added; the same text is shown as a message.
   */
  function addSymbol(input: string): string | null {
    const symbol = input.trim().toUpperCase();
    if (symbol === '') return null;
    if (watchlist().includes(symbol)) return null;
    const known = universe();
    if (known.length > 0 && !known.some((info) => info.meta.symbol === symbol)) {
      const text = `Unknown symbol: ${symbol}`;
      say('error', text);
      return text;
    }
    setSymbols([...watchlist(), symbol]);
    return null;
  }

  function removeSymbol(symbol: string): void {
    setSymbols(watchlist().filter((s) => s !== symbol));
  }

  async function loadUniverse(): Promise<SymbolInfo[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        const symbols = await rest.symbols();
        setUniverse(symbols);
        return symbols;
      } catch (error) {
        if (attempt === 0) say('error', `Could not load the symbol list (${String(error)}); retrying`);
        await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 500 * 2 ** attempt)));
      }
    }
  }

  function start(): void {
    client.connect();
  }

  function dispose(): void {
    clearInterval(heartbeat);
    conflator.dispose();
    for (const line of sparkLines.values()) line.abort.abort();
    client.dispose();
  }

  return {
    connection,
    feedStatus,
    universe,
    watchlist,
    quotes,
    sparks,
    messages,
    clock,
    stats,
    symbolFeed,
    bookFeed,
    start,
    dispose,
    loadUniverse,
    setSymbols,
    addSymbol,
    removeSymbol,
    dismiss,
    say,
    reconnectNow: () => client.reconnectNow(),
    goOffline: (reason: string) => client.close(reason),
    goOnline: () => client.connect(),
    debug: () => ({
      state: client.state,
      stateHistory: [...stateHistory],
      counters: { ...client.counters, frames: conflator.frames, ticks: totalTicks },
      symbols: client.symbols,
      positions: Object.fromEntries(client.symbols.map((s) => [s, client.position(s)])),
      books: Object.fromEntries(client.followedBooks.map((s) => [s, { book: client.book(s), counters: client.bookCounters(s) }])),
      bookFrames: bookFeed.frames(),
    }),
  };
}

export type FeedService = ReturnType<typeof createFeedService>;

function addListener<T>(map: Map<string, Set<T>>, key: string, listener: T): () => void {
  let set = map.get(key);
  if (set === undefined) {
    set = new Set();
    map.set(key, set);
  }
  set.add(listener);
  return () => {
    set.delete(listener);
    if (set.size === 0) map.delete(key);
  };
}

