import type { CompiledPolicy } from './compile.js';
import type { DecisionRequest } from './decision.js';
import { PolicyError } from '../errors.js';
import { assertRequest, evaluate } from './evaluate.js';

/**
 * The default canary of the restraint self-test: an unknown agent calling a
 * tool nobody has, with no tags, no labels and no arguments. A least-privilege
 * policy denies it by default; a policy that allows it allows everything to
 * everyone (e.g. `tools: ["*"]` with no other condition), which is what the
 * self-test exists to catch.
 */
export const DEFAULT_CANARY: DecisionRequest = Object.freeze({
  agent: Object.freeze({ id: 'agentguard:canary', name: 'agentguard:canary' }),
  tool: Object.freeze({ name: 'agentguard:canary', tags: Object.freeze([]), labels: Object.freeze([]) }),
  args: Object.freeze({}),
  session: Object.freeze({ id: 'agentguard:canary' }),
  nowMs: 0,
});

/**
 * The restraint self-test: before an engine arms, it must (1) deny the
 * canary when every rule not switched off is enforced (monitor mode is
 * ignored here, so a monitored policy is checked as it would be enforced),
 * and (2) reject a malformed request (the path that turns errors into denials).
 *
 * @throws PolicyError `ERR_POLICY_SELF_TEST` when either fails.
 */
export function runSelfTest(
  compiled: CompiledPolicy,
  hash: string,
  clock: () => number,
  canary: DecisionRequest = DEFAULT_CANARY,
): void {
  let malformedRejected = false;
  try {
    assertRequest({ agent: canary.agent, tool: { name: 42 }, args: {} } as unknown as DecisionRequest);
  } catch {
    malformedRejected = true;
  }
  let decision: ReturnType<typeof evaluate>;
  try {
    assertRequest(canary);
    decision = evaluate(
      compiled,
      'enforce',
      { request: canary, nowMs: canary.nowMs ?? clock(), taint: new Set(), notes: [] },
      hash,
      true,
    );
  } catch (cause) {
    throw new PolicyError(
      'ERR_POLICY_SELF_TEST',
      `refusing to arm: the canary call could not be evaluated: ${String(cause)}`,
      {
        cause,
      },
    );
  }
  if (decision.effect !== 'deny' || !malformedRejected) {
    throw new PolicyError(
      'ERR_POLICY_SELF_TEST',
      `refusing to arm: the policy must deny the canary call (tool ${JSON.stringify(canary.tool.name)} by agent ${JSON.stringify(canary.agent.name)}) but rule ${JSON.stringify(decision.ruleId)} decided ${decision.effect}; a policy that allows it allows every tool to every agent`,
    );
  }
}
