import {
  type CompiledCondition,
  compileCondition,
  type ConditionContext,
  FALSE,
  TRUE,
  type Tri,
  UNKNOWN,
} from '../match/conditions.js';
import type { DecisionAgent, DecisionRequest, Obligations } from './decision.js';
import { compileGlobs, type GlobMatcher } from '../match/glob.js';
import { RuleIndex } from './rule-index.js';
import { compileMonitorCondition } from '../match/monitor-condition.js';
import type { Effect, Policy, PolicyMode, PolicyRule, Schedule, SubjectMatch } from '../document/schema.js';

/** What a rule match may consult besides the request. */
export interface MatchContext extends ConditionContext {
  readonly request: DecisionRequest;
  /** Time of the call, epoch milliseconds. */
  readonly nowMs: number;
  /** Labels the session has touched so far (data-flow taint); undefined when no rule needs it. */
  readonly taint: ReadonlySet<string> | undefined;
}

/** A rule compiled once at engine creation: matchers built, nothing re-parsed per decision. */
export interface CompiledRule {
  readonly index: number;
  readonly id: string;
  readonly effect: Effect;
  /** A deny rule that suspends the agent when it matches. */
  readonly suspendAgent: boolean;
  /** The rule's effective mode: its own, capped by the policy's. */
  readonly mode: PolicyMode;
  /** The rule's own mode, or the policy's when it has none (used by the self-test, which assumes enforcement). */
  readonly ownMode: PolicyMode;
  readonly reason: string | undefined;
  readonly obligations: Obligations | undefined;
  /** Conditions with a `pathPrefix` test, whose paths a resolver must see first. */
  readonly pathConditions: readonly CompiledCondition[];
  /** Whether the rule consults session taint. */
  readonly needsTaint: boolean;
  /** TRUE when the rule applies, FALSE when not, UNKNOWN when an argument condition could not be decided. */
  matches(ctx: MatchContext): Tri;
}

/** A policy compiled for fast decisions. */
export interface CompiledPolicy {
  readonly rules: readonly CompiledRule[];
  /** The policy's own obligations, of every decision that does not deny. */
  readonly obligations: Obligations | undefined;
  /** The rules that may apply to a tool name, in policy order. */
  candidates(toolName: string): readonly CompiledRule[];
}

function anyOf(wanted: readonly string[] | undefined): ((have: readonly string[] | undefined) => boolean) | undefined {
  if (wanted === undefined) return undefined;
  const set = new Set(wanted);
  return (have) => have?.some((x) => set.has(x)) === true;
}

function compileSubject(s: SubjectMatch | undefined): ((agent: DecisionAgent) => boolean) | undefined {
  if (s === undefined) return undefined;
  const owner = s.owner === undefined ? undefined : compileGlobs(s.owner);
  const environment = s.environment === undefined ? undefined : compileGlobs(s.environment);
  const tiers = s.riskTier === undefined ? undefined : new Set(s.riskTier);
  const scopes = s.scopes;
  const depth = s.maxDelegationDepth;
  return (agent) => {
    if (owner !== undefined && (typeof agent.owner !== 'string' || !owner(agent.owner))) return false;
    if (environment !== undefined && (typeof agent.environment !== 'string' || !environment(agent.environment))) {
      return false;
    }
    if (tiers !== undefined && (typeof agent.riskTier !== 'string' || !tiers.has(agent.riskTier))) return false;
    if (scopes !== undefined && !scopes.every((x) => agent.scopes?.includes(x) === true)) return false;
    if (depth !== undefined && (agent.delegationDepth ?? 0) > depth) return false;
    return true;
  };
}

