import { compilePolicy, type CompiledPolicy, type CompiledRule } from './compile.js';
import type { Decision, DecisionRequest, Obligations } from './decision.js';
import { parsePolicy, policyHash } from './parse.js';
import type { Effect, Policy, PolicyMode } from './schema.js';

/** Options of {@link createPolicyEngine}. */
export interface PolicyEngineOptions {
  /**
   * The clock used when a request carries no `now`.
   * @default () => new Date()
   */
  readonly clock?: () => Date;
}

/** A compiled, armed policy: decides calls. */
export interface PolicyEngine {
  /** The validated, frozen policy. */
  readonly policy: Policy;
  /** `sha256:` content hash of the policy (see {@link policyHash}). */
  readonly hash: string;
  /**
   * Decides one call. Never throws and never allows on error: any failure on
   * the way becomes a `deny` decision whose reason names the error.
   */
  decide(request: DecisionRequest): Promise<Decision>;
}

interface Outcome {
  readonly effect: Effect;
  readonly rule: CompiledRule | null;
}

// Precedence: deny > require_approval > allow > default deny.
const RANK: Record<Effect, number> = { deny: 3, require_approval: 2, allow: 1 };

function combine(matched: readonly CompiledRule[]): Outcome {
  let best: CompiledRule | null = null;
  for (const rule of matched) {
    if (best === null || RANK[rule.effect] > RANK[best.effect]) best = rule;
  }
  return best === null ? { effect: 'deny', rule: null } : { effect: best.effect, rule: best };
}

function mergeObligations(rules: readonly CompiledRule[]): Obligations | undefined {
  let redact: string[] | undefined;
  let maxResultBytes: number | undefined;
  let timeoutMs: number | undefined;
  for (const rule of rules) {
    const o = rule.obligations;
    if (o === undefined) continue;
    if (o.redact !== undefined) redact = [...new Set([...(redact ?? []), ...o.redact])];
    // Several rules oblige: the strictest limit wins.
    if (o.maxResultBytes !== undefined) maxResultBytes = Math.min(maxResultBytes ?? Infinity, o.maxResultBytes);
    if (o.timeoutMs !== undefined) timeoutMs = Math.min(timeoutMs ?? Infinity, o.timeoutMs);
  }
  if (redact === undefined && maxResultBytes === undefined && timeoutMs === undefined) return undefined;
  return Object.freeze({
    ...(redact === undefined ? {} : { redact: Object.freeze(redact) }),
    ...(maxResultBytes === undefined ? {} : { maxResultBytes }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
}

function describeCall(request: DecisionRequest): string {
  return `tool ${JSON.stringify(request.tool.name)} for agent ${JSON.stringify(request.agent.name)}`;
}

function reasonFor(outcome: Outcome, request: DecisionRequest): string {
  const rule = outcome.rule;
  if (rule === null) return `no rule allows ${describeCall(request)} (default deny)`;
  if (rule.reason !== undefined) return rule.reason;
  const verb = { allow: 'allows', deny: 'denies', require_approval: 'requires approval for' }[rule.effect];
  return `rule ${JSON.stringify(rule.id)} ${verb} ${describeCall(request)}`;
}

function assertRequest(request: DecisionRequest): void {
  const r = request as Partial<DecisionRequest> | null;
  if (typeof r !== 'object' || r === null) throw new TypeError('"request" expected an object');
  if (typeof r.tool !== 'object' || r.tool === null || typeof r.tool.name !== 'string') {
    throw new TypeError('"request.tool.name" expected string');
  }
  if (typeof r.agent !== 'object' || r.agent === null) throw new TypeError('"request.agent" expected an object');
  if (typeof r.agent.id !== 'string' || typeof r.agent.name !== 'string') {
    throw new TypeError('"request.agent.id" and "request.agent.name" expected strings');
  }
}

/**
 * Evaluates `request` against `compiled`. `mode` is the policy's mode; a
 * monitored rule's deny or require_approval never takes effect but is
 * reported as `wouldDeny`.
 */
export function evaluate(compiled: CompiledPolicy, mode: PolicyMode, request: DecisionRequest, hash: string): Decision {
  assertRequest(request);
  if (mode === 'off') {
    return {
      effect: 'allow',
      ruleId: null,
      reason: 'policy mode is off: not evaluated',
      matched: [],
      policyHash: hash,
      mode,
    };
  }
  const matched: CompiledRule[] = [];
  for (const rule of compiled.candidates(request.tool.name)) {
    if (rule.mode !== 'off' && rule.matches(request)) matched.push(rule);
  }
  const full = combine(matched);
  // What is enforced: allow rules always count; a blocking effect only from an enforced rule in an enforced policy.
  const enforced =
    mode === 'monitor'
      ? { effect: 'allow' as const, rule: combine(matched.filter((r) => r.effect === 'allow')).rule }
      : combine(matched.filter((r) => r.effect === 'allow' || r.mode === 'enforce'));
  const ids = Object.freeze(matched.map((r) => r.id));
  if (enforced.effect === 'allow' && full.effect !== 'allow') {
    return {
      effect: 'allow',
      ruleId: full.rule?.id ?? null,
      reason: `monitor: would ${full.effect === 'deny' ? 'deny' : 'require approval'}: ${reasonFor(full, request)}`,
      matched: ids,
      policyHash: hash,
      mode,
      wouldDeny: true,
      ...withObligations(matched, 'allow'),
    };
  }
  return {
    effect: enforced.effect,
    ruleId: enforced.rule?.id ?? null,
    reason: reasonFor(enforced, request),
    matched: ids,
    policyHash: hash,
    mode,
    ...(enforced.effect === 'deny' ? {} : withObligations(matched, enforced.effect)),
  };
}

function withObligations(matched: readonly CompiledRule[], effect: Effect): { obligations?: Obligations } {
  const from = matched.filter((r) => r.effect === 'allow' || (effect === 'require_approval' && r.effect === effect));
  const obligations = mergeObligations(from);
  return obligations === undefined ? {} : { obligations };
}

/** The decision returned when evaluation itself failed: always a deny. */
export function failClosed(error: unknown, hash: string, mode: PolicyMode): Decision {
  const message = error instanceof Error ? error.message : String(error);
  return {
    effect: 'deny',
    ruleId: null,
    reason: `policy evaluation failed (ERR_POLICY_EVALUATION): ${message}`,
    matched: [],
    policyHash: hash,
    mode,
  };
}

/**
 * Validates `policy`, compiles and indexes its rules, and returns an engine.
 *
 * @param policy - a policy document (validated here even when it came from {@link parsePolicy}).
 * @param options - see {@link PolicyEngineOptions}.
 * @returns a frozen engine.
 * @throws PolicyError `ERR_POLICY_INVALID` when the policy is not valid.
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
  if (options.clock !== undefined && typeof options.clock !== 'function') {
    throw new TypeError(`"clock" expected a function, got ${typeof options.clock}`);
  }
  const parsed = parsePolicy(policy);
  const hash = policyHash(parsed);
  const mode = parsed.mode ?? 'enforce';
  const compiled = compilePolicy(parsed);
  return Object.freeze({
    policy: parsed,
    hash,
    async decide(request: DecisionRequest): Promise<Decision> {
      try {
        return Object.freeze(evaluate(compiled, mode, request, hash));
      } catch (error) {
        return Object.freeze(failClosed(error, hash, mode));
      }
    },
  });
}
