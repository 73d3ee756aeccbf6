import type { Guard, GuardOutcome, StandardSchemaV1 } from '@agentguard/core';
import { ToolMessage } from '@langchain/core/messages';
import { interrupt } from '@langchain/langgraph';
import { createMiddleware } from 'langchain';
import { type AdapterOptions, normalizeAdapterOptions } from '../shared/options.js';
import { denialText, settle } from '../shared/outcome.js';
import { checkReject, type RejectFunction, refuseCall } from '../shared/refusals.js';
import type { AnyGuardedTool } from '../shared/tools.js';

/** Policy facts about one tool the middleware guards (LangChain tools do not carry them). */
export interface GuardedToolFacts {
  /** @default [] */
  readonly tags?: readonly string[];
  /** @default [] */
  readonly labels?: readonly string[];
  /** @default 30_000 */
  readonly timeoutMs?: number;
  /** @default false */
  readonly sensitive?: boolean;
}

/**
 * The value of a LangGraph interrupt raised for a call the policy sends to a human. Resume the run with
 * `new Command({ resume: { [interruptId]: approval } })`, where `approval` is a signed approval of exactly
 * this call (`createApproval({ callId, tool, args, policyHash }, { approver, decision })` from
 * `@agentguard/policy`). The guard verifies it (a trusted approver, this call, these arguments, this policy,
 * fresh, unused): an approval that came back from a client is never trusted on its word. To refuse, resume
 * with a {@link RejectDecision} (`{ type: 'reject', message? }`, LangChain's own human-in-the-loop shape):
 * the refusal is audited (`approval.refused`) and the call id stays refused. Resuming with anything else is
 * checked as an approval, and refused (and audited) when it is not a valid one.
 */
export interface ApprovalInterrupt {
  readonly agentguard: 'approval_required';
  readonly tool: string;
  readonly callId: string;
  readonly args: unknown;
  readonly reason: string;
  readonly ruleId: string | null;
  readonly policyHash: string;
}

/**
 * A human's "no" as a resume value for an {@link ApprovalInterrupt}. `message` is the reason, for the audit
 * and the Denial the model sees; `approval` the human's own signed rejection
 * (`createApproval(…, { decision: 'reject' })`), so the audit names them (see `GuardedTool.refuse`).
 */
export interface RejectDecision {
  readonly type: 'reject';
  readonly message?: string;
  readonly approval?: unknown;
}

function rejectionOf(value: unknown): RejectDecision | undefined {
  const v = value as Partial<RejectDecision> | null;
  return typeof v === 'object' && v !== null && v.type === 'reject' ? (v as RejectDecision) : undefined;
}

/** Options of {@link createGuardMiddleware}. */
export interface GuardMiddlewareOptions extends AdapterOptions {
  /**
   * What a call the policy sends to a human does: `'result'` refuses it with `ERR_APPROVAL_REQUIRED` (or
   * lets the guard's own `approvals.approver` decide); `'interrupt'` pauses the run with a LangGraph
   * interrupt carrying an {@link ApprovalInterrupt}, one per call, so parallel calls are decided as a
   * batch, and resumes the call with the signed approval, or the {@link RejectDecision}, given on resume.
   * Needs a checkpointer.
   * @default 'result'
   */
  readonly approvals?: 'result' | 'interrupt';
  /**
   * Signs a refusal given as a {@link RejectDecision} without its own `approval`, so the audit names the
   * approver. Without it such refusals are recorded unsigned (a refusal needs no proof).
   * @default undefined (unsigned refusals)
   */
  readonly reject?: RejectFunction;
  /**
   * Tags, labels and timeouts per tool name.
   * @default {} (every tool untagged, 30 s timeout)
   */
  readonly tools?: Readonly<Record<string, GuardedToolFacts>>;
}

type Request = Parameters<NonNullable<Parameters<typeof createMiddleware>[0]['wrapToolCall']>>[0];
type Handler = Parameters<NonNullable<Parameters<typeof createMiddleware>[0]['wrapToolCall']>>[1];
type HandlerResult = Awaited<ReturnType<Handler>>;

// Accepts any value: used when a LangChain tool's schema is JSON Schema, which LangChain itself then checks.
const passThrough: StandardSchemaV1 = {
  '~standard': { version: 1, vendor: 'agentguard-langchain', validate: (value) => ({ value }) },
};

function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  const s = (value as { '~standard'?: { version?: unknown } } | null)?.['~standard'];
  return typeof s === 'object' && s !== null && s.version === 1;
}

/**
 * An agent middleware for LangChain's `createAgent` that sends every tool call through the guard with
 * `wrapToolCall`: signed, decided by the policy and audited before the tool runs. A refusal is a
 * `ToolMessage` with `status: 'error'` carrying the Denial JSON, and the tool never runs. Guard each tool
 * either with this middleware or with {@link toLangChainTool}, not both (the call would be audited twice).
 *
 * @param guard - the guard (`createGuard()`).
 * @param options - see {@link GuardMiddlewareOptions}.
 * @returns the middleware, for `createAgent({ middleware: [...] })`.
 * @throws TypeError on misuse.
 * @example
 * ```ts
 * const agent = createAgent({ model, tools: [search, sendEmail], middleware: [createGuardMiddleware(ag, { tools: { send_email: { tags: ['external'] } } })] });
 * ```
 */
