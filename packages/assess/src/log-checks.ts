import { containsRedaction } from '@agentguard/audit';
import { type Observation, type PolicyRule, ruleSelectsTool, suggestPolicy } from '@agentguard/policy';
import { type CheckContext, finding } from './checks.js';
import type { Finding } from './finding.js';
import type { LogSummary } from './log.js';

/** Rates read out of a log, compared between assessments. Rates are rounded to 4 decimals. */
export interface LogMetrics {
  readonly calls: number;
  /** Calls the policy denied (enforced denials). */
  readonly denied: number;
  readonly alerts: number;
  readonly deniedRate: number;
  readonly alertRate: number;
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;

/** The metrics of a log. */
export function logMetrics(log: LogSummary): LogMetrics {
  const calls = log.calls.length;
  const denied = log.calls.filter((c) => c.effect === 'deny' && c.mode !== 'monitor').length;
  const alerts = log.alerts.length;
  return Object.freeze({
    calls,
    denied,
    alerts,
    deniedRate: calls === 0 ? 0 : round(denied / calls),
    alertRate: calls === 0 ? 0 : round(alerts / calls),
  });
}

/** A copy of recorded args without the fields the log holds redacted (their value is a marker, not the value). */
function unredacted(value: unknown): unknown {
  if (typeof value === 'string') return containsRedaction(value) ? undefined : value;
  if (Array.isArray(value))
    return value.some((v) => unredacted(v) === undefined && v !== undefined) ? undefined : value;
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const kept = unredacted(v);
    if (kept !== undefined) out[key] = kept;
  }
  return out;
}

/** Why an allow rule is broader than what it allowed in the log, or an empty list. */
function broader(
  rule: PolicyRule,
  ctx: CheckContext,
  used: { tools: Set<string>; agents: Set<string> },
  suggested: readonly PolicyRule[],
) {
  const reasons: string[] = [];
  const unused = ctx.tools
    .filter(({ tool, tier }) => ruleSelectsTool(rule, tool, tier) && !used.tools.has(tool.name))
    .map(({ tool }) => tool.name)
    .sort();
  if (unused.length > 0) reasons.push(`selects tools never called under it: ${unused.join(', ')}`);
  if (rule.agents === undefined) reasons.push(`any agent, used by ${[...used.agents].sort().join(', ')}`);
  if (rule.when === undefined && suggested.some((s) => s.when !== undefined)) reasons.push('no argument conditions');
  return { reasons, unused };
}

/** AG-POL-002: allow rules broader than the calls the log shows, with the narrower rules `policy suggest` draws. */
export function broadRuleChecks(ctx: CheckContext, log: LogSummary): Finding[] {
  const out: Finding[] = [];
  for (const rule of ctx.deployment.policy.rules) {
    if (rule.effect !== 'allow') continue;
    const calls = log.calls.filter((c) => c.ruleId === rule.id && c.effect === 'allow' && !c.wouldDeny);
    if (calls.length === 0) continue;
    const observations: Observation[] = calls.map((c) => ({
      agent: c.agent,
      tool: c.tool,
      ...(c.args === undefined ? {} : { args: unredacted(c.args) }),
    }));
    const suggested = suggestPolicy(observations, { id: `narrower-${rule.id}` }).rules;
    const used = { tools: new Set(calls.map((c) => c.tool)), agents: new Set(calls.map((c) => c.agent)) };
    const { reasons, unused } = broader(rule, ctx, used, suggested);
    if (reasons.length === 0) continue;
    out.push(
      finding(
        'AG-POL-002',
        'medium',
        `allow rule "${rule.id}" is broader than the ${calls.length} call(s) it allowed: ${reasons.join('; ')}`,
        {
          rules: [rule.id],
          ...(unused.length === 0 ? {} : { tools: unused }),
          records: calls.slice(0, 20).map((c) => c.seq),
        },
        { suggestion: suggested },
      ),
    );
  }
  return out;
}

/** Whether a rate moved sharply: by at least 5 points, and at least doubled or halved. */
function sharp(before: number, now: number): boolean {
  if (Math.abs(now - before) < 0.05) return false;
  return before === 0 || now === 0 || now / before >= 2 || now / before <= 0.5;
}

/** AG-TREND-001/002: denied-call and alert rates that changed sharply since the previous assessment. */
export function trendChecks(
  now: LogMetrics,
  before: LogMetrics | undefined,
  minCalls: number,
  log: LogSummary,
): Finding[] {
  if (before === undefined || now.calls < minCalls || before.calls < minCalls) return [];
  const out: Finding[] = [];
  const pct = (x: number) => `${round(x * 100)}%`;
  if (sharp(before.deniedRate, now.deniedRate)) {
    const denied = log.calls.filter((c) => c.effect === 'deny' && c.mode !== 'monitor').map((c) => c.seq);
    out.push(
      finding(
        'AG-TREND-001',
        'medium',
        `denied-call rate went from ${pct(before.deniedRate)} to ${pct(now.deniedRate)}`,
        {
          facts: [`before: ${before.denied} of ${before.calls} calls`, `now: ${now.denied} of ${now.calls} calls`],
          records: denied.slice(0, 20),
        },
      ),
    );
  }
  if (sharp(before.alertRate, now.alertRate)) {
    out.push(
      finding('AG-TREND-002', 'medium', `alert rate went from ${pct(before.alertRate)} to ${pct(now.alertRate)}`, {
        facts: [
          `before: ${before.alerts} alerts in ${before.calls} calls`,
          `now: ${now.alerts} alerts in ${now.calls} calls`,
        ],
        records: log.alerts.slice(0, 20),
      }),
    );
  }
  return out;
}
