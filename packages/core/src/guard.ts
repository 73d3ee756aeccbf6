import {
  createReplayCache,
  createTrustStore,
  digestArgs,
  freezeArgs,
  signCall,
  verifyCall,
} from '@agentguard/attestation';
import { type AuditEvent, createRedactor } from '@agentguard/audit';
import { createPolicyEngine, type Decision, type Effect, type PolicyEngine } from '@agentguard/policy';
import { createApprovalGate } from './approvals.js';
import { createCredentialCheck } from './credentials.js';
import { type Denial, type DenialOutcome, GuardError, type GuardErrorCode } from './errors.js';
import { EventEmitter, emitSafely, type GuardEvents } from './events.js';
import { createRefuse } from './refuse.js';
import { type StandardSchemaV1, validateWith } from './standard-schema.js';
import { runWithTimeout } from './timeout.js';

import {
  checkOptions,
  checkResultSize,
  checkSpec,
  DEFAULT_TIMEOUT_MS,
  decisionRecord,
  isPolicyEngine,
  jsonSchemaOf,
  message,
  nameOf,
  resultDigest,
  withCause,
} from './support.js';
import type { CallOptions, CheckResult, Guard, GuardedTool, GuardOptions, GuardOutcome, ToolSpec } from './types.js';

/**
 * Creates a guard for one agent: every tool it guards has its calls signed,
 * checked against the policy and written to the audit log.
 *
 * @param options - see {@link GuardOptions}.
 * @returns a {@link Guard}.
 * @throws TypeError on misuse; PolicyError `ERR_POLICY_INVALID` when the policy JSON is invalid.
 * @example
 * ```ts
 * const ag = createGuard({ identity: createIdentity(), policy, audit: createAuditLog({ sink: createMemorySink() }) });
 * const add = ag.guard({ name: 'add', schema: z.object({ a: z.number(), b: z.number() }), execute: ({ a, b }) => a + b });
 * await add({ a: 1, b: 2 }); // 3, or a GuardError with code ERR_POLICY_DENIED
 * ```
 */
