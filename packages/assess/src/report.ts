import { maxRiskTier, type RiskTier, toolRiskTier } from '@agentguard/policy';
import { z } from 'zod';
import { compareSeverity, SEVERITIES, type Severity } from './catalogue.js';
import { type CheckContext, identityChecks, settingChecks, type TieredTool, toolChecks } from './checks.js';
import type { Deployment } from './deployment.js';
import { AssessError } from './errors.js';
import type { Finding } from './finding.js';
import { type LogRecord, type LogSummary, summariseLog } from './log.js';
import { broadRuleChecks, type LogMetrics, logMetrics, trendChecks } from './log-checks.js';

/** Options of {@link assess}. */
export interface AssessOptions {
  /** The deployment's recent audit records (from a verified log), or their summary. @default none: log checks are skipped */
  readonly log?: readonly LogRecord[] | LogSummary;
  /** The previous assessment's report, for the trend checks. @default none */
  readonly previous?: AssessmentReport;
  /** The time the assessment is made at, epoch ms (durations are measured to it). @default Date.now() */
  readonly nowMs?: number;
  /** Days monitor or off mode may stay on before it is a finding. @default 14 */
  readonly maxModeDays?: number;
  /** Age after which a revocation list is stale. @default 86_400_000 (a day) */
  readonly maxRevocationAgeMs?: number;
  /** Fewest calls (now and before) for a rate to be compared. @default 20 */
  readonly minTrendCalls?: number;
}

/** The result of {@link assess}: plain JSON, the same for the same input. */
export interface AssessmentReport {
  readonly version: 1;
  readonly deployment: string;
  readonly summary: {
    /** The worst severity found, or `none`. */
    readonly worst: Severity | 'none';
    readonly counts: Readonly<Record<Severity, number>>;
  };
  /** Each tool's tier and the declarations that set it, by name. */
  readonly tools: readonly { readonly name: string; readonly tier: RiskTier; readonly reasons: readonly string[] }[];
  /** Each agent's tier: the highest of its tools'. */
  readonly agents: readonly { readonly name: string; readonly tier: RiskTier; readonly tools: readonly string[] }[];
  /** What the log shows, when a log was given. */
  readonly metrics?: LogMetrics;
  /** Sorted: worst severity first, then id, then subject. */
  readonly findings: readonly Finding[];
}

const metricsSchema = z.object({
  calls: z.int().min(0),
  denied: z.int().min(0),
  alerts: z.int().min(0),
  deniedRate: z.number().min(0),
  alertRate: z.number().min(0),
});

/** The part of a previous report the assessment reads (the rest is ignored). */
const previousSchema = z.object({ version: z.literal(1), deployment: z.string(), metrics: metricsSchema.optional() });

/**
 * Checks that a value is a report of this version (e.g. a previous report read from a file).
 *
 * @throws AssessError `ERR_ASSESS_PREVIOUS_INVALID`.
 */
