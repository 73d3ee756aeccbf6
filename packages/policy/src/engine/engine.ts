import { compilePolicy, type MatchContext } from './compile.js';
import type { Decision, DecisionRequest } from './decision.js';
import { assertRequest, evaluate, failClosed, snapshotRequest } from './evaluate.js';
import { compileLimits } from './limits.js';
import { parsePath } from '../match/path.js';
import { ensurePolicy, policyHash } from '../document/parse.js';
import type { Policy, PolicyMode } from '../document/schema.js';
import { runSelfTest } from './self-test.js';
import { createMemoryStateStore, type StateStore } from '../state/state-store.js';

/** Options of {@link createPolicyEngine}. */
export interface PolicyEngineOptions {
  /**
   * The clock used when a request carries no `nowMs`: epoch milliseconds. A clock that throws or
   * returns a non-finite number makes the decision a `deny` (`ERR_POLICY_EVALUATION`).
   * @default Date.now
   */
  readonly clock?: () => number;
  /**
   * Where limits, budgets and session taint are kept.
   * @default a new in-memory store (not shared between processes)
   */
  readonly stateStore?: StateStore;
  /**
   * Prefix of every key this engine writes to the store.
   * @default 'agentguard:'
   */
  readonly keyPrefix?: string;
  /**
   * Resolves a path argument to the real path the OS would open (symbolic
   * links and `..` followed), for `pathPrefix` conditions; e.g.
   * `resolveRealPath` from `@agentguard/policy/node`, or `(p) => fs.promises.realpath(p)`.
   * It receives the argument exactly as the tool will (absolute, at most
   * `MAX_PATH_LENGTH` characters, no NUL; `..` included), and its answer is what
   * the prefixes are compared with, so write prefixes as real paths (on macOS
   * `/private/tmp`, not `/tmp`). A rejection, or an answer that is not an
   * absolute path without `..`, makes the condition undecided (an allow does
   * not apply, a deny does).
   * @default none: paths are read as text only, and a path with `..` is undecided
   */
  readonly resolvePath?: (path: string) => string | Promise<string>;
  /**
   * How long a session remembers the data-flow labels it touched, in ms.
   * @default 86_400_000 (a day)
   */
  readonly sessionTtlMs?: number;
  /**
   * The restraint self-test's canary: a call the policy must deny. Give your
   * own when the default one (see {@link DEFAULT_CANARY}) does not fit.
   * @default DEFAULT_CANARY
   */
  readonly canary?: DecisionRequest;
  /**
   * Arms the engine even if the restraint self-test fails. Named unsafe: the
   * self-test failing means the policy allows a call nobody meant to allow.
   * @default false
   */
  readonly unsafeSkipSelfTest?: boolean;
}

/** A compiled, armed policy: decides calls. */
export interface PolicyEngine {
  /** The validated, frozen policy. */
  readonly policy: Policy;
  /** `sha256:` content hash of the policy (see {@link policyHash}). */
  readonly hash: string;
  /** The policy's mode. */
  readonly mode: PolicyMode;
  /**
   * Decides one call. Never throws and never allows on error: any failure on
   * the way (a malformed request, a store that fails) becomes a `deny`
   * decision whose reason names the error.
   */
  decide(request: DecisionRequest): Promise<Decision>;
  /**
   * Takes the concurrency slots for a call decided earlier and run now (a decision kept while a human
   * approved it): its rates and budgets were counted when it was decided, its slots are taken when it
   * runs. Returns the decision holding them, or a `deny` when a concurrency cap is full. Never throws;
   * any failure is a `deny` naming the error.
   */
  hold(request: DecisionRequest, decision: Decision): Promise<Decision>;
  /** Gives back the concurrency slots a decision holds (call it when the tool call ends). */
  release(decision: Decision): Promise<void>;
}

/**
 * Validates `policy`, compiles and indexes its rules, proves it denies a
 * canary call (the restraint self-test), and returns an armed engine.
 *
 * @param policy - a policy document, or a policy {@link parsePolicy} returned (not validated twice).
 * @param options - see {@link PolicyEngineOptions}.
 * @returns a frozen engine.
 * @throws PolicyError `ERR_POLICY_INVALID` when the policy is not valid; `ERR_POLICY_SELF_TEST` when it
 *   does not deny the canary call.
 * @example
 * ```ts
 * const engine = createPolicyEngine({
 *   version: 1,
 *   rules: [{ id: 'read', effect: 'allow', tools: ['read_*'] }],
 * });
 * const decision = await engine.decide({ agent: { id, name: 'bot' }, tool: { name: 'read_file' }, args: {} });
 * decision.effect; // 'allow'
 * ```
 */
