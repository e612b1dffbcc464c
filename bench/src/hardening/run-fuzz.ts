import { createFeedServer, testServerConfig, type FeedServer } from '@tickfeed/feed-server';
import { DEFAULT_LIMITS } from '@tickfeed/protocol';
import { badTokenAttacker, flooder, rawAttacker, restAttacker, socketAttacker, type AttackContext } from './attackers.js';
import { getText } from './http.js';
import { Ledger, type Violation } from './ledger.js';
import { MetricsSnapshot } from './prometheus.js';
import { pollUntil } from './poll.js';
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
  violationCounts: Record<string, number>;
  violations: Violation[];
  passed: boolean;
}

const DEFAULT_ATTACKERS: AttackerCounts = { consumer: 4, ingest: 2, badToken: 1, raw: 3, flood: 1, rest: 3 };

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
    if (url === undefined) {
      const config = testServerConfig();
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
    };
    const attackers: Promise<void>[] = [];
    const spawn = (name: string, n: number, attack: (r: Rng) => Promise<void>) => {
      for (let i = 0; i < n; i++) attackers.push(attack(rng.fork(`${name}-${i}`)));
    };
    spawn('consumer', counts.consumer, (r) => socketAttacker(r, ctx, 'consumer'));
    spawn('ingest', counts.ingest, (r) => socketAttacker(r, ctx, 'ingest'));
    spawn('bad-token', counts.badToken, (r) => badTokenAttacker(r, ctx));
    spawn('raw', counts.raw, (r) => rawAttacker(r, ctx));
    spawn('flood', counts.flood, (r) => flooder(r, ctx));
    spawn('rest', counts.rest, (r) => restAttacker(r, ctx));

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

    // F4: state equals what the published ticks make.
    const state = await checkState(
      { url: target, accepted: publisher.accepted, declarations: publisher.declarations, epochs: publisher.epochs, candleLimit, tickLimit: DEFAULT_LIMITS.maxTicksPerRequest },
      ledger,
    );

    // F1: still up.
    const health = await getText(`${target}/healthz`).catch(() => ({ status: 0, text: '' }));
    if (health.status !== 200) ledger.violation('server-down', `/healthz answered ${health.status}`);
    // F2: the limit on request rate was hit by the flood.
    if (counts.flood > 0 && ledger.replies.get('RATE_LIMITED') === 0) ledger.violation('rate-limit-missing', 'thousands of subscribe requests per second were never rate limited');

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
