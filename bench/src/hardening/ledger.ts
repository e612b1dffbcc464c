import { ERROR_CODES } from '@tickfeed/protocol';
import { Counter } from './counter.js';

/** What broke a fuzz rule; each names the rule it breaks in SPEC.md. */
export type ViolationKind =
  /** F1: the server stopped answering, or an exception escaped it. */
  | 'server-down'
  | 'uncaught'
  /** F2: an ack-bearing request got neither a reply nor a disconnect (F6: a REST request no answer). */
  | 'no-reply'
  /** F2: a reply that is neither `{ ok: true, … }` nor `{ ok: false, error: { code, message } }` with a catalog code. */
  | 'bad-reply'
  /** F2: a message over the payload limit was answered instead of closing the connection. */
  | 'oversize-accepted'
  /** F3: a healthy client missed, repeated or reordered a tick, or was disturbed (reset, notice, disconnect). */
  | 'healthy-gap'
  | 'healthy-incomplete'
  | 'healthy-disturbed'
  /** F3: the steady publisher had a valid tick rejected or a publish go unanswered. */
  | 'publisher-failed'
  /** F4: snapshot, candles or recent ticks differ from what the published ticks make. */
  | 'state-snapshot'
  | 'state-candles'
  | 'state-ticks'
  /** F5: subscription, room or connection counts differ from the healthy clients' once attackers are gone. */
  | 'state-subscriptions'
  /** F6: REST answered 5xx, or a 4xx without a catalog code. */
  | 'rest-5xx'
  | 'rest-uncoded'
  /** F7: a wrong token got in, or a publisher published a symbol it never declared. */
  | 'unauthorized-accepted'
  | 'undeclared-accepted'
  /** F2: the flooder was never rate limited (F24: nor a REST client past REST_RATE_LIMIT). */
  | 'rate-limit-missing'
  /** F20: a connection's count outlived it: a fresh client from the address refused, or the per-address gauges not back at 0. */
  | 'address-locked'
  | 'address-count'
  /** F21: more connections from one address than MAX_CONNECTIONS_PER_IP (rotating X-Forwarded-For), or a foreign Host let in. */
  | 'cap-bypassed'
  | 'host-accepted'
  /** F22: more Engine.IO sessions that never join than MAX_PENDING_SESSIONS_PER_IP, or one outliving CONNECT_TIMEOUT_MS. */
  | 'pending-unbounded'
  /** F23: the server's RSS grew past the budget while clients resumed far back and stopped reading. */
  | 'memory-unbounded'
  /** F24: a health or metrics request rate limited; POST /api/feed/control without the admin token answered other than 401. */
  | 'ops-rate-limited'
  | 'control-not-401'
  /** F25: a tick or declaration with out-of-range or off-grid numbers accepted, or refused with another code. */
  | 'hostile-number-accepted'
  /** F26: another publisher declared, published or took the feed status of the steady publisher's symbols, or got a control command. */
  | 'owner-bypassed';

export interface Violation {
  kind: ViolationKind;
  detail: string;
}

/** The verdict of one reply to an ack-bearing request. */
export type ReplyClass = { kind: 'ok' } | { kind: 'error'; code: string } | { kind: 'malformed'; why: string };

const CODES: ReadonlySet<string> = new Set(ERROR_CODES);

export function isCatalogCode(code: unknown): boolean {
  return typeof code === 'string' && CODES.has(code);
}

/**
 * F2: a reply is `{ ok: true, … }` (whose per-item rejections, if any, carry
 * catalog codes) or `{ ok: false, error: { code, message } }` with a catalog code.
 */
export function classifyReply(reply: unknown): ReplyClass {
  if (typeof reply !== 'object' || reply === null || Array.isArray(reply)) return { kind: 'malformed', why: `reply is ${describe(reply)}` };
  const r = reply as Record<string, unknown>;
  if (r.ok === true) {
    if (r.rejected !== undefined) {
      if (!Array.isArray(r.rejected)) return { kind: 'malformed', why: 'rejected is not an array' };
      for (const item of r.rejected) {
        const code = (item as { code?: unknown } | null)?.code;
        if (!isCatalogCode(code)) return { kind: 'malformed', why: `rejected item with code ${describe(code)}` };
      }
    }
    return { kind: 'ok' };
  }
  if (r.ok === false) {
    const error = r.error as { code?: unknown; message?: unknown } | null | undefined;
    if (typeof error !== 'object' || error === null) return { kind: 'malformed', why: 'ok: false without an error object' };
    if (!isCatalogCode(error.code)) return { kind: 'malformed', why: `error code ${describe(error.code)} is not in the catalog` };
    if (typeof error.message !== 'string') return { kind: 'malformed', why: 'error without a message' };
    return { kind: 'error', code: error.code as string };
  }
  return { kind: 'malformed', why: `reply without ok: ${JSON.stringify(reply).slice(0, 120)}` };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 60));
  return typeof value;
}

/** Everything a fuzz run counts, and the violations it saw. */
export class Ledger {
  /** Requests sent, by actor and event or kind (e.g. `consumer subscribe`, `raw bad-json`, `rest GET /api/symbols/:symbol`). */
  readonly requests = new Counter();
  /** Mutations used by socket.io-client attackers. */
  readonly mutations = new Counter();
  /** Replies to ack-bearing requests: `ok` or the error code. */
  readonly replies = new Counter();
  /** Connections the server closed, by reason (socket.io-client reason, or WebSocket close code). */
  readonly disconnects = new Counter();
  /** Connection attempts refused, by the server's message. */
  readonly refusals = new Counter();
  /** What happened after each raw attack: `<kind> answered|survived|closed <code>`. */
  readonly rawOutcomes = new Counter();
  /** REST answers by status. */
  readonly restStatus = new Counter();
  /** Things worth knowing that break no rule. */
  readonly notes = new Counter();
  readonly violationCounts = new Counter();
  /** Examples of the violations: the first of each kind and signature, a few per kind. */
  readonly violations: Violation[] = [];
  private readonly signatures = new Set<string>();

  constructor(private readonly examplesPerKind = 12) {}

  /**
   * Counts a violation and keeps it as an example unless one with the same
   * kind and signature (default: the detail) is already kept.
   */
  violation(kind: ViolationKind, detail: string, signature = detail): void {
    this.violationCounts.add(kind);
    const key = `${kind}\u0000${signature}`;
    if (this.signatures.has(key)) return;
    if (this.violations.filter((v) => v.kind === kind).length >= this.examplesPerKind) return;
    this.signatures.add(key);
    this.violations.push({ kind, detail: detail.slice(0, 400) });
  }

  /** Records one reply to an ack-bearing request; returns its class. */
  reply(context: string, reply: unknown): ReplyClass {
    const verdict = classifyReply(reply);
    if (verdict.kind === 'malformed') this.violation('bad-reply', `${context}: ${verdict.why}`);
    else this.replies.add(verdict.kind === 'ok' ? 'ok' : verdict.code);
    return verdict;
  }
}
