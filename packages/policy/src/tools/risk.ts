import type { Limit, Policy, PolicyRule } from '../document/schema.js';
import { isIsolationLevel, type IsolationLevel } from '../isolation/levels.js';
import { compileGlobs } from '../match/glob.js';

/** Risk tiers, lowest first. A closed set: anything else is not a tier. */
export const RISK_TIERS = Object.freeze(['low', 'medium', 'high', 'critical'] as const);

/** One of {@link RISK_TIERS}. */
export type RiskTier = (typeof RISK_TIERS)[number];

/** Whether `value` is one of {@link RISK_TIERS}. */
export function isRiskTier(value: unknown): value is RiskTier {
  return typeof value === 'string' && (RISK_TIERS as readonly string[]).includes(value);
}

/** The higher of two tiers (an agent's tier is the highest of its tools'). */
export function maxRiskTier(a: RiskTier, b: RiskTier): RiskTier {
  return RISK_TIERS.indexOf(a) >= RISK_TIERS.indexOf(b) ? a : b;
}

/** What a tool declares, as {@link toolRiskTier} reads it. */
export interface RiskToolView {
  readonly name: string;
  /** Side-effect tags, e.g. `read`, `write`, `delete`, `payment`, `external`. @default [] */
  readonly tags?: readonly string[] | undefined;
  /** Data-flow labels, e.g. `reads:pii`, `reads:secrets`, `egress`. @default [] */
  readonly labels?: readonly string[] | undefined;
  /** Whether its arguments and results are withheld from logs. @default false */
  readonly sensitive?: boolean | undefined;
  /** How it runs. @default 'none' (in the agent's process) */
  readonly isolation?: IsolationLevel | undefined;
  /** An explicit tier that replaces the computed one. @default computed */
  readonly risk?: RiskTier | undefined;
}

/** Options of {@link toolRiskTier}. */
export interface ToolRiskOptions {
  /**
   * The policy that decides the tool's calls: a high-risk tool that the policy lets run without approval, in
   * the agent's own process, is raised to `critical`. @default none (approval is not considered)
   */
  readonly policy?: Policy;
}

/** A tool's tier and the declarations that set it. */
export interface ToolRisk {
  readonly tier: RiskTier;
  /** Why, in order, e.g. `tag:payment → high`; `override` when the tool declared its tier. */
  readonly reasons: readonly string[];
}

const TAG_TIERS: Readonly<Record<string, RiskTier>> = Object.freeze({
  write: 'medium',
  external: 'medium',
  delete: 'high',
  destructive: 'high',
  payment: 'high',
});

const LABEL_TIERS: Readonly<Record<string, RiskTier>> = Object.freeze({
  'reads:pii': 'medium',
  'untrusted-content': 'medium',
  egress: 'medium',
  'writes:external': 'medium',
  'reads:secrets': 'high',
});

const SOURCES = new Set(['reads:pii', 'reads:secrets']);
const SINKS = new Set(['egress', 'writes:external']);

function has(list: readonly string[] | undefined, set: ReadonlySet<string>): boolean {
  return list?.some((x) => set.has(x)) === true;
}

/** A rule that applies to every call of the tool, whatever the agent, arguments, time or verdict. */
function unconditional(rule: PolicyRule): boolean {
  return (
    rule.agents === undefined &&
    rule.subject === undefined &&
    rule.when === undefined &&
    rule.schedule === undefined &&
    rule.monitor === undefined &&
    rule.taintedBy === undefined
  );
}

/** Whether a rule's tool, tag, label and tier filters could select the tool. */
export function ruleSelectsTool(rule: PolicyRule, tool: RiskToolView, tier?: RiskTier): boolean {
  if (!compileGlobs(rule.tools)(tool.name)) return false;
  if (rule.tags !== undefined && !rule.tags.some((t) => tool.tags?.includes(t) === true)) return false;
  if (rule.labels !== undefined && !rule.labels.some((l) => tool.labels?.includes(l) === true)) return false;
  if (rule.tiers !== undefined && tier !== undefined && !rule.tiers.includes(tier)) return false;
  return true;
}

