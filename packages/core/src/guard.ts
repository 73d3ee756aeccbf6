import {
  createTrustStore,
  digestArgs,
  freezeArgs,
  signCall,
  type TrustStore,
  verifyCall,
} from '@agentguard/attestation';
import type { AuditEvent, AuditLog } from '@agentguard/audit';
import type { Signer } from '@agentguard/identity';
import { createPolicyEngine, type Decision, type PolicyEngine } from '@agentguard/policy';
import { type ApprovalOptions, createApprovalGate } from './approvals.js';
import { type Denial, type DenialOutcome, GuardError, type GuardErrorCode } from './errors.js';
import { type CallEvent, EventEmitter, emitSafely, type GuardEvents } from './events.js';
import { isStandardSchema, type StandardSchemaV1, validateWith } from './standard-schema.js';
import { runWithTimeout } from './timeout.js';

/** What a guarded tool's function receives besides its arguments. */
export interface ToolContext {
  /** The id of this call, as in the envelope and the audit log. */
  readonly callId: string;
  /** The did:key of the calling agent. */
  readonly agent: string;
  /** Aborted when the call times out or the caller aborts it. */
  readonly signal: AbortSignal;
}

/** A tool to guard: its name, argument schema and function. */
export interface ToolSpec<S extends StandardSchemaV1, R> {
  /** 1 to 128 characters of `A-Z a-z 0-9 _ . : -`. */
  readonly name: string;
  readonly description?: string;
  /** Any Standard Schema v1 (zod 4, valibot, arktype); arguments are validated with it before anything else. */
  readonly schema: S;
  /** Resource tags policies match on: `read`, `write`, `destructive`, `external`, `pii`, `payment`, … */
  readonly tags?: readonly string[];
  /** Data-flow labels, e.g. `reads:pii`, `egress`. */
  readonly labels?: readonly string[];
  /**
   * Milliseconds the tool may run before the call fails with `ERR_TOOL_TIMEOUT`.
   * @default 30_000
   */
  readonly timeoutMs?: number;
  /**
   * Whether the audit log records only the digest of the arguments, not their value.
   * @default false
   */
  readonly sensitive?: boolean;
  /** The tool itself. Runs only when the call is allowed, with the validated arguments. */
  execute(args: StandardSchemaV1.InferOutput<S>, ctx: ToolContext): R | Promise<R>;
}

/** Per-call options. */
export interface CallOptions {
  /**
   * Id of the call (a framework's tool-call id).
   * @default a random UUID
   */
  readonly callId?: string;
  /** Aborts the call. */
  readonly signal?: AbortSignal;
  /**
   * A signed approval of this call (from `createApproval` in `@agentguard/policy`), for a call the
   * policy sends to a human. Bound to the call id, tool, args digest and policy hash; accepted once.
   */
  readonly approval?: unknown;
  /**
   * The session the call belongs to: data-flow taint and per-session limits are kept per session.
   * @default the guard's own session (one per `createGuard`)
   */
  readonly session?: string;
}

/** What the guard needs: who acts, what decides, where outcomes go. */
export interface GuardOptions {
  /** The agent's signer; every call envelope and audit record is signed with it. */
  readonly identity: Signer;
  /** A policy engine from `@agentguard/policy`, or policy JSON to build one from. */
  readonly policy: PolicyEngine | unknown;
  /** The audit log every call is recorded in. */
  readonly audit: AuditLog;
  /**
   * Keys whose call envelopes are accepted.
   * @default a store trusting only `identity`
   */
  readonly trust?: TrustStore;
  /**
   * Who may approve calls the policy sends to a human (`require_approval`), and how to ask them.
   * @default none: such calls end with `ERR_APPROVAL_REQUIRED`
   */
  readonly approvals?: ApprovalOptions;
}

/** The outcome of {@link GuardedTool.safeRun}: a value or a denial, never a throw. */
export type GuardOutcome<R> =
  | { readonly ok: true; readonly callId: string; readonly value: R }
  | { readonly ok: false; readonly callId: string; readonly denial: Denial };

/** A guarded tool: call it like the tool; every call is signed, decided by policy and audited. */
export interface GuardedTool<A, R> {
  /** Runs the call; throws {@link GuardError} on any refusal or failure. */
  (args: A, options?: CallOptions): Promise<R>;
  /** As calling the tool, with arguments not yet typed (raw JSON from a model). */
  run(args: unknown, options?: CallOptions): Promise<R>;
  /** As {@link GuardedTool.run} but never throws: a refusal is returned as a {@link Denial}. */
  safeRun(args: unknown, options?: CallOptions): Promise<GuardOutcome<R>>;
  readonly name: string;
  readonly description: string | undefined;
  readonly tags: readonly string[];
  readonly schema: StandardSchemaV1;
  /** JSON Schema (draft 2020-12) of the input, when the schema library offers Standard JSON Schema. */
  inputJsonSchema(): Record<string, unknown> | undefined;
}

