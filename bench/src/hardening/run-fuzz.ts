import { createFeedServer, testServerConfig, type FeedServer } from '@tickfeed/feed-server';
import { DEFAULT_LIMITS, type FeedStatus, type SymbolDeclaration, type Tick } from '@tickfeed/protocol';
import { badTokenAttacker, flooder, rawAttacker, restAttacker, socketAttacker, type AttackContext } from './attackers.js';
import { abruptCloser, admitsFreshClient, pendingOpener, restEdgeAttacker, spoofer, type EdgeLimits } from './edge-attackers.js';
import { getJson, getText } from './http.js';
import { Ledger, type Violation } from './ledger.js';
import { MetricsSnapshot } from './prometheus.js';
import { pollUntil } from './poll.js';
import { hostileNumbers, usurper, type AcceptedState } from './publisher-attackers.js';
import { RssMonitor, preloadHistory, resumeFlooder, type MemoryMeasure } from './resume-flood.js';
import { Rng } from './rng.js';
import { checkState, type StateCheckSummary } from './state-check.js';
import { SteadyConsumer, SteadyPublisher, TickSource } from './steady.js';

/** How many of each attacker run at once. */
export interface AttackerCounts {
  /** socket.io-client sockets on the consumer namespace sending hostile requests. */
  consumer: number;
  /** socket.io-client sockets on /ingest with the right token sending hostile requests. */
  ingest: number;
  /** Connection attempts on /ingest with wrong tokens, one after the other. */
  badToken: number;
  /** Raw WebSockets sending malformed Engine.IO / Socket.IO frames. */
  raw: number;
  /** Sockets sending thousands of requests per second. */
  flood: number;
  /** Hostile REST requests, one at a time each. */
  rest: number;
  /** Connections that end abruptly right after the namespace connect, then a fresh one from the same address (F20; in-process only). */
  abrupt: number;
  /** Connections and streams with rotating spoofed X-Forwarded-For entries, and foreign Host headers (F21; in-process only). */
  spoof: number;
  /** Bursts of Engine.IO sessions that never join a namespace (F22; in-process only). */
  pending: number;
  /** SSE streams and WebSocket clients that resume far back and stop reading (F23). */
  resumeFlood: number;
  /** REST past the rate limit: health and metrics still answer; control without the token is 401 (F24; in-process only). */
  restEdge: number;
  /** A publisher sending out-of-range and off-grid numbers next to valid ticks (F25). */
  numbers: number;
  /** A second publisher declaring, publishing and announcing status for the steady publisher's symbols (F26). */
  usurper: number;
}

export interface FuzzOptions {
  /** How long the attackers run, ms. */
  durationMs: number;
  /** Seed of every random choice. */
  seed: number;
  /** Attack this server instead of starting one in-process (its ingest token must be given). */
  url?: string;
  /** Ingest token of the target (in-process: 'test-token'). */
  ingestToken?: string;
  /** Admin token of the target (in-process: 'test-admin'). */
  adminToken?: string;
  /** Healthy symbols the steady publisher declares (default 20). */
  symbols?: number;
  /** Steady publisher's rate, ticks/s (default 300). */
  rate?: number;
  /** Healthy consumers (default 4). */
  healthyClients?: number;
  attackers?: Partial<AttackerCounts>;
  /** How long a request may wait for its ack before it counts as unanswered, ms (default 10,000). */
  ackTimeoutMs?: number;
  /** Most the server's RSS may grow over its level before the attack, MB (F23; default 350). */
  rssBudgetMb?: number;
  /** History the resume floods replay: symbols, and ticks of each (default 20 × 6,000). */
  floodHistory?: { symbols: number; ticksPerSymbol: number };
  /** Progress lines. */
  log?: (line: string) => void;
}

