import type { Denial, Guard, GuardOutcome, StandardSchemaV1 } from '@agentguard/core';
import { ToolMessage } from '@langchain/core/messages';
import { Validator } from '@langchain/core/utils/json_schema';
import { interrupt } from '@langchain/langgraph';
import { createMiddleware } from 'langchain';
import { decidedArgs } from '../common/approvals.js';
import { type AdapterOptions, normalizeAdapterOptions } from '../common/options.js';
import { adapterDenial, denialText, settle, unknownToolDenial } from '../common/outcome.js';
import { checkReject, type RejectFunction, refuseCall } from '../common/refusals.js';
import { type ApprovalInterrupt, type RejectDecision, rejectionOf } from './interrupts.js';
import { type AnyGuardedTool, checkRisk, isGuardableName, type ToolRisk } from '../common/tools.js';

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
  /** The tool's risk tier, replacing the computed one (see `ToolSpec.risk` of `@agentguard/core`). @default computed */
  readonly risk?: ToolRisk;
}

/** Options of {@link createGuardMiddleware}. */
export interface GuardMiddlewareOptions extends AdapterOptions {
  /**
   * What a call the policy sends to a human does: `'result'` refuses it with `ERR_GUARD_APPROVAL_REQUIRED` (or
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

type Invocable = {
  readonly name: string;
  readonly description?: unknown;
  readonly schema?: unknown;
  _call(arg: unknown, runManager?: unknown, config?: unknown): unknown;
  call(arg: unknown, config?: unknown): unknown;
};

// A LangChain tool (tool(), DynamicStructuredTool, StructuredTool, DynamicTool) whose body can be reached
// without LangChain parsing the input again.
function isInvocable(tool: unknown): tool is Invocable {
  const t = tool as Partial<Invocable> | null | undefined;
  return typeof t?._call === 'function' && typeof t.call === 'function' && typeof t.name === 'string';
}

function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  const s = (value as { '~standard'?: { version?: unknown; validate?: unknown } } | null)?.['~standard'];
  return typeof s === 'object' && s !== null && s.version === 1 && typeof s.validate === 'function';
}

// A JSON Schema tool is validated by the guard with LangChain's own validator (@cfworker/json-schema, the
// one its tools use, same draft), output = input: the guard validates once and audits invalid input.
function jsonSchemaOf(schema: unknown): StandardSchemaV1 {
  const validator = new Validator((typeof schema === 'object' && schema !== null ? schema : {}) as never);
  return {
    '~standard': {
      version: 1,
      vendor: 'agentguard-langchain',
      validate: (value) => {
        const result = validator.validate(value);
        if (result.valid) return { value };
        const issues = result.errors.slice(0, 20).map((e) => ({ message: `${e.keywordLocation}: ${e.error}` }));
        return { issues: issues.length > 0 ? issues : [{ message: 'does not match the tool schema' }] };
      },
    },
  };
}

/**
 * The tool as it runs through the handler: the same tool (name, response format, callbacks), except that
 * LangChain's parse of the input is skipped and its body gets `value`, the very value the guard decided on.
 * Letting LangChain parse again would apply the schema a second time (a transform twice, defaults added
 * after the decision) or run the body on something other than what was decided.
 */
function runningOn(tool: Invocable, value: unknown): Invocable {
  const body = tool._call;
  return Object.create(tool, {
    // The empty JSON Schema accepts any input (a fresh object: the validator annotates the schema it is given).
    schema: { value: {}, enumerable: true },
    _call: {
      value(this: Invocable, _parsed: unknown, runManager?: unknown, config?: unknown) {
        return body.call(this, value, runManager, config);
      },
    },
  }) as Invocable;
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
  const facts = new Map(Object.entries(options.tools ?? {}));
  for (const [name, fact] of facts) checkRisk((fact as GuardedToolFacts | null)?.risk, `tools.${name}.risk`);
  // One guarded tool per LangChain tool object; the handler of the call in flight is found by call id.
  const guardedByTool = new WeakMap<object, AnyGuardedTool>();
  const pending = new Map<string, { readonly tool: string; run(args: unknown): Promise<HandlerResult> }>();

  function guardedFor(tool: Invocable): AnyGuardedTool {
    const existing = guardedByTool.get(tool);
    if (existing !== undefined) return existing;
    const name = tool.name;
    const fact = facts.get(name);
    const created = guard.guard({
      name,
      ...(typeof tool.description === 'string' ? { description: tool.description } : {}),
      // The tool's own schema decides the value (its output is what is decided on and what runs).
      schema: isStandardSchema(tool.schema) ? tool.schema : jsonSchemaOf(tool.schema),
      ...(fact?.tags === undefined ? {} : { tags: fact.tags }),
      ...(fact?.labels === undefined ? {} : { labels: fact.labels }),
      ...(fact?.timeoutMs === undefined ? {} : { timeoutMs: fact.timeoutMs }),
      ...(fact?.sensitive === undefined ? {} : { sensitive: fact.sensitive }),
      ...(fact?.risk === undefined ? {} : { risk: fact.risk }),
      execute: (args, ctx) => {
        const run = pending.get(ctx.callId);
        // The call in flight under this id must be of this very tool, or nothing runs.
        if (run === undefined || run.tool !== name) throw new Error(`no call ${ctx.callId} of ${name} in flight`);
        return run.run(args);
      },
    }) as AnyGuardedTool;
    guardedByTool.set(tool, created);
    return created;
  }

  // A refusal no guard decided (the call never reached one), as the model sees every refusal.
  function refused(request: Request, callId: string, denial: Denial): HandlerResult {
    const settled = settle({ ok: false, callId, denial }, normalized);
    if (settled.ok) throw new Error('unreachable');
    return new ToolMessage({
      content: denialText(settled.denial),
      tool_call_id: callId,
      name: typeof request.toolCall.name === 'string' ? request.toolCall.name : '',
      status: 'error',
    }) as HandlerResult;
  }

  return createMiddleware({
    name: 'AgentGuard',
    wrapToolCall: async (request, handler) => {
      const callId = request.toolCall.id ?? crypto.randomUUID();
      const name: unknown = request.toolCall.name;
      const tool: unknown = request.tool;
      // Fail closed before any guard: a name no guard can hold, a tool the agent does not have (or one that
      // an earlier middleware swapped for another), a tool whose body cannot be run on the decided value.
      if (typeof name !== 'string' || !isGuardableName(name) || tool === undefined || tool === null) {
        return refused(request, callId, unknownToolDenial(name, callId));
      }
      if (!isInvocable(tool) || tool.name !== name) {
        const reason = `the tool named ${name} cannot be run by the guard (a tool(), DynamicStructuredTool or StructuredTool of that name is expected)`;
        return refused(request, callId, adapterDenial({ code: 'ERR_GUARD_POLICY_DENIED', reason, tool: name, callId }));
      }
      // One call per id at a time: the guard's execute finds the handler by call id, so a second call under
      // the same id (a model repeating an id in one turn) must never reach, or replace, the first one's.
      if (pending.has(callId)) {
        const reason = `call id ${callId} is already in flight`;
        return refused(request, callId, adapterDenial({ code: 'ERR_GUARD_POLICY_DENIED', reason, tool: name, callId }));
      }
      const guarded = guardedFor(tool);
      pending.set(callId, {
        tool: name,
        run: async (value) => handler(Object.assign({}, request, { tool: runningOn(tool, value) as never })),
      });
      try {
        const args = request.toolCall.args;
        let outcome = awaiting.has(callId) ? undefined : await guarded.safeRun(args, { callId });
        if (approvals === 'interrupt' && (outcome === undefined || needsApproval(outcome))) {
          awaiting.add(callId);
          const denial = outcome?.ok === false ? outcome.denial : undefined;
          // The arguments the decision was made on, which the human sees and the approval must bind.
          const decided = decidedArgs(await guarded.check(args, { callId }), args);
          const ask: ApprovalInterrupt = {
            agentguard: 'approval_required',
            tool: name,
            callId,
            args: decided,
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
            outcome = await refuseOutcome(guarded, args, callId, no);
          }
        }
        const settled = settle(outcome ?? (await guarded.safeRun(args, { callId })), normalized);
        if (settled.ok) return settled.value as HandlerResult;
        return new ToolMessage({
          content: denialText(settled.denial),
          tool_call_id: callId,
          name,
          status: 'error',
        });
      } finally {
        pending.delete(callId);
      }
    },
  });

  // The human said no: recorded as approval.refused (and the call id kept refused) by the guard. A refusal
  // that cannot be recorded is still a refusal, reported with the guard's own Denial, never a raw error.
  async function refuseOutcome(
    guarded: AnyGuardedTool,
    args: unknown,
    callId: string,
    no: RejectDecision,
  ): Promise<GuardOutcome<unknown>> {
    try {
      const denial = await refuseCall({ guarded, reject }, args, {
        callId,
        ...(typeof no.message === 'string' ? { reason: no.message } : {}),
        ...(no.approval === undefined ? {} : { approval: no.approval }),
      });
      return { ok: false, callId, denial };
    } catch (error) {
      const denial = (error as { denial?: Denial } | null)?.denial;
      if (denial !== undefined && typeof denial === 'object') return { ok: false, callId, denial };
      return {
        ok: false,
        callId,
        denial: adapterDenial({
          code: 'ERR_GUARD_AUDIT_FAILED',
          reason: 'the refusal could not be recorded',
          tool: guarded.name,
          callId,
        }),
      };
    }
  }
}

function needsApproval(outcome: GuardOutcome<unknown>): boolean {
  return !outcome.ok && outcome.denial.code === 'ERR_GUARD_APPROVAL_REQUIRED';
}