/** A guard bound to one agent, policy and audit log, guarding any number of tools. */
export interface Guard {
  guard<S extends StandardSchemaV1, R>(spec: ToolSpec<S, R>): GuardedTool<StandardSchemaV1.InferInput<S>, Awaited<R>>;
  /** Typed events: `allowed`, `denied`, `completed`, `failed`. */
  readonly events: EventEmitter<GuardEvents>;
  /** The did:key of the agent. */
  readonly agent: string;
  /** The content hash of the policy, as recorded in every envelope. */
  readonly policyHash: string;
  /** The guard's default session id (calls without `session` belong to it). */
  readonly session: string;
  /** Closes the audit log. */
  close(): Promise<void>;
}

const TOOL_NAME = /^[A-Za-z0-9_.:-]{1,128}$/;
const DEFAULT_TIMEOUT_MS = 30_000;

function isPolicyEngine(value: unknown): value is PolicyEngine {
  return (
    typeof (value as PolicyEngine | null)?.decide === 'function' && typeof (value as PolicyEngine).hash === 'string'
  );
}

function checkOptions(options: GuardOptions): void {
  if (typeof options !== 'object' || options === null) throw new TypeError('"options" expected an object');
  const { identity, audit } = options;
  if (typeof identity?.sign !== 'function' || typeof identity.id !== 'string') {
    throw new TypeError('"identity" expected a Signer (createIdentity())');
  }
  if (typeof audit?.append !== 'function') throw new TypeError('"audit" expected an AuditLog (createAuditLog())');
}