export interface FuzzReport {
  seed: number;
  durationMs: number;
  target: string;
  requests: Record<string, number>;
  requestTotal: number;
  mutations: Record<string, number>;
  replies: Record<string, number>;
  disconnects: Record<string, number>;
  refusals: Record<string, number>;
  rawOutcomes: Record<string, number>;
  restStatus: Record<string, number>;
  notes: Record<string, number>;
  /** Requests per second of each flood burst from one socket. */
  floodRates: number[];
  healthy: {
    clients: number;
    subscriptions: number;
    published: number;
    /** Ticks the healthy clients had to receive: each client's symbols' ticks published after its subscribe. */
    expected: number;
    delivered: number;
    problems: string[];
  };
  state: StateCheckSummary & { subscriptionsMetric: number; roomsMetric: number; connectionsMetric: number; healthz: number };
  edge: {
    /** The fuzz server's edge limits (in-process), else null: the edge attacks did not run. */
    limits: EdgeLimits | null;
    /** `feed_address_connections` and `feed_pending_sessions` once every client had gone (in-process). */
    addressConnections: number;
    pendingSessions: number;
    /** Attacker addresses a fresh client was let in from at the end, of those checked. */
    readmitted: number;
    addressesChecked: number;
    /** The feed status's source before and after the attack (the steady publisher's). */
    feedSourceBefore: string;
    feedSourceAfter: string;
    /** What the memory figures are: the server's RSS, or (in-process) the live heap plus external memory (F23). */
    memoryMeasure: MemoryMeasure;
    rssBaselineMb: number;
    rssPeakMb: number;
    rssBudgetMb: number;
  };
  violationCounts: Record<string, number>;
  violations: Violation[];
  passed: boolean;
}

const DEFAULT_ATTACKERS: AttackerCounts = { consumer: 4, ingest: 2, badToken: 1, raw: 3, flood: 1, rest: 3, abrupt: 1, spoof: 1, pending: 1, resumeFlood: 2, restEdge: 1, numbers: 1, usurper: 1 };

/**
 * The in-process server's edge limits: small caps, so the attacks reach them
 * within seconds. The server trusts loopback as its proxy, so each attacker
 * is a client with an address of its own (X-Forwarded-For), and the healthy
 * clients, without the header, are at the proxy's.
 */
const FUZZ_EDGE: EdgeLimits = { connectionsPerIp: 8, pendingPerIp: 8, connectTimeoutMs: 2_000, restPerMin: 600 };
const MB = 1024 * 1024;

/** The status the steady publisher announces: it owns the feed (R48), so attackers' statuses must change nothing. */
const STEADY_STATUS: FeedStatus = { mode: 'live', state: 'playing', speed: 1, clock: null, loop: false, completions: 0, marker: null, source: 'fuzz-steady', controllable: true };

