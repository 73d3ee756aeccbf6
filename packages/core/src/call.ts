import { extend } from './extend.js';
import type { Decision, MonitorVerdictView, PolicyEngine } from '@agentguard/policy';
import { callKey } from './approvals.js';
import { type CallArgs, digests } from './args.js';
import { runAllowed } from './call-run.js';
import type { GuardContext, GuardedToolDef } from './context.js';
import { credentialOf, decisionRequest } from './decide-call.js';
import { decide, type EngineView, hold, holdsLeases, release } from './decision.js';
import { callEnvelope } from './envelope.js';
import { emitSafely } from './events.js';
import type { ToolIsolation } from './isolation.js';
import { monitoredCall, observeResult, suspensionReason } from './monitor-call.js';
import { isolationRefusal, preDecision } from './pre-decision.js';
import { prepareCall } from './prepare.js';
import { approvalRefusedData, type CallScope, decisionRecord, openCall, requestRecord } from './records.js';
import type { StandardSchemaV1 } from './standard-schema.js';
import { ID_MAX_CHARS, textOf } from './text.js';
import type { GuardOutcome } from './guarded-tool.js';
import type { CallOptions } from './types.js';

/** @internal Decisions that may hold concurrency slots until their call ends (given back to their engine). */
export type Held = Array<{ engine: PolicyEngine; decision: unknown }>;

/** @internal One call of a guarded tool, end to end; concurrency slots a decision holds go back when it ends. */
export async function runCallReleasing<S extends StandardSchemaV1, R>(
  ctx: GuardContext,
  tool: GuardedToolDef<S, R>,
  raw: unknown,
  callOptions: CallOptions = {},
): Promise<GuardOutcome<Awaited<R>>> {
  const held: Held = [];
  try {
    return await runCall(ctx, tool, raw, callOptions ?? {}, held);
  } finally {
    for (const { engine, decision } of held) await release(engine, decision, ctx.decisionTimeoutMs);
  }
}

/**
 * @internal The per-call pipeline: prepare (prepare.ts), sign or verify the envelope (envelope.ts), record the
 * request, decide (decide-call.ts), approve, run (call-run.ts) and record the outcome.
 */