export function createPolicyEngine(policy: Policy | unknown, options: PolicyEngineOptions = {}): PolicyEngine {
  const clock = options.clock === undefined ? Date.now : options.clock;
  if (typeof clock !== 'function') throw new TypeError(`"clock" expected a function, got ${typeof clock}`);
  // One read of the time per decision; a clock gone wrong is an error on the way, so a deny.
  const timeOf = (request: DecisionRequest): number => {
    const nowMs = request.nowMs ?? clock();
    // ±8.64e15 ms is the range of a Date (ECMA-262 §21.4.1.22): a time a schedule cannot place is refused.
    if (typeof nowMs !== 'number' || !(Math.abs(nowMs) <= 8.64e15)) {
      throw new TypeError(
        `"${request.nowMs === undefined ? 'clock' : 'nowMs'}" expected epoch ms within the Date range, got ${String(nowMs)}`,
      );
    }
    return nowMs;
  };
  const resolvePath = options.resolvePath;
  if (resolvePath !== undefined && typeof resolvePath !== 'function') {
    throw new TypeError(`"resolvePath" expected a function, got ${typeof resolvePath}`);
  }
  const prefix = options.keyPrefix ?? 'agentguard:';
  const sessionTtlMs = options.sessionTtlMs ?? 86_400_000;
  if (!Number.isFinite(sessionTtlMs) || sessionTtlMs <= 0) {
    throw new RangeError(`"sessionTtlMs" expected a positive number, got ${sessionTtlMs}`);
  }
  const parsed = ensurePolicy(policy);
  const hash = policyHash(parsed);
  const mode = parsed.mode ?? 'enforce';
  const compiled = compilePolicy(parsed);
  if (options.unsafeSkipSelfTest !== true) runSelfTest(compiled, hash, clock, options.canary);
  const store = options.stateStore ?? createMemoryStateStore();
  const limits = compileLimits(parsed.limits ?? [], mode, store, prefix);
  const needsTaint = compiled.rules.some((r) => r.needsTaint);
  // Sessions are explicit; a request without one belongs to this engine's own session.
  const defaultSession = `engine-${crypto.randomUUID()}`;

  async function decideOrThrow(received: DecisionRequest): Promise<Decision> {
    // One copy, read once: every rule, the resolver and the limits see the same values.
    const request = snapshotRequest(received);
    assertRequest(request);
    if (mode === 'off') {
      return {
        effect: 'allow',
        ruleId: null,
        reason: 'policy mode is off: not evaluated',
        matched: Object.freeze([]),
        policyHash: hash,
        mode,
      };
    }
    const nowMs = timeOf(request);
    const sessionId = request.session?.id ?? defaultSession;
    if (typeof sessionId !== 'string') throw new TypeError('"request.session.id" expected string');
    const candidates = compiled.candidates(request.tool.name);
    let resolvedPaths: Map<string, string | undefined> | undefined;
    if (resolvePath !== undefined) {
      resolvedPaths = new Map();
      for (const rule of candidates) {
        for (const condition of rule.pathConditions) {
          const value = condition.read(request.args);
          // The raw text goes to the resolver: the OS resolves `..` only after following links.
          if (typeof value !== 'string' || resolvedPaths.has(value)) continue;
          if (!parsePath(value, condition.pathStyle, true).ok) continue;
          try {
            const real = await resolvePath(value);
            resolvedPaths.set(value, typeof real === 'string' ? real : undefined);
          } catch {
            resolvedPaths.set(value, undefined);
          }
        }
      }
    }
    const taintKey = `${prefix}taint:${sessionId}`;
    // Read the session's taint only when a rule that may apply to this tool consults it.
    const taint =
      needsTaint && candidates.some((r) => r.needsTaint) ? new Set(await store.members(taintKey)) : undefined;
    const ctx: MatchContext = {
      request,
      nowMs,
      taint,
      notes: [],
      ...(resolvedPaths === undefined ? {} : { resolvedPaths }),
    };
    let decision = evaluate(compiled, mode, ctx, hash);
    if (decision.effect !== 'deny' && limits.has(request.tool.name)) {
      const outcome = await limits.check(request, sessionId, nowMs);
      if (!outcome.ok) {
        decision = {
          effect: 'deny',
          ruleId: outcome.exceeded.id,
          reason: outcome.exceeded.reason,
          matched: Object.freeze([...decision.matched, outcome.exceeded.id]),
          policyHash: hash,
          mode,
        };
      } else {
        const would = outcome.wouldExceed;
        // Object.assign onto a fresh literal, not a literal that starts with a spread: on Node 20 (V8 11.3) the
        // latter makes a new hidden class per call, and what it made outlived the young-generation collection.
        decision = Object.assign(
          {},
          decision,
          would.length > 0 && decision.wouldDeny !== true
            ? {
                wouldDeny: true,
                ruleId: would[0]?.id ?? null,
                reason: `monitored limit: would deny: ${would[0]?.reason}`,
              }
            : {},
          outcome.leases.length > 0 ? { leases: Object.freeze([...outcome.leases]) } : {},
        );
      }
    }
    // Data flow: a call that may go ahead taints its session with the tool's labels.
    const labels = request.tool.labels;
    if (decision.effect !== 'deny' && labels !== undefined && labels.length > 0) {
      await store.addToSet(taintKey, labels, sessionTtlMs);
    }
    return decision;
  }

  return Object.freeze({
    policy: parsed,
    hash,
    mode,
    async decide(request: DecisionRequest): Promise<Decision> {
      try {
        return Object.freeze(await decideOrThrow(request));
      } catch (error) {
        return Object.freeze(failClosed(error, hash, mode));
      }
    },
    async hold(received: DecisionRequest, decision: Decision): Promise<Decision> {
      try {
        const request = snapshotRequest(received);
        assertRequest(request);
        if (mode === 'off' || decision.effect === 'deny' || !limits.has(request.tool.name)) return decision;
        const nowMs = timeOf(request);
        const sessionId = request.session?.id ?? defaultSession;
        if (typeof sessionId !== 'string') throw new TypeError('"request.session.id" expected string');
        const outcome = await limits.check(request, sessionId, nowMs, 'concurrency');
        if (!outcome.ok) {
          return Object.freeze({
            effect: 'deny',
            ruleId: outcome.exceeded.id,
            reason: outcome.exceeded.reason,
            matched: Object.freeze([...decision.matched, outcome.exceeded.id]),
            policyHash: hash,
            mode,
          });
        }
        return outcome.leases.length === 0
          ? decision
          : Object.freeze(Object.assign({}, decision, { leases: Object.freeze([...outcome.leases]) }));
      } catch (error) {
        return Object.freeze(failClosed(error, hash, mode));
      }
    },
    async release(decision: Decision): Promise<void> {
      if (decision.leases !== undefined && decision.leases.length > 0) await limits.release(decision.leases);
    },
  });
}