function checkSpec(spec: ToolSpec<StandardSchemaV1, unknown>): void {
  if (typeof spec !== 'object' || spec === null) throw new TypeError('"spec" expected an object');
  if (typeof spec.name !== 'string' || !TOOL_NAME.test(spec.name)) {
    throw new TypeError(`"name" expected 1-128 characters of [A-Za-z0-9_.:-], got ${JSON.stringify(spec.name)}`);
  }
  if (!isStandardSchema(spec.schema)) throw new TypeError('"schema" expected a Standard Schema v1 (e.g. a zod schema)');
  if (typeof spec.execute !== 'function') throw new TypeError('"execute" expected a function');
  const timeout = spec.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(timeout) || timeout <= 0 || timeout > 2_147_483_647) {
    throw new RangeError(`"timeoutMs" expected a positive integer of milliseconds, got ${String(spec.timeoutMs)}`);
  }
}

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
  const engine = isPolicyEngine(options.policy) ? options.policy : createPolicyEngine(options.policy);
  const identity = options.identity;
  const audit = options.audit;
  const trust = options.trust ?? createTrustStore([identity.id]);
  const events = new EventEmitter<GuardEvents>();
  const agent = identity.id;
  const defaultSession = crypto.randomUUID();
  const gate = createApprovalGate(options.approvals);

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
      execute: spec.execute,
    });

    async function safeRun(
      raw: unknown,
      callOptions: CallOptions,
      held: Decision[],
    ): Promise<GuardOutcome<Awaited<R>>> {
      const callId = callOptions.callId ?? crypto.randomUUID();
      const base: CallEvent = { callId, tool: tool.name, agent };
      const refuse = (outcome: DenialOutcome, code: GuardErrorCode, reason: string, ruleId: string | null = null) =>
        ({ agentguard: 'refused', outcome, code, reason, tool: tool.name, callId, ruleId }) satisfies Denial;
      const record = (type: AuditEvent['type'], data: Record<string, unknown>) =>
        audit.append({ type, callId, agent, tool: tool.name, data }, identity);

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

      // 2. Sign the call envelope and verify it as any other party would.
      let envelope: unknown;
      try {
        const signed = await signCall({ signer: identity, callId, tool: tool.name, args, policyHash: engine.hash });
        envelope = signed.envelope;
        const check = await verifyCall(envelope, { trust, args, expectedTool: tool.name, expectedCallId: callId });
        if (!check.ok) {
          return refuseAudited(refuse('denied', 'ERR_ENVELOPE_REJECTED', `call envelope rejected: ${check.reason}`), {
            argsDigest,
            envelope,
            envelopeCode: check.code,
          });
        }
      } catch (error) {
        return refuseAudited(refuse('denied', 'ERR_ENVELOPE_REJECTED', `could not sign the call: ${message(error)}`), {
          argsDigest,
        });
      }

      // 3. Record the request before deciding: an attempt is never lost, even if the process dies.
      try {
        await record('call.requested', {
          argsDigest,
          ...(tool.sensitive ? {} : { args }),
          envelope,
          policyHash: engine.hash,
          tags: tool.tags,
        });
      } catch (error) {
        return denyUnaudited(refuse('denied', 'ERR_AUDIT_FAILED', `audit log unavailable: ${message(error)}`));
      }

      // 4. Decide, or resume the decision of a call that was waiting for this approval.
      let decision: Decision;
      const parked = gate.resume(callId, tool.name, argsDigest);
      try {
        decision =
          parked ??
          (await engine.decide({
            agent: { id: agent, name: nameOf(identity) },
            tool: { name: tool.name, tags: tool.tags, labels: tool.labels },
            args,
            callId,
            session: { id: callOptions.session ?? defaultSession },
          }));
      } catch (error) {
        return refuseAudited(refuse('denied', 'ERR_POLICY_DENIED', `policy evaluation failed: ${message(error)}`), {});
      }
      if (decision.leases !== undefined && decision.leases.length > 0) held.push(decision);
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
      emitSafely(events, 'allowed', { ...base, decision });

      // 5. Run, bounded in time, with the args bound to the envelope re-checked right before use.
      const timeoutMs = Math.min(tool.timeoutMs, decision.obligations?.timeoutMs ?? tool.timeoutMs);
      const maxResultBytes = decision.obligations?.maxResultBytes;
      const started = performance.now();
      let value: Awaited<R>;
      try {
        if (digestArgs(args) !== argsDigest) throw new Error('arguments changed after the decision');
        value = (await runWithTimeout(
          (signal) => tool.execute(parsed.value, { callId, agent, signal }),
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
            error: { code: denial.code, message: denial.reason },
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
      const held: Decision[] = [];
      try {
        return await safeRun(raw, callOptions, held);
      } finally {
        for (const decision of held) await engine.release(decision).catch(() => {});
      }
    }

    async function run(raw: unknown, callOptions?: CallOptions): Promise<Awaited<R>> {
      const outcome = await safeRunReleasing(raw, callOptions);
      if (outcome.ok) return outcome.value;
      throw new GuardError(outcome.denial, { cause: (outcome as { cause?: unknown }).cause });
    }

    const guarded = (args: StandardSchemaV1.InferInput<S>, callOptions?: CallOptions) => run(args, callOptions);
    // A function's own `name` is read-only; define it so the guarded tool carries the tool's name.
    Object.defineProperty(guarded, 'name', { value: tool.name });
    return Object.freeze(
      Object.assign(guarded, {
        run,
        safeRun: safeRunReleasing,
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
    agent,
    policyHash: engine.hash,
    session: defaultSession,
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

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function nameOf(signer: Signer): string {
  const name = (signer as { name?: unknown }).name;
  return typeof name === 'string' ? name : signer.id;
}

function decisionRecord(decision: Decision): Record<string, unknown> {
  return {
    effect: decision.effect,
    ruleId: decision.ruleId,
    reason: decision.reason,
    matched: [...decision.matched],
    mode: decision.mode,
    ...(decision.wouldDeny === undefined ? {} : { wouldDeny: decision.wouldDeny }),
  };
}

function resultDigest(value: unknown): string | null {
  if (value === undefined) return null;
  try {
    return digestArgs(value);
  } catch {
    return null;
  }
}

function withCause<T extends object>(outcome: T, cause: unknown): T {
  // Kept off the JSON shape (non-enumerable) so the denial a model sees never holds a stack.
  Object.defineProperty(outcome, 'cause', { value: cause, enumerable: false });
  return outcome;
}

function checkResultSize(value: unknown, maxBytes: number): void {
  let size: number;
  try {
    size = value === undefined ? 0 : new TextEncoder().encode(JSON.stringify(value)).length;
  } catch {
    size = Number.POSITIVE_INFINITY;
  }
  if (size > maxBytes) {
    throw Object.assign(new Error(`result of ${size} bytes is over the policy's cap of ${maxBytes}`), {
      agentguardStop: 'too-large',
    });
  }
}

function jsonSchemaOf(schema: StandardSchemaV1): Record<string, unknown> | undefined {
  const convert = schema['~standard'].jsonSchema?.input;
  if (typeof convert !== 'function') return undefined;
  try {
    return convert({ target: 'draft-2020-12' });
  } catch {
    return undefined;
  }
}