/**
 * Whether the policy can allow a call of the tool without an approval: some enforced-or-not `allow` rule
 * selects it and no unconditional `require_approval` or `deny` rule does. A policy in `monitor` or `off` mode
 * lets every call run.
 *
 * @param policy - a validated policy.
 * @param tool - the tool.
 * @param tier - the tool's tier, for rules with `tiers` (absent: such rules are assumed to select it).
 */
export function runsWithoutApproval(policy: Policy, tool: RiskToolView, tier?: RiskTier): boolean {
  if (policy.mode === 'monitor' || policy.mode === 'off') return true;
  let allowed = false;
  for (const rule of policy.rules) {
    if (!ruleSelectsTool(rule, tool, tier)) continue;
    if (rule.mode === 'monitor' || rule.mode === 'off') {
      if (rule.effect !== 'allow') return true;
      continue;
    }
    if (rule.effect === 'allow') allowed = true;
    else if (unconditional(rule)) return false;
  }
  return allowed;
}

/**
 * The risk tier of a tool, from what it declares: side-effect tags (`write`, `external` → medium; `delete`,
 * `destructive`, `payment` → high), data-flow labels (`reads:pii`, `egress`, `writes:external`,
 * `untrusted-content` → medium; `reads:secrets` → high), `sensitive` (→ high), a path from personal or secret
 * data out of the system (a source label with a sink label or the `external` tag → critical), and, given the
 * policy, a high-risk tool that runs in the agent's own process without approval (→ critical). The tool's own
 * `risk` replaces all of this. Pure: the same input always gives the same tier.
 *
 * @param tool - what the tool declares.
 * @param options - see {@link ToolRiskOptions}.
 * @returns the tier and the reasons for it.
 * @throws TypeError when `tool.risk` or `tool.isolation` is not one of its closed set.
 * @example
 * ```ts
 * toolRiskTier({ name: 'pay', tags: ['payment'] }).tier; // 'high'
 * toolRiskTier({ name: 'export', labels: ['reads:pii', 'egress'] }).tier; // 'critical'
 * ```
 */
export function toolRiskTier(tool: RiskToolView, options: ToolRiskOptions = {}): ToolRisk {
  if (typeof tool !== 'object' || tool === null) throw new TypeError('"tool" expected an object');
  if (tool.risk !== undefined) {
    if (!isRiskTier(tool.risk)) throw new TypeError(`"tool.risk" expected one of ${RISK_TIERS.join(', ')}`);
    return Object.freeze({ tier: tool.risk, reasons: Object.freeze(['override']) });
  }
  const isolation = tool.isolation ?? 'none';
  if (!isIsolationLevel(isolation)) throw new TypeError('"tool.isolation" expected none, process or bwrap');
  const state: { tier: RiskTier } = { tier: 'low' };
  const reasons: string[] = [];
  const raise = (to: RiskTier, why: string) => {
    reasons.push(`${why} → ${to}`);
    state.tier = maxRiskTier(state.tier, to);
  };
  for (const tag of [...new Set(tool.tags ?? [])].sort()) {
    const t = TAG_TIERS[tag];
    if (t !== undefined && Object.hasOwn(TAG_TIERS, tag)) raise(t, `tag:${tag}`);
  }
  for (const label of [...new Set(tool.labels ?? [])].sort()) {
    const t = LABEL_TIERS[label];
    if (t !== undefined && Object.hasOwn(LABEL_TIERS, label)) raise(t, `label:${label}`);
  }
  if (tool.sensitive === true) raise('high', 'sensitive');
  const sink = has(tool.labels, SINKS) || tool.tags?.includes('external') === true;
  if (has(tool.labels, SOURCES) && sink) raise('critical', 'reads personal or secret data and sends out');
  if (
    state.tier === 'high' &&
    isolation === 'none' &&
    options.policy !== undefined &&
    runsWithoutApproval(options.policy, tool, 'high')
  ) {
    raise('critical', 'runs in-process without approval');
  }
  return Object.freeze({ tier: state.tier, reasons: Object.freeze(reasons) });
}

/**
 * The ids of the policy's limits that count a tool's calls (their `tools` globs match its name), in policy order.
 *
 * @param policy - a validated policy.
 * @param toolName - the tool's name.
 */
export function limitsCovering(policy: Policy, toolName: string): readonly Limit[] {
  return (policy.limits ?? []).filter((l) => compileGlobs(l.tools)(toolName));
}