export function createGuard(options: GuardOptions): Guard {
  checkOptions(options);
  let current = isPolicyEngine(options.policy) ? options.policy : createPolicyEngine(options.policy);
  // Calls that could not be recorded under a fail-open tool; written as one `gap` record once the log works again.
  const gap = { missed: 0, since: '', lastError: '' };
  const identity = options.identity;
  const audit = options.audit;
  const trust = options.trust ?? createTrustStore([identity.id]);
  const events = new EventEmitter<GuardEvents>();
  const self = identity.id;
  const defaultSession = crypto.randomUUID();
  const gate = createApprovalGate(options.approvals);
  const redactor = options.redaction === false ? undefined : createRedactor(options.redaction ?? {});
  // Fields the policy names in `redact` obligations are redacted on every call's record (the request is
  // written before the decision, so the union of all of them applies: over-redacting is the safe side).
  const policyFields = new WeakMap<PolicyEngine, readonly string[]>();
  function redactedArgs(engine: PolicyEngine, args: unknown): { args: unknown; redactions?: number } {
    if (redactor === undefined) return { args };
    let fields = policyFields.get(engine);
    if (fields === undefined) {
      fields = [...new Set(engine.policy.rules.flatMap((r) => r.obligations?.redact ?? []))];
      policyFields.set(engine, fields);
    }
    const { value, findings } = redactor.redact(args, { fields });
    return findings.length === 0 ? { args: value } : { args: value, redactions: findings.length };
  }
  function redactText(text: string): string {
    if (redactor === undefined) return text;
    const { value } = redactor.redact(text);
    return typeof value === 'string' ? value : '[REDACTED]';
  }
  const replayCache = createReplayCache();
  const credentials = createCredentialCheck(options.credentials);

  async function flushGap(toolName: string): Promise<void> {
    if (gap.missed === 0) return;
    const missed = { ...gap };
    gap.missed = 0;
    try {
      await audit.append(
        {
          type: 'gap',
          callId: `gap:${crypto.randomUUID()}`,
          agent: self,
          tool: toolName,
          data: {
            missed: missed.missed,
            since: missed.since,
            until: new Date().toISOString(),
            lastError: missed.lastError,
          },
        },
        identity,
      );
    } catch (error) {
      gap.missed += missed.missed;
      if (gap.since === '' || missed.since < gap.since) gap.since = missed.since;
      throw error;
    }
  }

  /** Replaces the policy; the change is itself an audited event, and is refused if it cannot be recorded. */
  async function setPolicy(policy: PolicyEngine | unknown): Promise<void> {
    const next = isPolicyEngine(policy) ? policy : createPolicyEngine(policy);
    const from = { hash: current.hash, mode: current.mode };
    await audit.append(
      {
        type: 'mode.changed',
        callId: `policy:${crypto.randomUUID()}`,
        agent: self,
        tool: '*',
        data: { from, to: { hash: next.hash, mode: next.mode } },
      },
      identity,
    );
    current = next;
  }

  function guardTool<S extends StandardSchemaV1, R>(
    spec: ToolSpec<S, R>,
  ): GuardedTool<StandardSchemaV1.InferInput<S>, Awaited<R>> {
    checkSpec(spec as ToolSpec<StandardSchemaV1, unknown>);
    const tool = Object.freeze({
      name: spec.name,
      description: spec.description,
      schema: spec.schema,
      tags: Object.freeze([...(spec.tags ?? [])]),
      labels: Object.freeze([...(spec.labels ?? [])]),
      timeoutMs: spec.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      sensitive: spec.sensitive === true,
      auditFailure: spec.auditFailure ?? 'closed',
      batched: spec.signing === 'batched',
      execute: spec.execute,
    });

    async function safeRun(
      raw: unknown,
      callOptions: CallOptions,
      held: Array<{ engine: PolicyEngine; decision: Decision }>,
    ): Promise<GuardOutcome<Awaited<R>>> {
      // One policy decides the whole call, even if the guard's policy is replaced meanwhile.
      const engine = current;
      let callId = callOptions.callId ?? crypto.randomUUID();
      // The agent is this guard's identity, or the verified signer of an incoming envelope.
      let agent: string = self;
      const base: { callId: string; tool: string; agent: string } = { callId, tool: tool.name, agent };
      const refuse = (outcome: DenialOutcome, code: GuardErrorCode, reason: string, ruleId: string | null = null) =>
        ({ agentguard: 'refused', outcome, code, reason, tool: tool.name, callId, ruleId }) satisfies Denial;
      const record = async (type: AuditEvent['type'], data: Record<string, unknown>) => {
        try {
          await flushGap(tool.name);
          const event = { type, callId, agent, tool: tool.name, data };
          await (tool.batched ? audit.appendBatched(event) : audit.append(event, identity));
        } catch (error) {
          // Fail closed unless this tool was explicitly made fail-open: then the call goes on and
          // the gap is recorded as soon as the log takes writes again.
          if (tool.auditFailure !== 'open') throw error;
          if (gap.missed === 0) gap.since = new Date().toISOString();
          gap.missed++;
          gap.lastError = message(error);
        }
      };

      // 1. Copy and freeze the arguments, then validate that copy: what is decided on is what runs.
      let args: unknown;
      let argsDigest: string;
      try {
        args = freezeArgs(raw);
        argsDigest = digestArgs(args);
      } catch (error) {
        return refuseAudited(refuse('invalid', 'ERR_ARGS_INVALID', `arguments are not JSON: ${message(error)}`), {});
      }
      const parsed = await validateWith(tool.schema, args);
      if (!parsed.ok) {
        const reason = `invalid arguments: ${parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`;
        return refuseAudited(refuse('invalid', 'ERR_ARGS_INVALID', reason), { argsDigest, issues: parsed.issues });
      }

      // 2. Sign the call envelope and verify it as any other party would; or, for a call signed in
      //    another process, verify the caller's envelope (trust, args digest, freshness, replay).
      //    Throughput mode (batched) has no envelope: its records are covered by the next signed checkpoint.
      let envelope: unknown = callOptions.envelope;
      if (envelope !== undefined || !tool.batched) {
        try {
          if (envelope === undefined) {
            const signed = await signCall({ signer: identity, callId, tool: tool.name, args, policyHash: engine.hash });
            envelope = signed.envelope;
          }
          const incoming = callOptions.envelope !== undefined;
          const check = await verifyCall(envelope, {
            trust,
            args,
            expectedTool: tool.name,
            // Our own fresh envelope needs no replay check; an incoming one is accepted once only.
            ...(incoming ? { replayCache } : {}),
            ...(!incoming || callOptions.callId !== undefined ? { expectedCallId: callId } : {}),
          });
          if (!check.ok) {
            return refuseAudited(refuse('denied', 'ERR_ENVELOPE_REJECTED', `call envelope rejected: ${check.reason}`), {
              argsDigest,
              envelope,
              envelopeCode: check.code,
            });
          }
          callId = check.claims.callId;
          agent = check.claims.agent;
          base.callId = callId;
          base.agent = agent;
        } catch (error) {
          return refuseAudited(refuse('denied', 'ERR_ENVELOPE_REJECTED', `call envelope rejected: ${message(error)}`), {
            argsDigest,
          });
        }
      }

      // 3. Record the request before deciding: an attempt is never lost, even if the process dies.
      try {
        await record('call.requested', {
          argsDigest,
          ...(tool.sensitive ? {} : redactedArgs(engine, args)),
          ...(envelope === undefined ? { signing: 'batched' } : { envelope }),
          policyHash: engine.hash,
          // What the policy matches on besides the args, so a replay can decide the call again exactly.
          agentName: agent === self ? nameOf(identity) : agent,
          tags: tool.tags,
          labels: tool.labels,
        });
      } catch (error) {
        return denyUnaudited(refuse('denied', 'ERR_AUDIT_FAILED', `audit log unavailable: ${message(error)}`));
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
        return refuseAudited(denial, { credentialCode: subject.code });
      }
      // A call a human refused outside the guard (refuse()) stays refused, whatever comes with it.
      if (gate.refused(callId) !== undefined) {
        const denial = refuse('denied', 'ERR_APPROVAL_REFUSED', 'approval refused: this call was refused by a human');
        return refuseAudited(denial, {});
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
        session: { id: callOptions.session ?? defaultSession },
      };
      try {
        // A kept decision counted rates and budgets when it was made; its concurrency slots are taken now.
        decision = parked === undefined ? await engine.decide(request) : await engine.hold(request, parked);
      } catch (error) {
        return refuseAudited(refuse('denied', 'ERR_POLICY_DENIED', `policy evaluation failed: ${message(error)}`), {});
      }
      if (decision.leases !== undefined && decision.leases.length > 0) held.push({ engine, decision });
      if (decision.effect === 'deny') {
        const denial = refuse('denied', 'ERR_POLICY_DENIED', decision.reason, decision.ruleId);
        return refuseAudited(denial, { decision: decisionRecord(decision) });
      }
      if (decision.effect === 'require_approval') {
        const request = {
          callId,
          tool: tool.name,
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
          gate.park(callId, tool.name, argsDigest, decision);
          const denial = refuse('approval_required', 'ERR_APPROVAL_REQUIRED', decision.reason, decision.ruleId);
          return refuseAudited(denial, { decision: decisionRecord(decision) }, 'approval.requested');
        }
        if (verdict.kind === 'refused') {
          const denial = refuse(
            'denied',
            'ERR_APPROVAL_REFUSED',
            `approval refused: ${verdict.reason}`,
            decision.ruleId,
          );
          const by = verdict.approver === undefined ? {} : { approver: verdict.approver };
          return refuseAudited(
            denial,
            { ...by, approvalCode: verdict.code, decision: decisionRecord(decision) },
            'approval.refused',
          );
        }
        try {
          await record('approval.granted', { approver: verdict.approver, decision: decisionRecord(decision) });
        } catch (error) {
          return denyUnaudited(refuse('denied', 'ERR_AUDIT_FAILED', `audit log unavailable: ${message(error)}`));
        }
      }
      // The tool runs from here on, so no refusal may follow; one that landed while this call was decided wins.
      if (!gate.start(callId, tool.timeoutMs)) {
        const reason = 'approval refused: this call was refused by a human';
        return refuseAudited(refuse('denied', 'ERR_APPROVAL_REFUSED', reason, decision.ruleId), {});
      }
      emitSafely(events, 'allowed', { ...base, decision });

      // 5. Run, bounded in time, with the args bound to the envelope re-checked right before use.
      const timeoutMs = Math.min(tool.timeoutMs, decision.obligations?.timeoutMs ?? tool.timeoutMs);
      const maxResultBytes = decision.obligations?.maxResultBytes;
      const started = performance.now();
      let value: Awaited<R>;
      try {
        if (digestArgs(args) !== argsDigest) throw new Error('arguments changed after the decision');
        value = (await runWithTimeout(
          (signal) =>
            tool.execute(parsed.value, { callId, agent, signal, ...(envelope === undefined ? {} : { envelope }) }),
          timeoutMs,
          callOptions.signal,
        )) as Awaited<R>;
        if (maxResultBytes !== undefined) checkResultSize(value, maxResultBytes);
      } catch (error) {
        const durationMs = performance.now() - started;
        const kind = (error as { agentguardStop?: string } | null)?.agentguardStop;
        const denial =
          kind === 'timeout'
            ? refuse('timeout', 'ERR_TOOL_TIMEOUT', `tool did not finish within ${timeoutMs} ms`, decision.ruleId)
            : kind === 'aborted'
              ? refuse('aborted', 'ERR_CALL_ABORTED', 'call aborted by the caller', decision.ruleId)
              : kind === 'too-large'
                ? refuse('failed', 'ERR_RESULT_TOO_LARGE', message(error), decision.ruleId)
                : refuse('failed', 'ERR_TOOL_FAILED', `tool failed: ${message(error)}`, decision.ruleId);
        try {
          await record('call.failed', {
            decision: decisionRecord(decision),
            error: { code: denial.code, message: redactText(denial.reason) },
            durationMs,
          });
        } catch (auditError) {
          const lost = refuse(
            'failed',
            'ERR_AUDIT_FAILED',
            `tool failed and the failure could not be audited: ${message(auditError)}`,
          );
          emitSafely(events, 'failed', { ...base, denial: lost, durationMs });
          return withCause({ ok: false, callId, denial: lost }, auditError);
        }
        emitSafely(events, 'failed', { ...base, denial, durationMs });
        return withCause({ ok: false, callId, denial }, error);
      }
      const durationMs = performance.now() - started;
      try {
        await record('call.completed', {
          decision: decisionRecord(decision),
          resultDigest: resultDigest(value),
          durationMs,
        });
      } catch (error) {
        // The tool ran, but nothing durable says so: withhold the result rather than lose the record.
        const denial = refuse(
          'failed',
          'ERR_AUDIT_FAILED',
          `tool ran but its outcome could not be audited: ${message(error)}`,
        );
        emitSafely(events, 'failed', { ...base, denial, durationMs });
        return { ok: false, callId, denial };
      }
      emitSafely(events, 'completed', { ...base, durationMs });
      return { ok: true, callId, value };

      async function refuseAudited(
        denial: Denial,
        data: Record<string, unknown>,
        type: AuditEvent['type'] = denial.outcome === 'invalid' ? 'call.invalid' : 'call.denied',
      ): Promise<GuardOutcome<Awaited<R>>> {
        try {
          await record(type, { ...data, code: denial.code, reason: denial.reason });
        } catch {
          // Still refused; the refusal itself could not be written, which the caller learns from the code.
          return denyUnaudited({
            ...denial,
            code: 'ERR_AUDIT_FAILED',
            reason: `${denial.reason} (and the audit log is unavailable)`,
          });
        }
        return denyUnaudited(denial);
      }
      function denyUnaudited(denial: Denial): GuardOutcome<Awaited<R>> {
        emitSafely(events, 'denied', { ...base, denial });
        return { ok: false, callId, denial };
      }
    }

    // Concurrency slots a decision holds go back when the call ends, however it ends.
    async function safeRunReleasing(raw: unknown, callOptions: CallOptions = {}): Promise<GuardOutcome<Awaited<R>>> {
      const held: Array<{ engine: PolicyEngine; decision: Decision }> = [];
      try {
        return await safeRun(raw, callOptions, held);
      } finally {
        for (const { engine, decision } of held) await engine.release(decision).catch(() => {});
      }
    }

    // Decides without running, for frameworks that ask before they run a tool (needsApproval). The
    // decision is parked under the call id, so the run that follows uses it rather than deciding again.
    async function check(raw: unknown, callOptions: CallOptions = {}): Promise<CheckResult> {
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
      if (kept !== undefined && kept.policyHash === current.hash) {
        return verdict(kept.effect, kept.reason, kept.ruleId, kept.effect === 'deny' ? 'ERR_POLICY_DENIED' : undefined);
      }
      try {
        const subject = await credentials.check({ agent: self, tool: tool.name, args });
        if (!subject.ok)
          return verdict('deny', `credential rejected: ${subject.reason}`, null, 'ERR_CREDENTIAL_REJECTED');
        const engine = current;
        const decision = await engine.decide({
          agent: { ...subject.agent, id: self, name: nameOf(identity) },
          tool: { name: tool.name, tags: tool.tags, labels: tool.labels },
          args,
          callId,
          session: { id: callOptions.session ?? defaultSession },
        });
        if (decision.leases !== undefined && decision.leases.length > 0) await engine.release(decision);
        gate.park(callId, tool.name, argsDigest, decision);
        const code = decision.effect === 'deny' ? 'ERR_POLICY_DENIED' : undefined;
        return verdict(decision.effect, decision.reason, decision.ruleId, code);
      } catch (error) {
        return verdict('deny', `policy evaluation failed: ${message(error)}`, null, 'ERR_POLICY_DENIED');
      }
    }

    async function run(raw: unknown, callOptions?: CallOptions): Promise<Awaited<R>> {
      const outcome = await safeRunReleasing(raw, callOptions);
      if (outcome.ok) return outcome.value;
      throw new GuardError(outcome.denial, { cause: (outcome as { cause?: unknown }).cause });
    }

    const refuseCall = createRefuse({
      tool,
      sensitive: tool.sensitive,
      batched: tool.batched,
      identity,
      audit,
      gate,
      events,
      engine: () => current,
      redactArgs: redactedArgs,
      redactText,
      flushGap,
    });

    const guarded = (args: StandardSchemaV1.InferInput<S>, callOptions?: CallOptions) => run(args, callOptions);
    // A function's own `name` is read-only; define it so the guarded tool carries the tool's name.
    Object.defineProperty(guarded, 'name', { value: tool.name });
    return Object.freeze(
      Object.assign(guarded, {
        run,
        safeRun: safeRunReleasing,
        check,
        refuse: refuseCall,
        tags: tool.tags,
        description: tool.description,
        schema: tool.schema,
        inputJsonSchema: () => jsonSchemaOf(tool.schema),
      }),
    ) as unknown as GuardedTool<StandardSchemaV1.InferInput<S>, Awaited<R>>;
  }

  return Object.freeze({
    guard: guardTool,
    events,
    agent: self,
    get policyHash() {
      return current.hash;
    },
    session: defaultSession,
    setPolicy,
    close: () => audit.close(),
  });
}

/**
 * Guards one tool: the one-shot form of {@link createGuard}.
 *
 * @example
 * ```ts
 * const search = guard({ name: 'search', schema: z.object({ q: z.string() }), execute: ({ q }) => find(q) }, options);
 * ```
 */
export function guard<S extends StandardSchemaV1, R>(
  spec: ToolSpec<S, R>,
  options: GuardOptions,
): GuardedTool<StandardSchemaV1.InferInput<S>, Awaited<R>> {
  return createGuard(options).guard(spec);
}