export function parsePreviousReport(value: unknown): AssessmentReport {
  const parsed = previousSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AssessError(
      'ERR_ASSESS_PREVIOUS_INVALID',
      `previous report: ${issue?.path.map(String).join('.') || 'report'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return value as AssessmentReport;
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`"${name}" expected a non-negative number, got ${String(value)}`);
  }
  return value;
}

const subject = (f: Finding) =>
  JSON.stringify([f.evidence.tools ?? [], f.evidence.agents ?? [], f.evidence.rules ?? [], f.message]);

function compareFindings(a: Finding, b: Finding): number {
  const bySeverity = compareSeverity(b.severity, a.severity);
  if (bySeverity !== 0) return bySeverity;
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  const sa = subject(a);
  const sb = subject(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/**
 * Assesses a deployment: each tool's risk tier, each agent's (the highest of its tools'), and the findings
 * (see docs/assess.md for every id), sorted deterministically. Pure apart from the clock when `nowMs` is not
 * given: the same deployment, log, previous report and `nowMs` always give the same report.
 *
 * @param deployment - a validated deployment ({@link parseDeployment}).
 * @param options - see {@link AssessOptions}.
 * @returns the report.
 * @throws AssessError `ERR_ASSESS_LOG_INVALID` or `ERR_ASSESS_PREVIOUS_INVALID` on a malformed log or previous report.
 * @example
 * ```ts
 * const report = assess(parseDeployment(config), { log: records, nowMs: Date.parse('2026-06-01T00:00:00Z') });
 * console.log(formatReport(report, 'table'));
 * ```
 */
export function assess(deployment: Deployment, options: AssessOptions = {}): AssessmentReport {
  if (typeof deployment !== 'object' || deployment === null) throw new TypeError('"deployment" expected an object');
  const nowMs = options.nowMs ?? Date.now();
  if (!Number.isFinite(nowMs)) throw new RangeError(`"nowMs" expected a finite number, got ${String(nowMs)}`);
  const tools: TieredTool[] = deployment.tools.map((tool) => ({
    tool,
    tier: toolRiskTier(tool, { policy: deployment.policy }).tier,
  }));
  const byName = new Map(tools.map((t) => [t.tool.name, t]));
  const agentTiers = new Map<string, RiskTier>();
  const agents = deployment.agents.map((a) => {
    const names = [...new Set(a.tools ?? deployment.tools.map((t) => t.name))].sort();
    const tier = names.reduce<RiskTier>((acc, n) => maxRiskTier(acc, byName.get(n)?.tier ?? 'low'), 'low');
    agentTiers.set(a.name, tier);
    return { name: a.name, tier, tools: names };
  });
  const ctx: CheckContext = {
    deployment,
    tools,
    agentTiers,
    nowMs,
    maxModeDays: positive(options.maxModeDays, 14, 'maxModeDays'),
    maxRevocationAgeMs: positive(options.maxRevocationAgeMs, 86_400_000, 'maxRevocationAgeMs'),
  };
  const findings = [...toolChecks(ctx), ...identityChecks(ctx), ...settingChecks(ctx)];
  let metrics: LogMetrics | undefined;
  if (options.log !== undefined) {
    const log = Array.isArray(options.log) ? summariseLog(options.log) : (options.log as LogSummary);
    metrics = logMetrics(log);
    const previous = options.previous === undefined ? undefined : parsePreviousReport(options.previous);
    findings.push(...broadRuleChecks(ctx, log));
    findings.push(
      ...trendChecks(metrics, previous?.metrics, positive(options.minTrendCalls, 20, 'minTrendCalls'), log),
    );
  }
  findings.sort(compareFindings);
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of findings) counts[f.severity]++;
  const worst = findings[0]?.severity ?? 'none';
  const toolList = tools
    .map(({ tool }) => {
      const risk = toolRiskTier(tool, { policy: deployment.policy });
      return { name: tool.name, tier: risk.tier, reasons: risk.reasons };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  agents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    version: 1,
    deployment: deployment.name,
    summary: { worst, counts },
    tools: toolList,
    agents,
    ...(metrics === undefined ? {} : { metrics }),
    findings,
  };
}

/** Exit statuses of `agentguard assess` by worst severity at or above the threshold (0: none). */
export const EXIT_BY_SEVERITY: Readonly<Record<Severity, number>> = Object.freeze({
  info: 0,
  low: 3,
  medium: 4,
  high: 5,
  critical: 6,
});

/**
 * The exit status for a report: the code of the worst severity at or above `failOn`, or 0.
 *
 * @param report - an assessment report.
 * @param failOn - the lowest severity that fails. @default 'low'
 */
export function exitCodeOf(report: AssessmentReport, failOn: Severity = 'low'): number {
  const worst = report.summary.worst;
  if (worst === 'none' || compareSeverity(worst, failOn) < 0) return 0;
  return EXIT_BY_SEVERITY[worst];
}
