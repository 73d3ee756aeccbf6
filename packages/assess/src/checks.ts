import { limitsCovering, type RiskTier, ruleSelectsTool, runsWithoutApproval } from '@agentguard/policy';
import { FINDING_RULES, type FindingId, type Severity } from './catalogue.js';
import type { Deployment, DeploymentTool } from './deployment.js';
import type { Evidence, Finding } from './finding.js';

/** What the checks know of each tool: its declaration and its tier. */
export interface TieredTool {
  readonly tool: DeploymentTool;
  readonly tier: RiskTier;
}

/** The facts every check reads. */
export interface CheckContext {
  readonly deployment: Deployment;
  readonly tools: readonly TieredTool[];
  readonly agentTiers: ReadonlyMap<string, RiskTier>;
  readonly nowMs: number;
  readonly maxModeDays: number;
  readonly maxRevocationAgeMs: number;
}

const sorted = (list: Iterable<string>) => [...new Set(list)].sort();

/** A finding of `id`, with the catalogue's title and fix. */
export function finding(
  id: FindingId,
  severity: Severity,
  message: string,
  evidence: Evidence,
  extra: { readonly fix?: string; readonly suggestion?: unknown } = {},
): Finding {
  const rule = FINDING_RULES[id];
  return {
    id,
    severity,
    title: rule.title,
    message,
    evidence,
    fix: extra.fix ?? rule.fix,
    ...(extra.suggestion === undefined ? {} : { suggestion: extra.suggestion }),
  };
}

const high = (tier: RiskTier) => tier === 'high' || tier === 'critical';
const DAY_MS = 86_400_000;

/** Checks of the tools against the policy (AG-POL-001, AG-TOOL-*). */
export function toolChecks(ctx: CheckContext): Finding[] {
  const { policy } = ctx.deployment;
  const out: Finding[] = [];
  const redactionOff = ctx.deployment.redaction?.enabled === false;
  for (const { tool, tier } of ctx.tools) {
    const t = [tool.name];
    const mentioned = policy.rules.some((r) => ruleSelectsTool(r, tool, tier));
    if (!mentioned) {
      out.push(finding('AG-POL-001', 'low', `no rule of the policy selects tool "${tool.name}"`, { tools: t }));
    }
    if (high(tier) && mentioned && runsWithoutApproval(policy, tool, tier)) {
      out.push(
        finding(
          'AG-TOOL-001',
          tier === 'critical' ? 'critical' : 'high',
          `${tier}-risk tool "${tool.name}" can run without approval`,
          {
            tools: t,
            rules: sorted(
              policy.rules.filter((r) => r.effect === 'allow' && ruleSelectsTool(r, tool, tier)).map((r) => r.id),
            ),
          },
        ),
      );
    }
    if (high(tier) && (tool.isolation ?? 'none') === 'none') {
      out.push(
        finding(
          'AG-TOOL-002',
          tier === 'critical' ? 'high' : 'medium',
          `${tier}-risk tool "${tool.name}" runs in the agent process`,
          {
            tools: t,
          },
        ),
      );
    }
    if (high(tier) && tool.auditFailure === 'open') {
      out.push(finding('AG-TOOL-003', 'high', `${tier}-risk tool "${tool.name}" fails open`, { tools: t }));
    }
    if (tool.pinned !== true) {
      out.push(
        finding('AG-TOOL-004', high(tier) ? 'medium' : 'low', `definition of tool "${tool.name}" is not pinned`, {
          tools: t,
        }),
      );
    }
    const spends = tool.tags?.includes('payment') === true || tool.labels?.includes('egress') === true;
    if (spends) {
      const limited = limitsCovering(policy, tool.name).some(
        (l) =>
          (l.rate !== undefined || l.tokenBucket !== undefined || l.budget !== undefined) &&
          (l.mode ?? policy.mode ?? 'enforce') === 'enforce',
      );
      if (!limited) {
        out.push(
          finding('AG-TOOL-005', 'medium', `no enforced rate limit or budget covers tool "${tool.name}"`, { tools: t }),
        );
      }
    }
    const personal = tool.labels?.includes('reads:pii') === true || tool.tags?.includes('pii') === true;
    if (redactionOff && personal && tool.sensitive !== true) {
      out.push(
        finding('AG-TOOL-006', 'high', `tool "${tool.name}" handles personal data and the guard's redaction is off`, {
          tools: t,
          facts: ['redaction.enabled: false'],
        }),
      );
    }
  }
  return out;
}