export async function runCall<S extends StandardSchemaV1, R>(
  ctx: GuardContext,
  tool: GuardedToolDef<S, R>,
  raw: unknown,
  callOptions: CallOptions,
  held: Held,
): Promise<GuardOutcome<Awaited<R>>> {
  const { gate } = ctx;
  // 1. One value: the args as received (bound by the envelope), then the schema's output, which is what is
  //    digested, decided on, approved, recorded and run; and one engine, read once.
  const prepared = await prepareCall(ctx, tool, raw, callOptions);
  const scope = openCall(ctx, tool, prepared.callId);
  const { refuse, record } = scope;
  if (!prepared.ok) {
    const data = prepared.args === undefined ? prepared.data : extend(prepared.data, digests(prepared.args));
    return scope.refuseAudited(refuse(prepared.outcome, prepared.code, prepared.reason), data);
  }
  const { args, session } = prepared;

  // 2. The call envelope: a caller's is verified; the guard signs its own only for a signer in another process
  //    (envelope.ts).
  const { callId: given, givenId } = prepared;
  const call = { callId: given, givenId, args: prepared.args, policyHash: prepared.view.hash };
  const step = await callEnvelope(ctx, tool, call, callOptions.envelope);
  if (!step.ok) {
    const denial = refuse('denied', 'ERR_GUARD_ENVELOPE_REJECTED', `call envelope rejected: ${step.reason}`);
    return scope.refuseAudited(denial, extend(digests(args), step.data));
  }
  const { envelope } = step;
  scope.bind(step.callId, step.agent);
  const { callId, agent } = scope;
  // A call id names one call: an id another agent used recently cannot pick up what was decided, kept or
  // refused for that agent's call.
  if (!gate.claim(callId, agent)) {
    const denial = refuse('denied', 'ERR_GUARD_CALL_ID_INVALID', 'call id rejected: another agent used this call id');
    return scope.refuseAudited(denial, digests(args));
  }
  const key = callKey(agent, session, args.argsDigest);

  // 2a. Before deciding (pre-decision.ts): integrity (what runs must match its pins; the first attestation, or
  //     a due one, is written before the call's own records, so a log shows what ran before what it did), then
  //     the operator's control status (suspend, stale channel, quarantine), which may replace the engine.
  const gated = await preDecision(ctx, tool, agent, prepared.view);
  if (!gated.ok) {
    const denial = refuse('denied', gated.code, gated.reason);
    return gated.unaudited
      ? scope.denyUnaudited(denial)
      : scope.refuseAudited(denial, extend(digests(args), gated.data));
  }
  const view = gated.view;
  const engine = view.engine;

  // 3. Record the request before deciding: an attempt is never lost, even if the process dies.
  try {
    const seal = { callId: scope.callId, subject: callOptions.subject };
    const request = requestRecord(ctx, tool, { args, view, envelope, agent, session, seal });
    await record('call.requested', request instanceof Promise ? await request : request);
  } catch (error) {
    return scope.denyUnaudited(refuse('denied', 'ERR_GUARD_AUDIT_FAILED', `audit log unavailable: ${textOf(error)}`));
  }

  // A call a human refused outside the guard (refuse()) stays refused, whatever comes with it.
  if (gate.refused(callId) !== undefined) {
    const denial = refuse('denied', 'ERR_GUARD_APPROVAL_REFUSED', 'approval refused: this call was refused by a human');
    return scope.refuseAudited(denial, {});
  }
  // An agent a policy rule suspended in this guard stays refused until an operator resumes it.
  const suspended = suspensionReason(ctx, agent);
  if (suspended !== undefined) {
    return scope.refuseAudited(refuse('denied', 'ERR_GUARD_MONITOR_SUSPENDED', suspended.reason, suspended.ruleId), {});
  }
  // 4. Check the credential (after the refusals above, in the order check() uses), then decide, or resume the
  //    decision of a call that was waiting for this approval.
  const credential = await credentialOf(ctx, agent, tool.name, args.value);
  if (!credential.ok) {
    const denial = refuse('denied', 'ERR_GUARD_CREDENTIAL_REJECTED', `credential rejected: ${credential.reason}`);
    return scope.refuseAudited(denial, { credentialCode: credential.code });
  }
  // 4a. The runtime monitor scores the run value; the policy decides what the verdict does. A flagged call (or
  //     a failed monitor) is recorded with its evidence before the decision; a verdict check() obtained for
  //     this very call is used rather than scoring it twice.
  const monitor = ctx.monitor;
  let watched: ReturnType<typeof monitoredCall> | undefined;
  let verdict: MonitorVerdictView | undefined;
  if (monitor !== undefined) {
    watched = monitoredCall(monitor, tool, agent, session, args.value);
    let scored = monitor.take(callId, tool.name, key) ?? monitor.score(watched);
    if (scored instanceof Promise) scored = await scored;
    if (scored.record !== undefined) {
      try {
        await record('monitor.alert', scored.record);
      } catch (error) {
        return scope.denyUnaudited(
          refuse('denied', 'ERR_GUARD_AUDIT_FAILED', `audit log unavailable: ${textOf(error)}`),
        );
      }
    }
    verdict = scored.view;
  }
  const resumed = gate.resume(callId, tool.name, key);
  // A kept decision counts only under the policy that made it.
  const parked = resumed?.policyHash === view.hash ? resumed : undefined;
  const request = decisionRequest(ctx, tool, {
    agent,
    callId,
    session,
    args: args.value,
    credential,
    monitor: verdict,
    view,
  });
  // A kept decision counted rates and budgets when it was made; its concurrency slots are taken now.
  // Whatever the engine answers is validated: only a well-formed decision with effect exactly 'allow' runs.
  const asked =
    parked === undefined
      ? await decide(view, request, ctx.decisionTimeoutMs)
      : await hold(view, request, parked, ctx.decisionTimeoutMs);
  if (!asked.ok) {
    if (holdsLeases(asked.raw)) held.push({ engine, decision: asked.raw });
    return scope.refuseAudited(refuse('denied', 'ERR_GUARD_POLICY_DENIED', asked.reason), {});
  }
  const decision = asked.decision;
  if (decision.leases !== undefined && decision.leases.length > 0) held.push({ engine, decision });
  if (decision.effect === 'deny') {
    await ctx.suspension.apply(decision, agent, record);
    const denial = refuse('denied', 'ERR_GUARD_POLICY_DENIED', decision.reason, decision.ruleId);
    return scope.refuseAudited(denial, { decision: decisionRecord(decision, ctx.text, tool.isolation) });
  }
  // 4b. The policy's isolation obligation, against what the tool really runs with; checked before any approval
  //     so that no human is asked about a call that could not run. A monitoring policy only records it.
  const isolation = isolationRefusal(decision, tool.isolation);
  if (isolation !== undefined) {
    const denial = refuse('denied', 'ERR_GUARD_ISOLATION_REQUIRED', isolation, decision.ruleId);
    return scope.refuseAudited(denial, { decision: decisionRecord(decision, ctx.text, tool.isolation) });
  }
  if (decision.effect === 'require_approval') {
    const excluded = [...new Set([agent, ctx.self, ...credential.keys])];
    const stopped = await approve<Awaited<R>>(ctx, scope, view, decision, args, excluded, callOptions, tool.isolation);
    if (stopped !== undefined) return stopped;
    // Time passed while a human decided: a monitor suspension or an operator measure that arrived meanwhile
    // (suspend, quarantine, a channel gone stale) applies to this call too, so an approved call never runs then.
    const suspendedMeanwhile = suspensionReason(ctx, agent);
    if (suspendedMeanwhile !== undefined) {
      const denial = refuse(
        'denied',
        'ERR_GUARD_MONITOR_SUSPENDED',
        suspendedMeanwhile.reason,
        suspendedMeanwhile.ruleId,
      );
      return scope.refuseAudited(denial, {});
    }
    if (ctx.control !== undefined) {
      const again = await preDecision(ctx, tool, agent, prepared.view);
      if (!again.ok) {
        const denial = refuse('denied', again.code, again.reason, decision.ruleId);
        return again.unaudited ? scope.denyUnaudited(denial) : scope.refuseAudited(denial, { ...again.data });
      }
      if (again.view.hash !== view.hash) {
        const reason = `quarantined by operator (control status ${again.controlSeq ?? '?'}) while the call waited for approval`;
        const denial = refuse('denied', 'ERR_GUARD_SUSPENDED', reason, decision.ruleId);
        return scope.refuseAudited(denial, again.controlSeq === undefined ? {} : { controlSeq: again.controlSeq });
      }
    }
  } else if (decision.effect !== 'allow') {
    // Unreachable with a validated decision; kept so that nothing but exactly 'allow' (or an approval) runs.
    return scope.refuseAudited(refuse('denied', 'ERR_GUARD_POLICY_DENIED', 'policy evaluation failed'), {});
  }
  // The tool runs from here on, so no refusal may follow; one that landed while this call was decided wins.
  if (!gate.start(callId, tool.timeoutMs)) {
    const reason = 'approval refused: this call was refused by a human';
    return scope.refuseAudited(refuse('denied', 'ERR_GUARD_APPROVAL_REFUSED', reason, decision.ruleId), {});
  }
  emitSafely(ctx.events, 'allowed', scope.base, { decision });

  // 5. Run, bounded in time, on the very value decided, approved and recorded.
  const outcome = await runAllowed(ctx, tool, scope, { decision, args, envelope, policyHash: view.hash }, callOptions);
  // 6. The monitor learns what the tool returned (later calls are checked against it); it cannot change the outcome.
  if (outcome.ok && watched !== undefined && monitor !== undefined)
    await observeResult(monitor, watched, outcome.value, record);
  return outcome;
}

