import type { DecisionRequest } from './decision.js';
import { compileGlobs } from '../match/glob.js';
import { MISSING, parsePointer, resolvePointer } from '../match/pointer.js';
import { RuleIndex } from './rule-index.js';
import type { Limit, PolicyMode } from '../document/schema.js';
import type { StateStore } from '../state/state-store.js';

/** Safety expiry of a concurrency counter, in case a caller never releases. */
const CONCURRENCY_TTL_MS = 60 * 60 * 1000;

/** What a limit check found. */
export type LimitOutcome =
  | { readonly ok: true; readonly leases: readonly string[]; readonly wouldExceed: readonly Exceeded[] }
  | { readonly ok: false; readonly exceeded: Exceeded };

/** The limit that was exceeded and why. */
export interface Exceeded {
  readonly id: string;
  readonly reason: string;
}

interface CompiledLimit {
  readonly index: number;
  readonly limit: Limit;
  readonly mode: PolicyMode;
  readonly matches: (request: DecisionRequest) => boolean;
  readonly amount: ((args: unknown) => unknown) | undefined;
}

/** Counts calls against a policy's limits in a {@link StateStore}. */
export interface LimitChecker {
  /** Whether any limit applies to this tool at all (so the engine can skip the store). */
  has(toolName: string): boolean;
  /**
   * Counts the call against every applicable limit; undoes its own counts when one is exceeded.
   * With `only: 'concurrency'`, takes concurrency slots alone (for a call whose rates and budgets
   * were counted when it was first decided).
   */
  check(request: DecisionRequest, sessionId: string, nowMs: number, only?: 'concurrency'): Promise<LimitOutcome>;
  /** Gives back concurrency leases. */
  release(leases: readonly string[]): Promise<void>;
}

function scopeKey(limit: Limit, request: DecisionRequest, sessionId: string): string {
  const parts = (limit.per ?? ['agent']).map((p) => {
    switch (p) {
      case 'agent':
        return request.agent.id;
      case 'tool':
        return request.tool.name;
      case 'session':
        return sessionId;
      // 'credential'
      default:
        return request.agent.credentialId ?? request.agent.id;
    }
  });
  return JSON.stringify([limit.id, ...parts]);
}

/** Compiles `limits`; `prefix` namespaces the store keys. */
export function compileLimits(
  limits: readonly Limit[],
  policyMode: PolicyMode,
  store: StateStore,
  prefix: string,
): LimitChecker {
  const order = { off: 0, monitor: 1, enforce: 2 } as const;
  const index = new RuleIndex<CompiledLimit>();
  const compiled = limits.map((limit, i): CompiledLimit => {
    const tools = compileGlobs(limit.tools);
    const agents = limit.agents === undefined ? undefined : compileGlobs(limit.agents);
    const own = limit.mode ?? policyMode;
    const tokens = limit.budget === undefined ? undefined : parsePointer(limit.budget.arg);
    return {
      index: i,
      limit,
      mode: order[own] < order[policyMode] ? own : policyMode,
      matches: (r) => tools(r.tool.name) && (agents === undefined || agents(r.agent.id) || agents(r.agent.name)),
      amount: tokens === undefined ? undefined : (args) => resolvePointer(args, tokens),
    };
  });
  index.addAll(compiled.map((c) => [c, c.limit.tools] as const));

  async function one(
    c: CompiledLimit,
    request: DecisionRequest,
    sessionId: string,
    nowMs: number,
    undo: (() => Promise<unknown>)[],
    leases: string[],
    only: 'concurrency' | undefined,
  ): Promise<string | undefined> {
    const { limit } = c;
    const counts = only !== 'concurrency';
    const key = `${prefix}limit:${scopeKey(limit, request, sessionId)}`;
    const who = `agent ${JSON.stringify(request.agent.name)}`;
    if (counts && limit.rate !== undefined) {
      const { calls, windowMs } = limit.rate;
      const k = `${key}:rate:${Math.floor(nowMs / windowMs)}`;
      const n = await store.incrBy(k, 1, windowMs);
      undo.push(() => store.incrBy(k, -1, windowMs));
      if (n > calls) return `limit ${JSON.stringify(limit.id)}: more than ${calls} calls per ${windowMs} ms for ${who}`;
    }
    if (counts && limit.tokenBucket !== undefined) {
      const { capacity, refillPerSecond } = limit.tokenBucket;
      const k = `${key}:bucket`;
      const taken = await store.take(k, { capacity, refillPerSecond, cost: 1, nowMs });
      if (!taken.ok) return `limit ${JSON.stringify(limit.id)}: token bucket empty for ${who}`;
      // A negative cost puts the token back (capped at capacity).
      undo.push(() => store.take(k, { capacity, refillPerSecond, cost: -1, nowMs }));
    }
    if (counts && limit.budget !== undefined && c.amount !== undefined) {
      const { arg, max, windowMs } = limit.budget;
      const amount = c.amount(request.args);
      if (amount === MISSING || typeof amount !== 'number' || !Number.isFinite(amount) || amount < 0) {
        return `limit ${JSON.stringify(limit.id)}: budget argument ${arg} is not a non-negative number`;
      }
      const k = `${key}:budget:${Math.floor(nowMs / windowMs)}`;
      const total = await store.incrBy(k, amount, windowMs);
      undo.push(() => store.incrBy(k, -amount, windowMs));
      if (total > max) {
        return `limit ${JSON.stringify(limit.id)}: budget of ${max} per ${windowMs} ms for ${arg} exceeded by ${who} (would reach ${total})`;
      }
    }
    if (limit.concurrency !== undefined) {
      const k = `${key}:inflight`;
      const n = await store.incrBy(k, 1, CONCURRENCY_TTL_MS);
      undo.push(() => store.incrBy(k, -1, CONCURRENCY_TTL_MS));
      if (n > limit.concurrency)
        return `limit ${JSON.stringify(limit.id)}: more than ${limit.concurrency} calls in flight for ${who}`;
      leases.push(k);
    }
    return undefined;
  }

  return Object.freeze({
    has: (name: string) => index.candidates(name).length > 0,
    async check(
      request: DecisionRequest,
      sessionId: string,
      nowMs: number,
      only?: 'concurrency',
    ): Promise<LimitOutcome> {
      const leases: string[] = [];
      const wouldExceed: Exceeded[] = [];
      const undoAll: (() => Promise<unknown>)[] = [];
      for (const c of index.candidates(request.tool.name)) {
        if (c.mode === 'off' || !c.matches(request)) continue;
        const undo: (() => Promise<unknown>)[] = [];
        const localLeases: string[] = [];
        const problem = await one(c, request, sessionId, nowMs, undo, localLeases, only);
        if (problem === undefined) {
          undoAll.push(...undo);
          leases.push(...localLeases);
          continue;
        }
        // This call does not count against a limit it exceeded (nor, if denied, against any other).
        for (const u of undo) await u();
        const exceeded = { id: c.limit.id, reason: c.limit.reason ?? problem };
        if (c.mode === 'monitor') {
          wouldExceed.push(exceeded);
          continue;
        }
        for (const u of undoAll) await u();
        return { ok: false, exceeded };
      }
      return { ok: true, leases, wouldExceed };
    },
    async release(leases: readonly string[]): Promise<void> {
      for (const k of leases) await store.incrBy(k, -1, CONCURRENCY_TTL_MS);
    },
  });
}
