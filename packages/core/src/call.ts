import { digestArgs, freezeArgs, signCall, verifyCall } from '@agentguard/attestation';
import type { Decision, PolicyEngine } from '@agentguard/policy';
import { runAllowed } from './call-run.js';
import type { GuardContext, GuardedToolDef } from './context.js';
import { emitSafely } from './events.js';
import { type CallScope, openCall } from './records.js';
import { type StandardSchemaV1, validateWith } from './standard-schema.js';
import { decisionRecord, message, nameOf } from './support.js';
import type { CallOptions, GuardOutcome } from './types.js';

/** @internal A decision that holds concurrency slots until its call ends. */
export type Held = Array<{ engine: PolicyEngine; decision: Decision }>;

/** @internal One call of a guarded tool, end to end; concurrency slots a decision holds go back when it ends. */
export async function runCallReleasing<S extends StandardSchemaV1, R>(
  ctx: GuardContext,
  tool: GuardedToolDef<S, R>,
  raw: unknown,
  callOptions: CallOptions = {},
): Promise<GuardOutcome<Awaited<R>>> {
  const held: Held = [];
  try {
    return await runCall(ctx, tool, raw, callOptions, held);
  } finally {
    for (const { engine, decision } of held) await engine.release(decision).catch(() => {});
  }
}

/** @internal The per-call pipeline: validate, sign and verify, record, decide, approve, run, record. */
export async function runCall<S extends StandardSchemaV1, R>(
  ctx: GuardContext,
  tool: GuardedToolDef<S, R>,
  raw: unknown,
  callOptions: CallOptions,
  held: Held,
): Promise<GuardOutcome<Awaited<R>>> {
  const { identity, self, gate, credentials } = ctx;
  // One policy decides the whole call, even if the guard's policy is replaced meanwhile.
  const engine = ctx.engine();
  const scope = openCall(ctx, tool, callOptions.callId ?? crypto.randomUUID());
  const { refuse, record } = scope;

  // 1. Copy and freeze the arguments, then validate that copy: what is decided on is what runs.
  let args: unknown;
  let argsDigest: string;
  try {
    args = freezeArgs(raw);
    argsDigest = digestArgs(args);
  } catch (error) {
    return scope.refuseAudited(refuse('invalid', 'ERR_ARGS_INVALID', `arguments are not JSON: ${message(error)}`), {});
  }
  const parsed = await validateWith(tool.schema, args);
  if (!parsed.ok) {
    const reason = `invalid arguments: ${parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`;
    return scope.refuseAudited(refuse('invalid', 'ERR_ARGS_INVALID', reason), { argsDigest, issues: parsed.issues });
  }

  // 2. Sign the call envelope and verify it as any other party would; or, for a call signed in
  //    another process, verify the caller's envelope (trust, args digest, freshness, replay).
  //    Throughput mode (batched) has no envelope: its records are covered by the next signed checkpoint.
  let envelope: unknown = callOptions.envelope;
  if (envelope !== undefined || !tool.batched) {
    try {
      if (envelope === undefined) {
        const signed = await signCall({
          signer: identity,
          callId: scope.callId,
          tool: tool.name,
          args,
          policyHash: engine.hash,
        });
        envelope = signed.envelope;
      }
      const incoming = callOptions.envelope !== undefined;
      const check = await verifyCall(envelope, {
        trust: ctx.trust,
        args,
        expectedTool: tool.name,
        // Our own fresh envelope needs no replay check; an incoming one is accepted once only.
        ...(incoming ? { replayCache: ctx.replayCache } : {}),
        ...(!incoming || callOptions.callId !== undefined ? { expectedCallId: scope.callId } : {}),
      });
      if (!check.ok) {
        const denial = refuse('denied', 'ERR_ENVELOPE_REJECTED', `call envelope rejected: ${check.reason}`);
        return scope.refuseAudited(denial, { argsDigest, envelope, envelopeCode: check.code });
      }
      scope.bind(check.claims.callId, check.claims.agent);
    } catch (error) {
      const denial = refuse('denied', 'ERR_ENVELOPE_REJECTED', `call envelope rejected: ${message(error)}`);
      return scope.refuseAudited(denial, { argsDigest });
    }
  }
  const { callId, agent } = scope;

  // 3. Record the request before deciding: an attempt is never lost, even if the process dies.
  try {
    await record('call.requested', {
      argsDigest,
      ...(tool.sensitive ? {} : ctx.redactArgs(engine, args)),
      ...(envelope === undefined ? { signing: 'batched' } : { envelope }),
      policyHash: engine.hash,
      // What the policy matches on besides the args, so a replay can decide the call again exactly.
      agentName: agent === self ? nameOf(identity) : agent,
      tags: tool.tags,
      labels: tool.labels,
    });
  } catch (error) {
    return scope.denyUnaudited(refuse('denied', 'ERR_AUDIT_FAILED', `audit log unavailable: ${message(error)}`));
  }

  // 4. Check the credential (chain verified once, revocation every call), then decide, or resume
  //    the decision of a call that was waiting for this approval.
  let subject: Awaited<ReturnType<typeof credentials.check>>;
  try {
    subject = await credentials.check({ agent, tool: tool.name, args });
  } catch (error) {
    subject = { ok: false, code: 'ERR_CREDENTIAL_CHECK_FAILED', reason: message(error) };
  }
  if (!subject.ok) {
    const denial = refuse('denied', 'ERR_CREDENTIAL_REJECTED', `credential rejected: ${subject.reason}`);
    return scope.refuseAudited(denial, { credentialCode: subject.code });
  }
  // A call a human refused outside the guard (refuse()) stays refused, whatever comes with it.
  if (gate.refused(callId) !== undefined) {
    const denial = refuse('denied', 'ERR_APPROVAL_REFUSED', 'approval refused: this call was refused by a human');
    return scope.refuseAudited(denial, {});
  }
  let decision: Decision;
  const resumed = gate.resume(callId, tool.name, argsDigest);
  // A kept decision counts only under the policy that made it.
  const parked = resumed?.policyHash === engine.hash ? resumed : undefined;
  const request = {
    agent: { ...subject.agent, id: agent, name: agent === self ? nameOf(identity) : agent },
    tool: { name: tool.name, tags: tool.tags, labels: tool.labels },
    args,
    callId,
    session: { id: callOptions.session ?? ctx.defaultSession },
  };
  try {
    // A kept decision counted rates and budgets when it was made; its concurrency slots are taken now.
    decision = parked === undefined ? await engine.decide(request) : await engine.hold(request, parked);
  } catch (error) {
    const denial = refuse('denied', 'ERR_POLICY_DENIED', `policy evaluation failed: ${message(error)}`);
    return scope.refuseAudited(denial, {});
  }
  if (decision.leases !== undefined && decision.leases.length > 0) held.push({ engine, decision });
  if (decision.effect === 'deny') {
    const denial = refuse('denied', 'ERR_POLICY_DENIED', decision.reason, decision.ruleId);
    return scope.refuseAudited(denial, { decision: decisionRecord(decision) });
  }
  if (decision.effect === 'require_approval') {
    const stopped = await approve<Awaited<R>>(ctx, scope, engine, decision, args, argsDigest, callOptions);
    if (stopped !== undefined) return stopped;
  }
  // The tool runs from here on, so no refusal may follow; one that landed while this call was decided wins.
  if (!gate.start(callId, tool.timeoutMs)) {
    const reason = 'approval refused: this call was refused by a human';
    return scope.refuseAudited(refuse('denied', 'ERR_APPROVAL_REFUSED', reason, decision.ruleId), {});
  }
  emitSafely(ctx.events, 'allowed', { ...scope.base, decision });

  // 5. Run, bounded in time, with the args bound to the envelope re-checked right before use.
  const allowed = { decision, args, argsDigest, value: parsed.value, envelope };
  return runAllowed(ctx, tool, scope, allowed, callOptions);
}