/**
 * Obtains the approval a `require_approval` decision asks for, bound to the run value's digest. Returns the
 * call's outcome when it stops here (waiting, refused, or the grant could not be recorded), or `undefined`
 * when the call goes on. An approval signed by a key in `excluded` (the agent, its chain, the guard) is refused.
 */
async function approve<T>(
  ctx: GuardContext,
  scope: CallScope,
  view: EngineView,
  decision: Decision,
  args: CallArgs,
  excluded: readonly string[],
  callOptions: CallOptions,
  isolation: ToolIsolation,
): Promise<GuardOutcome<T> | undefined> {
  const { gate, text } = ctx;
  const { callId, agent, refuse } = scope;
  const tool = scope.base.tool;
  const request = {
    callId,
    tool,
    agent,
    args: args.value,
    argsDigest: args.argsDigest,
    policyHash: view.hash,
    reason: text.clean(decision.reason),
    ruleId: decision.ruleId === null ? null : text.clean(decision.ruleId, ID_MAX_CHARS),
  };
  let verdict: Awaited<ReturnType<typeof gate.obtain>>;
  try {
    verdict = await gate.obtain(request, callOptions.approval, excluded);
  } catch (error) {
    verdict = { kind: 'refused', code: 'ERR_GUARD_APPROVAL_FAILED', reason: textOf(error) };
  }
  if (verdict.kind === 'none') {
    // The call waits: resumable with the same call id and an approval, keeping this decision.
    gate.park(callId, tool, callKey(agent, callOptions.session ?? ctx.defaultSession, args.argsDigest), decision);
    const denial = refuse('approval_required', 'ERR_GUARD_APPROVAL_REQUIRED', decision.reason, decision.ruleId);
    return scope.refuseAudited<T>(
      denial,
      { decision: decisionRecord(decision, text, isolation) },
      'approval.requested',
    );
  }
  if (verdict.kind === 'refused') {
    const denial = refuse(
      'denied',
      'ERR_GUARD_APPROVAL_REFUSED',
      `approval refused: ${verdict.reason}`,
      decision.ruleId,
    );
    const data = approvalRefusedData(text, { code: verdict.code, approver: verdict.approver, decision, isolation });
    return scope.refuseAudited<T>(denial, data, 'approval.refused');
  }
  try {
    await scope.record('approval.granted', {
      approver: text.clean(verdict.approver, 256),
      decision: decisionRecord(decision, text, isolation),
    });
  } catch (error) {
    return scope.denyUnaudited<T>(
      refuse('denied', 'ERR_GUARD_AUDIT_FAILED', `audit log unavailable: ${textOf(error)}`),
    );
  }
  return undefined;
}