export function createGuardMiddleware(guard: Guard, options: GuardMiddlewareOptions = {}) {
  if (typeof guard?.guard !== 'function') throw new TypeError('"guard" expected a Guard (createGuard())');
  const normalized = normalizeAdapterOptions(options);
  const approvals = options.approvals ?? 'result';
  if (approvals !== 'result' && approvals !== 'interrupt') {
    throw new TypeError(`"approvals" expected 'result' or 'interrupt', got ${JSON.stringify(approvals)}`);
  }
  const reject = checkReject(options.reject);
  // Calls that raised an interrupt: on resume LangGraph runs the node again, and they go straight to it.
  const awaiting = new Set<string>();
  const facts = { ...(options.tools ?? {}) };
  // One guarded tool per tool name; the handler of the call in flight is found by call id.
  const guardedByName = new Map<string, AnyGuardedTool>();
  const pending = new Map<string, (args: unknown) => Promise<HandlerResult>>();

  function guardedFor(request: Request): AnyGuardedTool {
    const name = request.toolCall.name;
    const existing = guardedByName.get(name);
    if (existing !== undefined) return existing;
    const fact = Object.hasOwn(facts, name) ? facts[name] : undefined;
    const schema = request.tool?.schema;
    const created = guard.guard({
      name,
      ...(typeof request.tool?.description === 'string' ? { description: request.tool.description } : {}),
      schema: isStandardSchema(schema) ? passThroughOutput(schema) : passThrough,
      ...(fact?.tags === undefined ? {} : { tags: fact.tags }),
      ...(fact?.labels === undefined ? {} : { labels: fact.labels }),
      ...(fact?.timeoutMs === undefined ? {} : { timeoutMs: fact.timeoutMs }),
      ...(fact?.sensitive === undefined ? {} : { sensitive: fact.sensitive }),
      execute: (args, ctx) => {
        const run = pending.get(ctx.callId);
        if (run === undefined) throw new Error(`no tool call ${ctx.callId} in flight`);
        return run(args);
      },
    });
    guardedByName.set(name, created as AnyGuardedTool);
    return created as AnyGuardedTool;
  }

  return createMiddleware({
    name: 'AgentGuard',
    wrapToolCall: async (request, handler) => {
      const callId = request.toolCall.id ?? crypto.randomUUID();
      const guarded = guardedFor(request);
      // LangChain applies the tool's schema itself when the handler invokes the tool, so the handler gets
      // the raw arguments the guard validated and signed, not the schema's output.
      pending.set(callId, async (args) =>
        handler({ ...request, toolCall: { ...request.toolCall, args: args as Record<string, unknown> } }),
      );
      try {
        const args = request.toolCall.args;
        let outcome = awaiting.has(callId) ? undefined : await guarded.safeRun(args, { callId });
        if (approvals === 'interrupt' && (outcome === undefined || needsApproval(outcome))) {
          awaiting.add(callId);
          const denial = outcome?.ok === false ? outcome.denial : undefined;
          const ask: ApprovalInterrupt = {
            agentguard: 'approval_required',
            tool: request.toolCall.name,
            callId,
            args,
            reason: denial?.reason ?? 'the policy requires approval',
            ruleId: denial?.ruleId ?? null,
            policyHash: guard.policyHash,
          };
          // Throws GraphInterrupt the first time; returns the resume value when the run is resumed.
          const answer: unknown = interrupt(ask);
          awaiting.delete(callId);
          const no = rejectionOf(answer);
          if (no === undefined) {
            outcome = await guarded.safeRun(args, { callId, approval: answer });
          } else {
            // The human said no: recorded as approval.refused (and the call id kept refused) by the guard.
            const denial = await refuseCall({ guarded, reject }, args, {
              callId,
              ...(typeof no.message === 'string' ? { reason: no.message } : {}),
              ...(no.approval === undefined ? {} : { approval: no.approval }),
            });
            outcome = { ok: false, callId, denial };
          }
        }
        const settled = settle(outcome ?? (await guarded.safeRun(args, { callId })), normalized);
        if (settled.ok) return settled.value as HandlerResult;
        return new ToolMessage({
          content: denialText(settled.denial),
          tool_call_id: callId,
          name: request.toolCall.name,
          status: 'error',
        });
      } finally {
        pending.delete(callId);
      }
    },
  });
}

function needsApproval(outcome: GuardOutcome<unknown>): boolean {
  return !outcome.ok && outcome.denial.code === 'ERR_APPROVAL_REQUIRED';
}

// Validates with the tool's schema but hands on the input unchanged (LangChain parses it again on invoke).
function passThroughOutput(schema: StandardSchemaV1): StandardSchemaV1 {
  return {
    '~standard': {
      version: 1,
      vendor: schema['~standard'].vendor,
      validate: async (value) => {
        const result = await schema['~standard'].validate(value);
        return result.issues === undefined ? { value } : result;
      },
      ...(schema['~standard'].jsonSchema === undefined ? {} : { jsonSchema: schema['~standard'].jsonSchema }),
    },
  } as StandardSchemaV1;
}
