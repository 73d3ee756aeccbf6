import { type RiskTier, toolRiskTier } from '@agentguard/policy';
import type { Deployment, DeploymentAgent } from './deployment.js';
import { type LogRecord, type LogSummary, type LoggedCall, summariseLog } from './log.js';

/** The stages of a gradual rollout, in order. */
export const ROLLOUT_STAGES = Object.freeze([
  'monitor-read-only',
  'enforce-read-only',
  'write-with-approval',
  'lift-approvals',
] as const);

/** One of {@link ROLLOUT_STAGES}. */
export type RolloutStageId = (typeof ROLLOUT_STAGES)[number];

/** One stage of an agent's rollout. */
export interface RolloutStage {
  readonly id: RolloutStageId;
  readonly title: string;
  /** `done`: the log shows its condition met; `current`: the stage to be in now; `pending`: later. */
  readonly status: 'done' | 'current' | 'pending';
  /** The tools the stage is about. */
  readonly tools: readonly string[];
  /** What the log shows, with the `seq` of the records that show it. */
  readonly evidence: { readonly facts: readonly string[]; readonly records: readonly number[] };
  /** The condition to move on to the next stage. */
  readonly moveOn: string;
}

/** The rollout of one agent. */
export interface AgentRollout {
  readonly agent: string;
  readonly tier: RiskTier;
  readonly stages: readonly RolloutStage[];
}

/** Options of {@link planRollout}. */
export interface PlanRolloutOptions {
  /** Only this agent (its name). @default every agent of the deployment */
  readonly agent?: string;
  /** Calls a stage must see before it counts as done. @default 50 */
  readonly minCalls?: number;
  /** Approvals a tool must have had, all granted, before its approval can be lifted. @default 20 */
  readonly minApprovals?: number;
}

const WRITE_TAGS = new Set(['write', 'delete', 'destructive', 'payment', 'external']);
const WRITE_LABELS = new Set(['egress', 'writes:external']);

/** Whether a tool only reads: no side-effect tag, no sink label. */
export function isReadOnly(tool: {
  readonly tags?: readonly string[] | undefined;
  readonly labels?: readonly string[] | undefined;
}): boolean {
  return !(tool.tags ?? []).some((t) => WRITE_TAGS.has(t)) && !(tool.labels ?? []).some((l) => WRITE_LABELS.has(l));
}

const first = (calls: readonly LoggedCall[], n = 20) => calls.slice(0, n).map((c) => c.seq);

function agentCalls(log: LogSummary, agent: DeploymentAgent): LoggedCall[] {
  return log.calls.filter((c) => c.agent === agent.name || (agent.id !== undefined && c.agent === agent.id));
}