/** Checks of the agents' keys (AG-ID-*). */
export function identityChecks(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  for (const agent of ctx.deployment.agents) {
    const tier = ctx.agentTiers.get(agent.name) ?? 'low';
    const evidence: Evidence = { agents: [agent.name], facts: [`agent tier ${tier}`] };
    if (agent.key === 'local-key') {
      out.push(
        finding(
          'AG-ID-001',
          high(tier) ? 'high' : 'medium',
          `agent "${agent.name}" signs with a local key file`,
          evidence,
        ),
      );
    } else if (agent.key === 'env') {
      out.push(
        finding('AG-ID-002', 'high', `agent "${agent.name}" reads its key from an environment variable`, evidence),
      );
    } else if (agent.key === 'ephemeral') {
      out.push(finding('AG-ID-003', 'medium', `agent "${agent.name}" has an identity made at start-up`, evidence));
    }
  }
  return out;
}

function daysSince(iso: string, nowMs: number): number {
  return Math.floor((nowMs - Date.parse(iso)) / DAY_MS);
}

/** Checks of the mode, checkpoints and revocation (AG-MODE-001, AG-AUD-001, AG-REV-001). */
export function settingChecks(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  const { deployment: d, nowMs } = ctx;
  const mode = d.mode?.value ?? d.policy.mode ?? 'enforce';
  if (mode !== 'enforce') {
    const since = d.mode?.since;
    const days = since === undefined ? undefined : daysSince(since, nowMs);
    if (days === undefined || days > ctx.maxModeDays) {
      const fact =
        since === undefined ? `mode ${mode}, since an unknown date` : `mode ${mode} since ${since} (${days} days)`;
      out.push(
        finding(
          'AG-MODE-001',
          mode === 'off' ? 'high' : 'medium',
          `the deployment runs in ${mode} mode (${days ?? '?'} days, more than ${ctx.maxModeDays})`,
          {
            facts: [fact],
          },
        ),
      );
    }
  }
  const c = d.checkpoints;
  if (c === undefined || !c.enabled || c.witness === undefined || c.lastShippedAt === undefined) {
    const fact =
      c === undefined || !c.enabled
        ? 'checkpoints disabled'
        : c.witness === undefined
          ? 'no witness configured'
          : 'witness configured, nothing shipped yet';
    out.push(
      finding('AG-AUD-001', 'medium', `checkpoints are never shipped to a witness (${fact})`, { facts: [fact] }),
    );
  }
  const r = d.revocation;
  if (r !== undefined) {
    const facts: string[] = [];
    if (r.expiresAt === null) facts.push('the list never expires');
    else if (Date.parse(r.expiresAt) <= nowMs) facts.push(`the list expired at ${r.expiresAt}`);
    if (r.fetchedAt === undefined) facts.push('fetched at an unknown time');
    else if (nowMs - Date.parse(r.fetchedAt) > ctx.maxRevocationAgeMs) facts.push(`fetched at ${r.fetchedAt}`);
    if (facts.length > 0) {
      out.push(
        finding(
          'AG-REV-001',
          r.expiresAt !== null && Date.parse(r.expiresAt) <= nowMs ? 'high' : 'medium',
          `revocation list: ${facts.join('; ')}`,
          { facts },
        ),
      );
    }
  }
  return out;
}
