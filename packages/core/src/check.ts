import { digestArgs, freezeArgs } from '@agentguard/attestation';
import type { Effect } from '@agentguard/policy';
import type { GuardContext, GuardedToolDef } from './context.js';
import type { GuardErrorCode } from './errors.js';
import { type StandardSchemaV1, validateWith } from './standard-schema.js';
import { message, nameOf } from './support.js';
import type { CallOptions, CheckResult } from './types.js';

/**
 * @internal Decides without running, for frameworks that ask before they run a tool (needsApproval). The
 * decision is parked under the call id, so the run that follows uses it rather than deciding again.
 */
export async function checkCall<S extends StandardSchemaV1, R>(
  ctx: GuardContext,
  tool: GuardedToolDef<S, R>,
  raw: unknown,
  callOptions: CallOptions = {},
): Promise<CheckResult> {
  const { gate, self } = ctx;
  const callId = callOptions.callId ?? crypto.randomUUID();
  const verdict = (effect: Effect, reason: string, ruleId: string | null, code?: GuardErrorCode): CheckResult =>
    code === undefined ? { callId, effect, reason, ruleId } : { callId, effect, reason, ruleId, code };
  let args: unknown;
  let argsDigest: string;
  try {
    args = freezeArgs(raw);
    argsDigest = digestArgs(args);
  } catch (error) {
    return verdict('deny', `arguments are not JSON: ${message(error)}`, null, 'ERR_ARGS_INVALID');
  }
  const parsed = await validateWith(tool.schema, args);
  if (!parsed.ok) {
    const reason = `invalid arguments: ${parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`;
    return verdict('deny', reason, null, 'ERR_ARGS_INVALID');
  }
  if (gate.refused(callId) !== undefined) {
    return verdict('deny', 'approval refused: this call was refused by a human', null, 'ERR_APPROVAL_REFUSED');
  }
  // Asked again about the same call (frameworks do): the kept decision answers, limits count once.
  const kept = gate.peek(callId, tool.name, argsDigest);
  if (kept !== undefined && kept.policyHash === ctx.engine().hash) {
    return verdict(kept.effect, kept.reason, kept.ruleId, kept.effect === 'deny' ? 'ERR_POLICY_DENIED' : undefined);
  }
  try {
    const subject = await ctx.credentials.check({ agent: self, tool: tool.name, args });
    if (!subject.ok) return verdict('deny', `credential rejected: ${subject.reason}`, null, 'ERR_CREDENTIAL_REJECTED');
    const engine = ctx.engine();
    const decision = await engine.decide({
      agent: { ...subject.agent, id: self, name: nameOf(ctx.identity) },
      tool: { name: tool.name, tags: tool.tags, labels: tool.labels },
      args,
      callId,
      session: { id: callOptions.session ?? ctx.defaultSession },
    });
    if (decision.leases !== undefined && decision.leases.length > 0) await engine.release(decision);
    gate.park(callId, tool.name, argsDigest, decision);
    const code = decision.effect === 'deny' ? 'ERR_POLICY_DENIED' : undefined;
    return verdict(decision.effect, decision.reason, decision.ruleId, code);
  } catch (error) {
    return verdict('deny', `policy evaluation failed: ${message(error)}`, null, 'ERR_POLICY_DENIED');
  }
}