function stagesFor(
  deployment: Deployment,
  agent: DeploymentAgent,
  log: LogSummary,
  minCalls: number,
  minApprovals: number,
) {
  const names = new Set(agent.tools ?? deployment.tools.map((t) => t.name));
  const tools = deployment.tools.filter((t) => names.has(t.name));
  const readTools = tools
    .filter(isReadOnly)
    .map((t) => t.name)
    .sort();
  const writeTools = tools
    .filter((t) => !isReadOnly(t))
    .map((t) => t.name)
    .sort();
  const calls = agentCalls(log, agent);
  const isRead = (c: LoggedCall) => readTools.includes(c.tool) || (!names.has(c.tool) && isReadOnly(c));

  // 1. Read-only preset in monitor mode.
  const watched = calls.filter((c) => c.mode === 'monitor');
  const wouldDeny = watched.filter((c) => c.wouldDeny);
  const s1Done = watched.length >= minCalls;
  // 2. Enforce read-only.
  const enforcedReads = calls.filter((c) => c.mode === 'enforce' && isRead(c));
  const readDenials = enforcedReads.filter((c) => c.effect === 'deny');
  const s2Done = enforcedReads.length >= minCalls && readDenials.length === 0;
  // 3. Write tools with approval; 4. lift approvals that were always granted.
  const byTool = new Map<string, { granted: LoggedCall[]; refused: LoggedCall[]; unapproved: LoggedCall[] }>();
  for (const name of writeTools) byTool.set(name, { granted: [], refused: [], unapproved: [] });
  for (const c of calls) {
    const entry = byTool.get(c.tool);
    if (entry === undefined || c.mode !== 'enforce') continue;
    if (c.approval === 'granted') entry.granted.push(c);
    else if (c.approval === 'refused') entry.refused.push(c);
    else if (c.effect === 'allow' && c.approval === 'none') entry.unapproved.push(c);
  }
  const approvedEnough = writeTools.filter((t) => {
    const e = byTool.get(t);
    return e !== undefined && e.granted.length + e.refused.length >= minApprovals;
  });
  const s3Done = writeTools.length > 0 && approvedEnough.length === writeTools.length;
  const liftable = approvedEnough.filter((t) => byTool.get(t)?.refused.length === 0);
  const keep = approvedEnough.filter((t) => (byTool.get(t)?.refused.length ?? 0) > 0);
  const s4Done =
    writeTools.length > 0 && writeTools.every((t) => (byTool.get(t)?.unapproved.length ?? 0) > 0 || keep.includes(t));

  const approvals = writeTools.map((t) => {
    const e = byTool.get(t) as { granted: LoggedCall[]; refused: LoggedCall[] };
    return `${t}: ${e.granted.length} granted, ${e.refused.length} refused`;
  });
  const approvalRecords = writeTools.flatMap((t) => {
    const e = byTool.get(t) as { granted: LoggedCall[]; refused: LoggedCall[] };
    return first(
      [...e.granted, ...e.refused].sort((a, b) => a.seq - b.seq),
      10,
    );
  });
  const stages: Omit<RolloutStage, 'status'>[] = [
    {
      id: 'monitor-read-only',
      title: 'Read-only preset in monitor mode',
      tools: readTools,
      evidence: {
        facts: [
          `${watched.length} call(s) recorded in monitor mode`,
          `${wouldDeny.length} would have been denied`,
          `tools called: ${[...new Set(watched.map((c) => c.tool))].sort().join(', ') || 'none'}`,
        ],
        records: first(wouldDeny.length > 0 ? wouldDeny : watched),
      },
      moveOn: `at least ${minCalls} calls recorded in monitor mode, each would-deny reviewed (the policy fixed or the call confirmed as unwanted)`,
    },
    {
      id: 'enforce-read-only',
      title: 'Enforce the read-only policy',
      tools: readTools,
      evidence: {
        facts: [`${enforcedReads.length} read-only call(s) enforced`, `${readDenials.length} of them denied`],
        records: first(readDenials.length > 0 ? readDenials : enforcedReads),
      },
      moveOn: `at least ${minCalls} enforced read-only calls and none of them denied`,
    },
    {
      id: 'write-with-approval',
      title: 'Add the write tools, each requiring approval',
      tools: writeTools,
      evidence: {
        facts: approvals.length === 0 ? ['the agent has no write tools'] : approvals,
        records: approvalRecords,
      },
      moveOn: `at least ${minApprovals} approval decisions for each write tool`,
    },
    {
      id: 'lift-approvals',
      title: 'Lift approvals the log shows were always granted',
      tools: liftable,
      evidence: {
        facts: [
          `always granted: ${liftable.join(', ') || 'none yet'}`,
          `keep approval (some refused): ${keep.join(', ') || 'none'}`,
        ],
        records: approvalRecords,
      },
      moveOn: 'the rollout is complete; reassess regularly',
    },
  ];
  const done = [s1Done || s2Done, s2Done, s3Done, s4Done];
  let current = false;
  return stages.map((s, i) => {
    let status: RolloutStage['status'] = 'pending';
    if (done[i] === true && !current) status = 'done';
    else if (!current) {
      status = 'current';
      current = true;
    }
    return Object.freeze({ ...s, status });
  });
}