function minutes(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

function compileSchedule(s: Schedule | undefined): ((nowMs: number) => boolean) | undefined {
  if (s === undefined) return undefined;
  const days = s.days === undefined ? undefined : new Set(s.days);
  const from = s.from === undefined ? 0 : minutes(s.from);
  const to = s.to === undefined ? 24 * 60 : minutes(s.to);
  const offset = (s.utcOffsetMinutes ?? 0) * 60_000;
  return (nowMs) => {
    const local = new Date(nowMs + offset);
    if (Number.isNaN(local.getTime()))
      throw new RangeError(`"nowMs" expected a time within the Date range, got ${nowMs}`);
    if (days !== undefined && !days.has(local.getUTCDay())) return false;
    const t = local.getUTCHours() * 60 + local.getUTCMinutes();
    // from > to: the window wraps past midnight (e.g. 22:00 to 06:00).
    return from <= to ? t >= from && t < to : t >= from || t < to;
  };
}

function compileRule(rule: PolicyRule, index: number, policyMode: PolicyMode): CompiledRule {
  const tool = compileGlobs(rule.tools);
  const agents: GlobMatcher | undefined = rule.agents === undefined ? undefined : compileGlobs(rule.agents);
  const tags = anyOf(rule.tags);
  const labels = anyOf(rule.labels);
  const tiers = rule.tiers === undefined ? undefined : new Set<string>(rule.tiers);
  const tainted = rule.taintedBy;
  const subject = compileSubject(rule.subject);
  const schedule = compileSchedule(rule.schedule);
  const conditions = Object.entries(rule.when ?? {}).map(([pointer, c]) => compileCondition(pointer, c));
  const monitor = rule.monitor === undefined ? undefined : compileMonitorCondition(rule.monitor);
  // The policy's mode caps the rule's: off < monitor < enforce.
  const order = { off: 0, monitor: 1, enforce: 2 } as const;
  const own = rule.mode ?? policyMode;
  const mode = order[own] < order[policyMode] ? own : policyMode;
  const o = rule.obligations;
  return Object.freeze({
    index,
    id: rule.id,
    effect: rule.effect,
    suspendAgent: rule.suspendAgent === true,
    mode,
    ownMode: own,
    reason: rule.reason,
    obligations: o === undefined ? undefined : (Object.freeze({ ...o }) as Obligations),
    pathConditions: conditions.filter((c) => c.hasPath),
    needsTaint: tainted !== undefined,
    matches(ctx: MatchContext): Tri {
      const { request } = ctx;
      if (!tool(request.tool.name)) return FALSE;
      if (agents !== undefined && !agents(request.agent.id) && !agents(request.agent.name)) return FALSE;
      if (tags !== undefined && !tags(request.tool.tags)) return FALSE;
      if (labels !== undefined && !labels(request.tool.labels)) return FALSE;
      let result: Tri = TRUE;
      if (tiers !== undefined) {
        // Unknown tier: undecided, so an allow does not apply and a deny does (fail closed).
        const tier = request.tool.tier;
        if (tier === undefined) result = UNKNOWN;
        else if (!tiers.has(tier)) return FALSE;
      }
      if (subject !== undefined && !subject(request.agent)) return FALSE;
      if (schedule !== undefined && !schedule(ctx.nowMs)) return FALSE;
      if (tainted !== undefined && !tainted.some((label) => ctx.taint?.has(label) === true)) return FALSE;
      if (monitor !== undefined) {
        const r = monitor(request.monitor, ctx);
        if (r === FALSE) return FALSE;
        if (r === UNKNOWN) result = UNKNOWN;
      }
      for (const condition of conditions) {
        const r = condition.evaluate(request.args, ctx);
        if (r === FALSE) return FALSE;
        if (r === UNKNOWN) result = UNKNOWN;
      }
      return result;
    },
  });
}

/** How many tool names' candidate lists are remembered. */
const CANDIDATE_CACHE_SIZE = 4096;

/** Compiles every rule of `policy` once and indexes them by tool name. */
export function compilePolicy(policy: Policy): CompiledPolicy {
  const mode = policy.mode ?? 'enforce';
  const rules = policy.rules.map((rule, i) => compileRule(rule, i, mode));
  const index = new RuleIndex<CompiledRule>();
  index.addAll(rules.map((rule, i) => [rule, (policy.rules[i] as PolicyRule).tools] as const));
  // Candidates depend on the tool name only, and an agent has few tools: remember them (bounded).
  const cache = new Map<string, readonly CompiledRule[]>();
  const o = policy.obligations;
  return Object.freeze({
    rules,
    obligations: o === undefined ? undefined : (Object.freeze({ ...o }) as Obligations),
    candidates(name: string): readonly CompiledRule[] {
      let found = cache.get(name);
      if (found === undefined) {
        found = index.candidates(name);
        if (cache.size >= CANDIDATE_CACHE_SIZE) cache.clear();
        cache.set(name, found);
      }
      return found;
    },
  });
}