/**
 * The fuzz run (F1–F8): a real feed server (in-process unless `url` is
 * given), a steady publisher and healthy consumers, and seeded attackers
 * throwing hostile input at every event and route for `durationMs`. Then
 * checks that the server is up, the healthy clients got every tick in order,
 * and the state and counts are intact.
 */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const log = options.log ?? (() => undefined);
  const rng = new Rng(options.seed);
  const ledger = new Ledger();
  const counts = { ...DEFAULT_ATTACKERS, ...options.attackers };
  const ackTimeoutMs = options.ackTimeoutMs ?? 10_000;

  const trap = trapUncaught(ledger);
  let server: FeedServer | undefined;
  const closers: (() => Promise<void> | void)[] = [];
  try {
    let url = options.url;
    let ingestToken = options.ingestToken;
    let adminToken = options.adminToken ?? 'test-admin';
    let maxPayloadBytes: number = DEFAULT_LIMITS.maxPayloadBytes;
    let candleLimit: number = DEFAULT_LIMITS.maxCandlesPerRequest;
    let edge: EdgeLimits | undefined;
    if (url === undefined) {
      edge = FUZZ_EDGE;
      const config = testServerConfig({
        maxConnectionsPerIp: edge.connectionsPerIp,
        maxPendingSessionsPerIp: edge.pendingPerIp,
        connectTimeoutMs: edge.connectTimeoutMs,
        restRateLimitPerMin: edge.restPerMin,
        trustProxy: { kind: 'addresses', addresses: ['loopback'] },
      });
      server = await createFeedServer(config);
      url = (await server.listen()).url;
      ingestToken = config.ingestToken;
      adminToken = config.adminToken ?? adminToken;
      maxPayloadBytes = config.maxPayloadBytes;
      candleLimit = Math.min(candleLimit, config.candlesPerInterval);
    }
    if (ingestToken === undefined) throw new Error('the ingest token of the target server is needed (--ingest-token)');
    const inProcess = server !== undefined;
    const target = url;
    log(`fuzz: seed ${options.seed}, ${(options.durationMs / 1000).toFixed(0)} s against ${inProcess ? 'an in-process server at ' : ''}${target}`);

    // Symbols of this run: fixed names in-process, unique ones against a shared server.
    const tag = inProcess ? '' : (options.seed >>> 0).toString(36).toUpperCase().slice(0, 4) + Date.now().toString(36).toUpperCase().slice(-4);
    const healthySymbols = Array.from({ length: options.symbols ?? 20 }, (_, i) => `FZ${tag}${String(i).padStart(2, '0')}`);
    const attackerSymbols = Array.from({ length: 5 }, (_, i) => `ATK${tag}${i}`);
    const numberSymbols = Array.from({ length: 3 }, (_, i) => `HN${tag}${i}`);
    const floodShape = options.floodHistory ?? { symbols: 20, ticksPerSymbol: 6_000 };
    const floodSymbols = Array.from({ length: floodShape.symbols }, (_, i) => `RF${tag}${String(i).padStart(2, '0')}`);

    const source = new TickSource(healthySymbols, rng.fork('ticks'), Date.now);
    const publisher = await SteadyPublisher.connect({ url: target, token: ingestToken, source, rate: options.rate ?? 300, keepTicks: true });
    closers.push(() => publisher.close());

    const healthyRng = rng.fork('healthy');
    const healthy: SteadyConsumer[] = [];
    const clientCount = options.healthyClients ?? 4;
    for (let i = 0; i < clientCount; i++) {
      // The last client takes every symbol, so every healthy symbol has a room.
      const symbols = i === clientCount - 1 ? healthySymbols : healthyRng.sample(healthySymbols, healthyRng.int(3, healthySymbols.length));
      const consumer = await SteadyConsumer.connect(target, `healthy-${i}`, symbols);
      healthy.push(consumer);
      closers.push(() => consumer.close());
    }
    // The steady publisher owns the feed status before any attacker can announce one.
    publisher.announce(STEADY_STATUS);
    const owned = await pollUntil(() => getJson<FeedStatus>(`${target}/api/feed`), (r) => r.body.source === STEADY_STATUS.source, { timeoutMs: 5_000 });
    const feedSourceBefore = owned.value.body.source;
    if (!owned.met) log(`fuzz: the feed status belongs to another publisher (${feedSourceBefore}); it must stay so`);

    const history =
      counts.resumeFlood > 0
        ? await preloadHistory({ url: target, token: ingestToken, symbols: floodSymbols, ticksPerSymbol: floodShape.ticksPerSymbol, rng: rng.fork('flood-history') })
        : undefined;
    if (history !== undefined) closers.push(() => history.close());
    const rss = new RssMonitor(target, inProcess ? 'live' : 'rss');
    await rss.start();
    closers.push(() => rss.stop());
    publisher.start();

    let running = true;
    const ctx: AttackContext = {
      url: target,
      ingestToken,
      adminToken,
      ledger,
      consumerVocab: { knownSymbols: healthySymbols, ownSymbols: attackerSymbols, foreignSymbols: healthySymbols, maxPayloadBytes },
      ingestVocab: { knownSymbols: [], ownSymbols: attackerSymbols, foreignSymbols: healthySymbols, maxPayloadBytes },
      healthySymbols,
      maxPayloadBytes,
      bodyLimitBytes: 64 * 1024,
      ackTimeoutMs,
      running: () => running,
      floodRates: [],
      edge,
      steadyOwnsFeed: owned.met,
    };
    const numbersState: AcceptedState = { accepted: new Map<string, Tick[]>(), declarations: new Map<string, SymbolDeclaration>(), epochs: new Map<string, string>() };
    const attackers: Promise<void>[] = [];
    /** Addresses whose connections the attackers opened: each must let a fresh client in at the end (F20). */
    const connectingAddresses: string[] = [];
    const spawn = (name: string, group: number, n: number, attack: (r: Rng, address: string, i: number) => Promise<void>, opensConnections = true) => {
      for (let i = 0; i < n; i++) {
        // 198.18.0.0/15 is set aside for benchmark networks: no real client has these addresses.
        const address = `198.18.${group}.${i + 1}`;
        if (opensConnections) connectingAddresses.push(address);
        attackers.push(attack(rng.fork(`${name}-${i}`), address, i));
      }
    };
    /** Many client addresses for one REST attacker (`198.19.<pool>.<1–254>`), drawn from a stream of their own so the requests stay those of the seed. */
    const addressPool = (pool: number, r: Rng, sequential: boolean) => {
      let next = 0;
      return () => (sequential ? `198.19.${pool + Math.floor(next / 254)}.${(next++ % 254) + 1}` : `198.19.${pool}.${r.int(1, 254)}`);
    };
    spawn('consumer', 1, counts.consumer, (r, address) => socketAttacker(r, ctx, 'consumer', address));
    spawn('ingest', 2, counts.ingest, (r, address) => socketAttacker(r, ctx, 'ingest', address));
    spawn('bad-token', 3, counts.badToken, (r, address) => badTokenAttacker(r, ctx, address));
    spawn('raw', 4, counts.raw, (r, address) => rawAttacker(r, ctx, address));
    spawn('flood', 5, counts.flood, (r, address) => flooder(r, ctx, address));
    spawn('rest', 6, counts.rest, (r, _address, i) => restAttacker(r, ctx, addressPool(i, rng.fork(`rest-addresses-${i}`), false)), false);
    if (history !== undefined) spawn('resume-flood', 13, counts.resumeFlood, (r, address) => resumeFlooder(r, ctx, address, history));
    spawn('numbers', 15, counts.numbers, (r) => hostileNumbers(r, ctx, numberSymbols, numbersState), false);
    spawn('usurper', 14, counts.usurper, (r, address) => usurper(r, ctx, address, feedSourceBefore), false);
    if (edge !== undefined) {
      spawn('abrupt', 10, counts.abrupt, (r, address) => abruptCloser(r, ctx, address));
      spawn('spoof', 11, counts.spoof, (r, address) => spoofer(r, ctx, address));
      spawn('pending', 12, counts.pending, (r, address) => pendingOpener(r, ctx, address));
      spawn('rest-edge', 16, counts.restEdge, (_r, _address, i) => restEdgeAttacker(rng.fork(`rest-edge-${i}`), ctx, addressPool(100 + 10 * i, rng, true)), false);
    } else {
      log('fuzz: no edge attacks (F20–F22, F24): they need the server\'s limits, known in-process only');
    }

    const progress = setInterval(() => log(`fuzz: ${ledger.requests.total} requests, ${publisher.published} ticks published, ${ledger.violationCounts.total} violations`), 10_000);
    // The run's length is its workload, not a wait for some state.
    await new Promise((resolve) => setTimeout(resolve, options.durationMs));
    clearInterval(progress);
    running = false;
    log('fuzz: stopping the attackers');
    await Promise.all(attackers);
    await publisher.stop();
    for (const p of publisher.problems) ledger.violation('publisher-failed', p);

    // F3: every healthy client gets every tick, in order, undisturbed.
    const targets = publisher.lastSeq;
    const reached = await Promise.all(healthy.map((consumer) => consumer.reached(targets, 20_000)));
    for (const [i, consumer] of healthy.entries()) {
      if (!reached[i]) {
        const behind = consumer.symbols.filter((s) => (consumer.audit.lastSeq(s) ?? 0) < (targets.get(s) ?? 0));
        ledger.violation('healthy-incomplete', `${consumer.name}: behind on ${behind.length} symbols, e.g. ${behind[0]} at #${consumer.audit.lastSeq(behind[0] ?? '')} of #${targets.get(behind[0] ?? '')}`);
      }
      for (const p of consumer.audit.problems) ledger.violation('healthy-gap', `${consumer.name}: ${p}`);
      for (const d of consumer.disturbances) ledger.violation('healthy-disturbed', `${consumer.name}: ${d}`);
    }

    // F5: once the attackers are gone, the server holds exactly the healthy clients' subscriptions.
    const subscriptions = healthy.reduce((n, c) => n + c.symbols.length, 0);
    const rooms = new Set(healthy.flatMap((c) => c.symbols)).size;
    const readMetrics = async () => MetricsSnapshot.parse((await getText(`${target}/metrics`)).text);
    const settled = await pollUntil(readMetrics, (m) => !inProcess || (m.value('feed_connections') === healthy.length && m.value('feed_subscriptions') === subscriptions), { timeoutMs: 15_000, intervalMs: 100 });
    const metrics = settled.value;
    if (inProcess) {
      if (metrics.value('feed_connections') !== healthy.length) ledger.violation('state-subscriptions', `feed_connections ${metrics.value('feed_connections')} with ${healthy.length} healthy clients left`);
      if (metrics.value('feed_subscriptions') !== subscriptions) ledger.violation('state-subscriptions', `feed_subscriptions ${metrics.value('feed_subscriptions')}, healthy clients hold ${subscriptions}`);
      if (metrics.value('feed_rooms') !== rooms) ledger.violation('state-subscriptions', `feed_rooms ${metrics.value('feed_rooms')}, healthy clients use ${rooms}`);
    }

    // F4 (and F25): state equals what the published ticks make, for the steady publisher's symbols and the hostile-number publisher's.
    const state = await checkState(
      {
        url: target,
        accepted: new Map([...publisher.accepted, ...numbersState.accepted]),
        declarations: new Map([...publisher.declarations, ...numbersState.declarations]),
        epochs: new Map([...publisher.epochs, ...numbersState.epochs]),
        candleLimit,
        tickLimit: DEFAULT_LIMITS.maxTicksPerRequest,
      },
      ledger,
    );

    // F26: the feed status is still the steady publisher's.
    const feedAfter = await getJson<FeedStatus>(`${target}/api/feed`);
    if (feedAfter.body.source !== feedSourceBefore) ledger.violation('owner-bypassed', `the feed status's source went from ${feedSourceBefore} to ${feedAfter.body.source}`, 'status');

    // F23: the resume floods and everything else left the server's memory within the budget.
    rss.stop();
    const rssBudgetMb = options.rssBudgetMb ?? 350;
    if (rss.peak - rss.baseline > rssBudgetMb * MB) {
      const what = rss.measure === 'rss' ? 'server RSS' : 'live heap + external memory (in-process server)';
      ledger.violation('memory-unbounded', `${what} went from ${(rss.baseline / MB).toFixed(0)} MB to ${(rss.peak / MB).toFixed(0)} MB, more than the ${rssBudgetMb} MB budget`);
    }

    // F1: still up.
    const health = await getText(`${target}/healthz`).catch(() => ({ status: 0, text: '' }));
    if (health.status !== 200) ledger.violation('server-down', `/healthz answered ${health.status}`);
    // F2: the limit on request rate was hit by the flood.
    if (counts.flood > 0 && ledger.replies.get('RATE_LIMITED') === 0) ledger.violation('rate-limit-missing', 'thousands of subscribe requests per second were never rate limited');

    // F20: once every client has gone, no count is left, and every attacker's address lets a fresh client in.
    let addressCounts = { connections: Number.NaN, pending: Number.NaN };
    let readmitted = 0;
    if (edge !== undefined) {
      for (const consumer of healthy) consumer.close();
      const gone = await pollUntil(readMetrics, (m) => m.value('feed_address_connections') === 0 && m.value('feed_pending_sessions') === 0, { timeoutMs: 15_000, intervalMs: 100 });
      addressCounts = { connections: gone.value.value('feed_address_connections'), pending: gone.value.value('feed_pending_sessions') };
      if (!gone.met) ledger.violation('address-count', `feed_address_connections ${addressCounts.connections}, feed_pending_sessions ${addressCounts.pending} once every client had gone`);
      for (const address of connectingAddresses) {
        const fresh = await admitsFreshClient(ctx, address);
        if (fresh.ok) readmitted++;
        else ledger.violation('address-locked', `after the run a fresh client from ${address} was refused: ${fresh.last}`, address);
      }
    }

    let published = 0;
    for (const ticks of publisher.accepted.values()) published += ticks.length;
    return {
      seed: options.seed,
      durationMs: options.durationMs,
      target: inProcess ? `in-process ${target}` : target,
      requests: ledger.requests.toJSON(),
      requestTotal: ledger.requests.total,
      mutations: ledger.mutations.toJSON(),
      replies: ledger.replies.toJSON(),
      disconnects: ledger.disconnects.toJSON(),
      refusals: ledger.refusals.toJSON(),
      rawOutcomes: ledger.rawOutcomes.toJSON(),
      restStatus: ledger.restStatus.toJSON(),
      notes: ledger.notes.toJSON(),
      floodRates: ctx.floodRates,
      healthy: {
        clients: healthy.length,
        subscriptions,
        published,
        expected: healthy.reduce((n, c) => n + c.symbols.reduce((m, s) => m + (targets.get(s) ?? 0), 0), 0),
        delivered: healthy.reduce((n, c) => n + c.audit.received, 0),
        problems: healthy.flatMap((c) => [...c.audit.problems, ...c.disturbances]),
      },
      state: {
        ...state,
        subscriptionsMetric: metrics.value('feed_subscriptions'),
        roomsMetric: metrics.value('feed_rooms'),
        connectionsMetric: metrics.value('feed_connections'),
        healthz: health.status,
      },
      edge: {
        limits: edge ?? null,
        addressConnections: addressCounts.connections,
        pendingSessions: addressCounts.pending,
        readmitted,
        addressesChecked: edge === undefined ? 0 : connectingAddresses.length,
        feedSourceBefore,
        feedSourceAfter: feedAfter.body.source,
        memoryMeasure: rss.measure,
        rssBaselineMb: rss.baseline / MB,
        rssPeakMb: rss.peak / MB,
        rssBudgetMb,
      },
      violationCounts: ledger.violationCounts.toJSON(),
      violations: ledger.violations,
      passed: ledger.violationCounts.total === 0,
    };
  } finally {
    for (const close of closers.reverse()) await close();
    await server?.close();
    trap.release();
  }
}

/**
 * F1: an exception escaping the in-process server is a finding, recorded
 * instead of ending the run. Released when the run ends.
 */
function trapUncaught(ledger: Ledger): { release(): void } {
  const onError = (error: unknown) => ledger.violation('uncaught', error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.on('uncaughtException', onError);
  process.on('unhandledRejection', onError);
  return {
    release() {
      process.off('uncaughtException', onError);
      process.off('unhandledRejection', onError);
    },
  };
}