/**
 * Proposes a gradual rollout for each agent, from what its log shows: read-only preset in monitor mode, then
 * enforced read-only, then write tools with approval, then lifting the approvals that were always granted. Each
 * stage carries the evidence (counts and record `seq`s) and the condition to move on; the first stage whose
 * condition the log does not show met is `current`. Pure: the same input gives the same plan.
 *
 * @param deployment - a validated deployment.
 * @param log - its audit records (verified) or their summary.
 * @param options - see {@link PlanRolloutOptions}.
 * @example
 * ```ts
 * const plan = planRollout(deployment, records, { agent: 'billing' });
 * ```
 */
export function planRollout(
  deployment: Deployment,
  log: readonly LogRecord[] | LogSummary,
  options: PlanRolloutOptions = {},
): readonly AgentRollout[] {
  const summary = Array.isArray(log) ? summariseLog(log) : (log as LogSummary);
  const minCalls = options.minCalls ?? 50;
  const minApprovals = options.minApprovals ?? 20;
  for (const [k, v] of [
    ['minCalls', minCalls],
    ['minApprovals', minApprovals],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`"${k}" expected a positive integer, got ${String(v)}`);
  }
  const agents = deployment.agents.filter((a) => options.agent === undefined || a.name === options.agent);
  if (options.agent !== undefined && agents.length === 0) {
    throw new RangeError(`"agent" expected an agent of the deployment, got ${JSON.stringify(options.agent)}`);
  }
  return agents
    .map((agent) => {
      const names = new Set(agent.tools ?? deployment.tools.map((t) => t.name));
      const tiers = deployment.tools
        .filter((t) => names.has(t.name))
        .map((t) => toolRiskTier(t, { policy: deployment.policy }).tier);
      const order = ['low', 'medium', 'high', 'critical'] as const;
      const tier = order[Math.max(0, ...tiers.map((t) => order.indexOf(t)))] as RiskTier;
      return Object.freeze({
        agent: agent.name,
        tier,
        stages: Object.freeze(stagesFor(deployment, agent, summary, minCalls, minApprovals)),
      });
    })
    .sort((a, b) => (a.agent < b.agent ? -1 : a.agent > b.agent ? 1 : 0));
}

/** A rollout plan as a terminal table or Markdown (JSON: `JSON.stringify(plan, null, 2)`). */
export function formatPlan(plan: readonly AgentRollout[], format: 'table' | 'markdown' | 'json'): string {
  if (format === 'json') return `${JSON.stringify(plan, null, 2)}\n`;
  // Text from the deployment and the log: control, line-separator and bidi/format characters replaced, and in
  // Markdown every character that could start markup (links, images, code, tables, HTML) escaped.
  const plain = (t: string) => t.replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, '?');
  const clean = (t: string) => (format === 'markdown' ? plain(t).replace(/([\\`*_[\]|<>()!#])/g, '\\$1') : plain(t));
  const out: string[] = [];
  for (const a of plan) {
    out.push(
      format === 'markdown'
        ? `## Rollout of ${clean(a.agent)} (tier ${a.tier})`
        : `ROLLOUT OF ${clean(a.agent)} (tier ${a.tier})`,
      '',
    );
    a.stages.forEach((s, i) => {
      const head = `${i + 1}. [${s.status}] ${s.title}${s.tools.length === 0 ? '' : ` (${s.tools.map(clean).join(', ')})`}`;
      out.push(format === 'markdown' ? `${head}` : `  ${head}`);
      for (const f of s.evidence.facts) out.push(`${format === 'markdown' ? '   - ' : '       '}${clean(f)}`);
      if (s.evidence.records.length > 0)
        out.push(`${format === 'markdown' ? '   - ' : '       '}records: ${s.evidence.records.join(', ')}`);
      out.push(`${format === 'markdown' ? '   - ' : '       '}move on when: ${s.moveOn}`);
    });
    out.push('');
  }
  return out.join('\n');
}
