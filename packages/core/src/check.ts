import { extend } from './extend.js';
import type { Decision, Effect, MonitorVerdictView } from '@agentguard/policy';
import { callKey } from './approvals.js';
import type { GuardContext, GuardedToolDef } from './context.js';
import { credentialOf, decisionRequest } from './decide-call.js';
import { decide, holdsLeases, release } from './decision.js';
import type { GuardErrorCode } from './errors.js';
import { monitoredCall, suspensionReason } from './monitor-call.js';
import { isolationRefusal, preDecision } from './pre-decision.js';
import { prepareCall } from './prepare.js';
import type { StandardSchemaV1 } from './standard-schema.js';
import { ID_MAX_CHARS } from './text.js';
import type { CheckResult } from './guarded-tool.js';
import type { CallOptions } from './types.js';

/**
 * @internal Decides without running, for frameworks that ask before they run a tool (needsApproval). The
 * decision is parked under the call id and the RUN VALUE's digest (the schema's output, as a run decides
 * on it), so the run that follows uses it rather than deciding again. Reasons are redacted and bounded.
 */
export async function checkCall<S extends StandardSchemaV1, R>(
  ctx: GuardContext,
  tool: GuardedToolDef<S, R>,
  raw: unknown,
  callOptions: CallOptions = {},
): Promise<CheckResult> {
  const { gate, self, text } = ctx;
  const prepared = await prepareCall(ctx, tool, raw, callOptions ?? {});
  const { callId } = prepared;
  let decidedOn: { readonly args: unknown } | undefined;
  const verdict = (effect: Effect, reason: string, ruleId: string | null, code?: GuardErrorCode): CheckResult => {
    const result = {
      callId,
      effect,
      reason: text.clean(reason),
      ruleId: ruleId === null ? null : text.clean(ruleId, ID_MAX_CHARS),
      ...decidedOn,
    };
    return code === undefined ? result : extend(result, { code });
  };
  const isolationVerdict = (decision: Decision): CheckResult | undefined => {
    const reason = isolationRefusal(decision, tool.isolation);
    return reason === undefined ? undefined : verdict('deny', reason, decision.ruleId, 'ERR_GUARD_ISOLATION_REQUIRED');
  };
  if (!prepared.ok) {
    if (prepared.args !== undefined) decidedOn = { args: prepared.args.value };
    return verdict('deny', prepared.reason, null, prepared.code);
  }
  const { args, session } = prepared;
  decidedOn = { args: args.value };
  if (!gate.claim(callId, self)) {
    return verdict('deny', 'call id rejected: another agent used this call id', null, 'ERR_GUARD_CALL_ID_INVALID');
  }
  const key = callKey(self, session, args.argsDigest);
  // The same checks in the same order as a run (call.ts), so both give the same code: integrity and the
  // operator's control status (pre-decision.ts; a quarantined agent's call is decided by the read-only engine),
  // a human's refusal, a monitor suspension, the credential; then the kept decision or the policy.
  const gated = await preDecision(ctx, tool, self, prepared.view);
  if (!gated.ok) return verdict('deny', gated.reason, null, gated.code);
  const view = gated.view;
  const engine = view.engine;
  if (gate.refused(callId) !== undefined) {
    return verdict('deny', 'approval refused: this call was refused by a human', null, 'ERR_GUARD_APPROVAL_REFUSED');
  }
  // An agent a policy rule suspended in this guard stays refused until an operator resumes it (as a run).
  const suspended = suspensionReason(ctx, self);
  if (suspended !== undefined) {
    return verdict('deny', suspended.reason, suspended.ruleId, 'ERR_GUARD_MONITOR_SUSPENDED');
  }
  const credential = await credentialOf(ctx, self, tool.name, args.value);
  if (!credential.ok) {
    return verdict('deny', `credential rejected: ${credential.reason}`, null, 'ERR_GUARD_CREDENTIAL_REJECTED');
  }
  // Asked again about the same call (frameworks do): the kept decision answers, limits count once; after the
  // credential, as a run resumes one (a credential revoked or expired since the first answer refuses).
  const kept = gate.peek(callId, tool.name, key);
  if (kept !== undefined && kept.policyHash === view.hash) {
    const refused = isolationVerdict(kept);
    if (refused !== undefined) return refused;
    return verdict(
      kept.effect,
      kept.reason,
      kept.ruleId,
      kept.effect === 'deny' ? 'ERR_GUARD_POLICY_DENIED' : undefined,
    );
  }
  // The monitor scores the call now, as a run would; the verdict is kept for the run (which records it), so
  // the monitor sees each call once.
  let monitor: MonitorVerdictView | undefined;
  if (ctx.monitor !== undefined) {
    let scored = ctx.monitor.score(monitoredCall(ctx.monitor, tool, self, session, args.value));
    if (scored instanceof Promise) scored = await scored;
    ctx.monitor.keep(callId, tool.name, key, scored);
    monitor = scored.view;
  }
  const request = decisionRequest(ctx, tool, {
    agent: self,
    callId,
    session,
    args: args.value,
    credential,
    monitor,
    view,
  });
  const asked = await decide(view, request, ctx.decisionTimeoutMs);
  if (!asked.ok) {
    if (holdsLeases(asked.raw)) await release(engine, asked.raw, ctx.decisionTimeoutMs);
    return verdict('deny', asked.reason, null, 'ERR_GUARD_POLICY_DENIED');
  }
  const decision = asked.decision;
  // check() holds no concurrency slot: the run that follows takes its own.
  if (decision.leases !== undefined && decision.leases.length > 0)
    await release(engine, decision, ctx.decisionTimeoutMs);
  gate.park(callId, tool.name, key, decision);
  // A run of this call would be refused for its isolation (call.ts checks it again on the kept decision).
  const refused = decision.effect === 'deny' ? undefined : isolationVerdict(decision);
  if (refused !== undefined) return refused;
  const code = decision.effect === 'deny' ? 'ERR_GUARD_POLICY_DENIED' : undefined;
  return verdict(decision.effect, decision.reason, decision.ruleId, code);
}
