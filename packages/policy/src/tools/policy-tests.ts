import { z } from 'zod';
import type { Decision, DecisionAgent, DecisionRequest } from '../engine/decision.js';
import type { PolicyEngine } from '../engine/engine.js';
import { invalidDocument, MAX_POLICY_TEXT_BYTES, readStrictJson, snapshotOrThrow } from '../document/parse.js';
import { effectSchema } from '../document/schema.js';

/**
 * Fixture cases for a policy (`agentguard policy test <policy> <cases>`): each
 * case is a call and the decision it must get. Cases run in order against one
 * engine, so sessions (data-flow taint) and limits carry from case to case.
 */
const agentSchema = z.union([
  z.string().min(1),
  z
    .object({
      id: z.string().min(1),
      name: z.string().min(1).optional(),
      owner: z.string().optional(),
      environment: z.string().optional(),
      riskTier: z.string().optional(),
      scopes: z.array(z.string()).optional(),
      delegationDepth: z.int().min(0).optional(),
      credentialId: z.string().optional(),
    })
    .strict(),
]);
const toolSchema = z.union([
  z.string().min(1),
  z
    .object({ name: z.string().min(1), tags: z.array(z.string()).optional(), labels: z.array(z.string()).optional() })
    .strict(),
]);
const expectSchema = z.union([
  effectSchema,
  z
    .object({ effect: effectSchema, ruleId: z.string().nullable().optional(), wouldDeny: z.boolean().optional() })
    .strict(),
]);

/** One fixture case. */
export const policyTestCaseSchema = z
  .object({
    name: z.string().min(1).max(256),
    agent: agentSchema,
    tool: toolSchema,
    args: z.json().optional(),
    session: z.string().min(1).optional(),
    now: z.iso.datetime({ offset: true }).optional(),
    /** The runtime monitor's verdict on the call. */
    monitor: z
      .union([
        z
          .object({
            status: z.literal('scored'),
            score: z.number().min(0),
            flagged: z.boolean(),
            features: z.array(z.string()),
          })
          .strict(),
        z.object({ status: z.literal('failed'), reason: z.string() }).strict(),
      ])
      .optional(),
    expect: expectSchema,
  })
  .strict();

/** A fixture file: `{ "version": 1, "cases": [...] }`. */
export const policyTestFileSchema = z
  .object({ version: z.literal(1).optional(), cases: z.array(policyTestCaseSchema).min(1) })
  .strict();

/** One fixture case. */
export type PolicyTestCase = z.infer<typeof policyTestCaseSchema>;
/** A fixture file. */
export type PolicyTestFile = z.infer<typeof policyTestFileSchema>;

/**
 * Validates a fixture file given as a value (copied to plain JSON first, as {@link parsePolicy} does).
 *
 * @throws PolicyError `ERR_POLICY_INVALID` naming the path of each problem.
 */
export function parsePolicyTestFile(json: unknown): PolicyTestFile {
  const result = policyTestFileSchema.safeParse(snapshotOrThrow(json, 'policy test file'));
  if (!result.success) throw invalidDocument('policy test file', result.error);
  return result.data;
}

/**
 * Reads a fixture file's text strictly (duplicate member names, `__proto__`,
 * depth and size refused, as {@link parsePolicyText}) and validates it.
 *
 * @param text - the file's text.
 * @returns the validated fixture file.
 * @throws PolicyError `ERR_POLICY_INVALID`; for bad JSON the message starts with the JSON error code.
 * @example
 * ```ts
 * const { cases } = parsePolicyTestFileText(await readFile('cases.json', 'utf8'));
 * ```
 */
export function parsePolicyTestFileText(text: string): PolicyTestFile {
  return parsePolicyTestFile(readStrictJson(text, 'policy test file', MAX_POLICY_TEXT_BYTES));
}

/** The result of one case. */
export interface PolicyTestResult {
  readonly name: string;
  readonly ok: boolean;
  readonly decision: Decision;
  /** What differed, e.g. `effect: expected deny, got allow`. Empty when ok. */
  readonly problems: readonly string[];
}

/** The results of a fixture file and which rules no case exercised. */
export interface PolicyTestReport {
  readonly results: readonly PolicyTestResult[];
  readonly passed: number;
  readonly failed: number;
  /** Rule ids (in policy order) that no case matched. */
  readonly uncovered: readonly string[];
}

function requestOf(c: PolicyTestCase): DecisionRequest {
  const agent: DecisionAgent =
    typeof c.agent === 'string'
      ? { id: c.agent, name: c.agent }
      : ({ ...c.agent, name: c.agent.name ?? c.agent.id } as DecisionAgent);
  const tool = typeof c.tool === 'string' ? { name: c.tool } : (c.tool as DecisionRequest['tool']);
  return {
    agent,
    tool,
    args: c.args ?? {},
    ...(c.session === undefined ? {} : { session: { id: c.session } }),
    ...(c.now === undefined ? {} : { nowMs: Date.parse(c.now) }),
    ...(c.monitor === undefined ? {} : { monitor: c.monitor }),
  };
}

/**
 * Runs fixture cases in order against `engine`.
 *
 * @param engine - the engine under test (its state store is used, so give it a fresh one).
 * @param cases - parsed with {@link policyTestFileSchema} (or built in code).
 * @returns each result, counts, and the rules no case matched.
 * @example
 * ```ts
 * const report = await runPolicyTests(createPolicyEngine(policy), parsePolicyTestFile(json).cases);
 * expect(report.failed).toBe(0);
 * ```
 */
export async function runPolicyTests(
  engine: PolicyEngine,
  cases: readonly PolicyTestCase[],
): Promise<PolicyTestReport> {
  const covered = new Set<string>();
  const results: PolicyTestResult[] = [];
  for (const c of cases) {
    const decision = await engine.decide(requestOf(c));
    for (const id of decision.matched) covered.add(id);
    const want = typeof c.expect === 'string' ? { effect: c.expect } : c.expect;
    const problems: string[] = [];
    if (decision.effect !== want.effect) problems.push(`effect: expected ${want.effect}, got ${decision.effect}`);
    if (want.ruleId !== undefined && decision.ruleId !== want.ruleId) {
      problems.push(`ruleId: expected ${JSON.stringify(want.ruleId)}, got ${JSON.stringify(decision.ruleId)}`);
    }
    if (want.wouldDeny !== undefined && (decision.wouldDeny ?? false) !== want.wouldDeny) {
      problems.push(`wouldDeny: expected ${want.wouldDeny}, got ${decision.wouldDeny ?? false}`);
    }
    results.push({ name: c.name, ok: problems.length === 0, decision, problems });
  }
  const failed = results.filter((r) => !r.ok).length;
  return {
    results,
    passed: results.length - failed,
    failed,
    uncovered: engine.policy.rules.map((r) => r.id).filter((id) => !covered.has(id)),
  };
}
