import type { DecisionRequest, Obligations } from './decision.js';
import { compileGlobs, type GlobMatcher } from './glob.js';
import { RuleIndex } from './rule-index.js';
import type { Effect, Policy, PolicyMode, PolicyRule } from './schema.js';

/** A rule compiled once at engine creation: matchers built, nothing re-parsed per decision. */
export interface CompiledRule {
  readonly index: number;
  readonly id: string;
  readonly effect: Effect;
  /** The rule's own mode (the policy's mode is applied on top by the engine). */
  readonly mode: PolicyMode;
  readonly reason: string | undefined;
  readonly obligations: Obligations | undefined;
  /** Whether the rule applies to the request (tool, agent, and later conditions). */
  matches(request: DecisionRequest): boolean;
}

/** A policy compiled for fast decisions. */
export interface CompiledPolicy {
  readonly rules: readonly CompiledRule[];
  /** The rules that may apply to a tool name, in policy order. */
  candidates(toolName: string): readonly CompiledRule[];
}

function compileRule(rule: PolicyRule, index: number): CompiledRule {
  const tool = compileGlobs(rule.tools);
  const agents: GlobMatcher | undefined = rule.agents === undefined ? undefined : compileGlobs(rule.agents);
  return Object.freeze({
    index,
    id: rule.id,
    effect: rule.effect,
    mode: 'enforce',
    reason: rule.reason,
    obligations: undefined,
    matches(request: DecisionRequest): boolean {
      if (!tool(request.tool.name)) return false;
      if (agents !== undefined && !agents(request.agent.id) && !agents(request.agent.name)) return false;
      return true;
    },
  });
}

/** Compiles every rule of `policy` and indexes them by tool name. */
export function compilePolicy(policy: Policy): CompiledPolicy {
  const rules = policy.rules.map(compileRule);
  const index = new RuleIndex<CompiledRule>();
  index.addAll(rules.map((rule, i) => [rule, (policy.rules[i] as PolicyRule).tools] as const));
  return Object.freeze({ rules, candidates: (name: string) => index.candidates(name) });
}