/**
 * Obtains the approval a `require_approval` decision asks for. Returns the call's outcome when it stops
 * here (waiting, refused, or the grant could not be recorded), or `undefined` when the call goes on.
 */
async function approve<T>(
  ctx: GuardContext,
  scope: CallScope,
  engine: PolicyEngine,
  decision: Decision,
  args: unknown,
  argsDigest: string,
  callOptions: CallOptions,
): Promise<GuardOutcome<T> | undefined> {
  const { gate } = ctx;
  const { callId, agent, refuse } = scope;
  const tool = scope.base.tool;
  const request = {
    callId,
    tool,
    agent,
    args,
    argsDigest,
    policyHash: engine.hash,
    reason: decision.reason,
    ruleId: decision.ruleId,
  };
  let verdict: Awaited<ReturnType<typeof gate.obtain>>;
  try {
    verdict = await gate.obtain(request, callOptions.approval);
  } catch (error) {
    verdict = { kind: 'refused', code: 'ERR_APPROVAL_FAILED', reason: message(error) };
  }
  if (verdict.kind === 'none') {
    // The call waits: resumable with the same call id and an approval, keeping this decision.
    gate.park(callId, tool, argsDigest, decision);
    const denial = refuse('approval_required', 'ERR_APPROVAL_REQUIRED', decision.reason, decision.ruleId);
    return scope.refuseAudited<T>(denial, { decision: decisionRecord(decision) }, 'approval.requested');
  }
  if (verdict.kind === 'refused') {
    const denial = refuse('denied', 'ERR_APPROVAL_REFUSED', `approval refused: ${verdict.reason}`, decision.ruleId);
    const by = verdict.approver === undefined ? {} : { approver: verdict.approver };
    return scope.refuseAudited<T>(
      denial,
      { ...by, approvalCode: verdict.code, decision: decisionRecord(decision) },
      'approval.refused',
    );
  }
  try {
    await scope.record('approval.granted', { approver: verdict.approver, decision: decisionRecord(decision) });
  } catch (error) {
    return scope.denyUnaudited<T>(refuse('denied', 'ERR_AUDIT_FAILED', `audit log unavailable: ${message(error)}`));
  }
  return undefined;
}
