import { freezeArgs, signCall, verifyCall } from '@agentguard/attestation';
import type { Decision, MonitorVerdictView, PolicyEngine } from '@agentguard/policy';
import { type CallArgs, digests, prepareArgs } from './args.js';
import { runAllowed } from './call-run.js';
import type { GuardContext, GuardedToolDef } from './context.js';
import { decide, type EngineView, hold, holdsLeases, release, viewEngine } from './decision.js';
import { emitSafely } from './events.js';
import { monitoredCall } from './monitor-call.js';
import { type CallScope, openCall } from './records.js';
import type { StandardSchemaV1 } from './standard-schema.js';
import { CALL_ID, decisionRecord, message, nameOf } from './support.js';
import { envelopeForRecord, ID_MAX_CHARS } from './text.js';
import type { CallOptions, GuardOutcome } from './types.js';
import { callKey } from './approvals.js';

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
  const givenId: unknown = callOptions.callId;
  const validId = givenId === undefined || (typeof givenId === 'string' && CALL_ID.test(givenId));
  const scope = openCall(ctx, tool, validId && typeof givenId === 'string' ? givenId : crypto.randomUUID());
  const { refuse, record } = scope;
  if (!validId) {
    // Never written as given (the log refuses it) nor echoed unbounded: the refusal is recorded under a fresh id.
    const denial = refuse(
      'invalid',
      'ERR_GUARD_CALL_ID_INVALID',
      `call id rejected: expected 1-256 printable ASCII characters without spaces, got ${typeof givenId === 'string' ? `${givenId.length} characters` : typeof givenId}`,
    );
    return scope.refuseAudited(denial, {});
  }

  // 1. One value: the args as received (bound by the envelope), then the schema's output, which is what is
  //    digested, decided on, approved, recorded and run (args.ts).
  const prepared = await prepareArgs(tool.schema, raw, ctx.text, tool.timeoutMs);
  if (!prepared.ok) {
    const denial = refuse('invalid', prepared.code, prepared.reason);
    const data = {
      ...(prepared.argsDigest === undefined ? {} : { argsDigest: prepared.argsDigest }),
      ...(prepared.issues === undefined ? {} : { issues: prepared.issues }),
    };
    return scope.refuseAudited(denial, data);
  }
  const args: CallArgs = prepared;
  const { argsDigest } = args;
  // The engine's hash and redact fields, read once: a getter cannot answer differently to different steps.
  const view = viewEngine(engine);
  if ('error' in view) {
    return scope.refuseAudited(refuse('denied', 'ERR_GUARD_POLICY_DENIED', view.error), digests(args));
  }

  // 2. Sign the call envelope and verify it as any other party would; or, for a call signed in
  //    another process, verify the caller's envelope (trust, args digest, freshness, replay).
  //    The envelope is the agent's statement of what it asked for: it binds the args as received.
  //    Throughput mode (batched) has no envelope: its records are covered by the next signed checkpoint.
  let envelope: unknown;
  if (callOptions.envelope !== undefined) {
    try {
      // Copied once: what is verified is what is recorded (a getter cannot show the verifier one envelope
      // and the log another).
      envelope = freezeArgs(callOptions.envelope);
    } catch (error) {
      const denial = refuse('denied', 'ERR_GUARD_ENVELOPE_REJECTED', `call envelope rejected: ${message(error)}`);
      return scope.refuseAudited(denial, { ...digests(args), envelopeOmitted: { reason: 'not-json' } });
    }
  }
  if (envelope !== undefined || !tool.batched) {
    try {
      if (envelope === undefined) {
        const signed = await signCall({
          signer: identity,
          callId: scope.callId,
          tool: tool.name,
          args: args.received,
          policyHash: view.hash,
        });
        envelope = signed.envelope;
      }
      const incoming = callOptions.envelope !== undefined;
      const check = await verifyCall(envelope, {
        trust: ctx.trust,
        args: args.received,
        expectedTool: tool.name,
        // Our own fresh envelope needs no replay check; an incoming one is accepted once only.
        ...(incoming ? { replayCache: ctx.replayCache } : {}),
        ...(!incoming || callOptions.callId !== undefined ? { expectedCallId: scope.callId } : {}),
      });
      if (!check.ok) {
        const denial = refuse('denied', 'ERR_GUARD_ENVELOPE_REJECTED', `call envelope rejected: ${check.reason}`);
        // A rejected envelope is the caller's: recorded only when it is small JSON, else as a marker.
        const data = { ...digests(args), ...envelopeForRecord(envelope), envelopeCode: check.code };
        return scope.refuseAudited(denial, data);
      }
      scope.bind(check.claims.callId, check.claims.agent);
    } catch (error) {
      const denial = refuse('denied', 'ERR_GUARD_ENVELOPE_REJECTED', `call envelope rejected: ${message(error)}`);
      return scope.refuseAudited(denial, digests(args));
    }
  }
  const { callId, agent } = scope;
  // A call id names one call: an id another agent used recently cannot pick up what was decided, kept or
  // refused for that agent's call.
  if (!gate.claim(callId, agent)) {
    const denial = refuse('denied', 'ERR_GUARD_CALL_ID_INVALID', 'call id rejected: another agent used this call id');
    return scope.refuseAudited(denial, digests(args));
  }
  const key = callKey(agent, callOptions.session ?? ctx.defaultSession, argsDigest);

  // 3. Record the request before deciding: an attempt is never lost, even if the process dies.
  try {
    await record('call.requested', {
      ...digests(args),
      ...(tool.sensitive ? {} : ctx.redactArgs(view, args.value)),
      ...(envelope === undefined ? { signing: 'batched' } : { envelope }),
      policyHash: view.hash,
      // What the policy matches on besides the args, so a replay can decide the call again exactly.
      agentName: agent === self ? nameOf(identity) : agent,
      // The session, so a profile learned from the log (sessionsFromAudit) sees sessions, not one run per agent.
      session: ctx.text.clean(callOptions.session ?? ctx.defaultSession, ID_MAX_CHARS),
      tags: tool.tags,
      labels: tool.labels,
    });
  } catch (error) {
    return scope.denyUnaudited(refuse('denied', 'ERR_GUARD_AUDIT_FAILED', `audit log unavailable: ${message(error)}`));
  }

  // 4. Check the credential (chain verified once, revocation every call), then decide, or resume
  //    the decision of a call that was waiting for this approval.
  let subject: Awaited<ReturnType<typeof credentials.check>>;
  try {
    subject = await credentials.check({ agent, tool: tool.name, args: args.value });
  } catch (error) {
    subject = { ok: false, code: 'ERR_GUARD_CREDENTIAL_CHECK_FAILED', reason: message(error) };
  }
  if (!subject.ok) {
    const denial = refuse('denied', 'ERR_GUARD_CREDENTIAL_REJECTED', `credential rejected: ${subject.reason}`);
    return scope.refuseAudited(denial, { credentialCode: ctx.text.clean(subject.code, 64) });
  }
  // A call a human refused outside the guard (refuse()) stays refused, whatever comes with it.
  if (gate.refused(callId) !== undefined) {
    const denial = refuse('denied', 'ERR_GUARD_APPROVAL_REFUSED', 'approval refused: this call was refused by a human');
    return scope.refuseAudited(denial, {});
  }
  // 4a. The runtime monitor scores the run value; the policy decides what the verdict does. A flagged call (or
  //     a failed monitor) is recorded with its evidence before the decision; a verdict check() obtained for
  //     this very call is used rather than scoring it twice.
  const monitor = ctx.monitor;
  let watched: ReturnType<typeof monitoredCall> | undefined;
  let verdict: MonitorVerdictView | undefined;
  if (monitor !== undefined) {
    watched = monitoredCall(monitor, tool, agent, callOptions.session ?? ctx.defaultSession, args.value);
    let scored = monitor.take(callId, tool.name, key) ?? monitor.score(watched);
    if (scored instanceof Promise) scored = await scored;
    if (scored.record !== undefined) {
      try {
        await record('monitor.alert', scored.record);
      } catch (error) {
        return scope.denyUnaudited(
          refuse('denied', 'ERR_GUARD_AUDIT_FAILED', `audit log unavailable: ${message(error)}`),
        );
      }
    }
    verdict = scored.view;
  }
  const resumed = gate.resume(callId, tool.name, key);
  // A kept decision counts only under the policy that made it.
  const parked = resumed?.policyHash === view.hash ? resumed : undefined;
  const request = {
    agent: { ...subject.agent, id: agent, name: agent === self ? nameOf(identity) : agent },
    tool: { name: tool.name, tags: tool.tags, labels: tool.labels },
    args: args.value,
    callId,
    session: { id: callOptions.session ?? ctx.defaultSession },
    ...(verdict === undefined ? {} : { monitor: verdict }),
  };
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
    const denial = refuse('denied', 'ERR_GUARD_POLICY_DENIED', decision.reason, decision.ruleId);
    return scope.refuseAudited(denial, { decision: decisionRecord(decision, ctx.text) });
  }
  if (decision.effect === 'require_approval') {
    const excluded = [...new Set([agent, self, ...subject.keys])];
    const stopped = await approve<Awaited<R>>(ctx, scope, view, decision, args, excluded, callOptions);
    if (stopped !== undefined) return stopped;
  } else if (decision.effect !== 'allow') {
    // Unreachable with a validated decision; kept so that nothing but exactly 'allow' (or an approval) runs.
    return scope.refuseAudited(refuse('denied', 'ERR_GUARD_POLICY_DENIED', 'policy evaluation failed'), {});
  }
  // The tool runs from here on, so no refusal may follow; one that landed while this call was decided wins.
  if (!gate.start(callId, tool.timeoutMs)) {
    const reason = 'approval refused: this call was refused by a human';
    return scope.refuseAudited(refuse('denied', 'ERR_GUARD_APPROVAL_REFUSED', reason, decision.ruleId), {});
  }
  emitSafely(ctx.events, 'allowed', { ...scope.base, decision });

  // 5. Run, bounded in time, with the run value's digest re-checked right before use.
  const outcome = await runAllowed(ctx, tool, scope, { decision, args: args.value, argsDigest, envelope }, callOptions);
  // 6. The monitor learns what the tool returned (later calls are checked against it); it cannot change the outcome.
  if (outcome.ok && watched !== undefined) monitor?.observe(watched, outcome.value);
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
    verdict = { kind: 'refused', code: 'ERR_GUARD_APPROVAL_FAILED', reason: message(error) };
  }
  if (verdict.kind === 'none') {
    // The call waits: resumable with the same call id and an approval, keeping this decision.
    gate.park(callId, tool, callKey(agent, callOptions.session ?? ctx.defaultSession, args.argsDigest), decision);
    const denial = refuse('approval_required', 'ERR_GUARD_APPROVAL_REQUIRED', decision.reason, decision.ruleId);
    return scope.refuseAudited<T>(denial, { decision: decisionRecord(decision, text) }, 'approval.requested');
  }
  if (verdict.kind === 'refused') {
    const denial = refuse(
      'denied',
      'ERR_GUARD_APPROVAL_REFUSED',
      `approval refused: ${verdict.reason}`,
      decision.ruleId,
    );
    const by = verdict.approver === undefined ? {} : { approver: text.clean(verdict.approver, 256) };
    return scope.refuseAudited<T>(
      denial,
      { ...by, approvalCode: text.clean(verdict.code, 64), decision: decisionRecord(decision, text) },
      'approval.refused',
    );
  }
  try {
    await scope.record('approval.granted', {
      approver: text.clean(verdict.approver, 256),
      decision: decisionRecord(decision, text),
    });
  } catch (error) {
    return scope.denyUnaudited<T>(
      refuse('denied', 'ERR_GUARD_AUDIT_FAILED', `audit log unavailable: ${message(error)}`),
    );
  }
  return undefined;
}
