import { createPolicyEngine, type PolicyDocument, type PolicyEngine } from '@agentguard/policy';
import { type AttestationChange, type AttestationReport, type AttestOptions, checkObserved } from './attest.js';
import type { ResumeAgentOptions } from './monitor-suspension.js';
import { runCallReleasing } from './call.js';
import { checkCall } from './check.js';
import { createGuardContext, toolDef } from './context.js';
import { GuardError } from './errors.js';
import { createRefuse } from './refuse.js';
import { jsonSchemaOf, type StandardSchemaV1 } from './standard-schema.js';
import { checkOptions, checkSpec, isPolicyEngine } from './options.js';
import type { CheckResult, Guard, GuardedTool, GuardOutcome } from './guarded-tool.js';
import type { CallOptions, GuardOptions, ToolSpec } from './types.js';

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
 * await add({ a: 1, b: 2 }); // 3, or a GuardError with code ERR_GUARD_POLICY_DENIED
 * ```
 */
export function createGuard(options: GuardOptions): Guard {
  checkOptions(options);
  let current = isPolicyEngine(options.policy) ? options.policy : createPolicyEngine(options.policy);
  const ctx = createGuardContext(options, () => current);
  const { identity, audit, events, self } = ctx;

  /** Replaces the policy; the change is itself an audited event, and is refused if it cannot be recorded. */
  async function setPolicy(policy: PolicyEngine | PolicyDocument): Promise<void> {
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
    const tool = toolDef(spec);
    ctx.attestor?.register(tool);

    // The per-call pipeline lives in call.ts; concurrency slots a decision holds go back when the call ends.
    function safeRunReleasing(raw: unknown, callOptions: CallOptions = {}): Promise<GuardOutcome<Awaited<R>>> {
      return runCallReleasing(ctx, tool, raw, callOptions);
    }
    // Decides without running (check.ts), for frameworks that ask before they run a tool (needsApproval).
    function check(raw: unknown, callOptions: CallOptions = {}): Promise<CheckResult> {
      return checkCall(ctx, tool, raw, callOptions);
    }

    async function run(raw: unknown, callOptions?: CallOptions): Promise<Awaited<R>> {
      const outcome = await safeRunReleasing(raw, callOptions);
      if (outcome.ok) return outcome.value;
      throw new GuardError(outcome.denial, { cause: (outcome as { cause?: unknown }).cause });
    }

    const refuseCall = createRefuse(ctx, tool);

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
    session: ctx.defaultSession,
    beginSession(id: string, start: { readonly prompt?: string; readonly agent?: string } = {}): void {
      if (typeof id !== 'string' || id.length === 0) throw new TypeError('"id" expected a non-empty string');
      if (start.prompt !== undefined && typeof start.prompt !== 'string') {
        throw new TypeError(`"prompt" expected string, got ${typeof start.prompt}`);
      }
      const agent = start.agent ?? self;
      ctx.monitor?.begin(id, { agent, ...(start.prompt === undefined ? {} : { prompt: start.prompt }) });
    },
    endSession(id: string): void {
      ctx.monitor?.end(id);
    },
    setPolicy,
    attest(options: AttestOptions = {}): Promise<AttestationReport> {
      if (ctx.attestor === undefined) {
        return Promise.reject(new TypeError('"attestation" expected in the guard options to attest'));
      }
      if (typeof options !== 'object' || options === null) {
        return Promise.reject(new TypeError('"options" expected an object'));
      }
      let observed: AttestationChange[];
      try {
        observed = checkObserved(options.observed);
      } catch (error) {
        return Promise.reject(error);
      }
      return ctx.attestor.attest(observed);
    },
    resumeAgent(agent: string, options: ResumeAgentOptions = {}): Promise<boolean> {
      return ctx.suspension.resume(agent, options ?? {});
    },
    suspendedAgents: () => ctx.suspension.list(),
    close: () => {
      ctx.stopControl();
      ctx.attestor?.stop();
      return audit.close();
    },
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
