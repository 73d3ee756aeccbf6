/**
 * `@agentguard/core/otel`: one OpenTelemetry span per guarded call, following the GenAI semantic
 * conventions for tool execution (`execute_tool {gen_ai.tool.name}`, kind INTERNAL), as a child of
 * the span active where the call was made. It listens to the guard's typed events and changes
 * nothing on the call path. `@opentelemetry/api` is an optional peer dependency, used for types
 * only: the spans come from the tracer you pass.
 */
import type { Attributes, Span, SpanOptions, Tracer } from '@opentelemetry/api';
import type { GuardEvents } from './events.js';
import type { Guard } from './guarded-tool.js';

/** Options of {@link instrumentGuard}. */
export interface InstrumentGuardOptions {
  /** Where spans come from, e.g. `trace.getTracer('agentguard')`; only `startSpan` is used. */
  readonly tracer: Pick<Tracer, 'startSpan'>;
  /**
   * Human-readable agent name, written as `gen_ai.agent.name` (`gen_ai.agent.id` is always the agent's did:key).
   * @default none (the attribute is left out)
   */
  readonly agentName?: string;
}

/** What {@link instrumentGuard} returns. */
export interface GuardInstrumentation {
  /** Stops listening; spans still open end with an error status (`error.type` `ERR_GUARD_INSTRUMENTATION_STOPPED`). */
  dispose(): void;
}

// @opentelemetry/api enum values, inlined so that the API package is needed for types only.
const SPAN_KIND_INTERNAL = 0; // SpanKind.INTERNAL
const STATUS_ERROR = 2; // SpanStatusCode.ERROR

type Listener<K extends keyof GuardEvents> = (...args: GuardEvents[K]) => void;

/**
 * Creates a span for every call a guard handles. Attributes (GenAI semantic conventions, then ours):
 *
 * | attribute | value |
 * | --- | --- |
 * | `gen_ai.operation.name` | `execute_tool` |
 * | `gen_ai.tool.name`, `gen_ai.tool.call.id`, `gen_ai.tool.type` | tool name, call id, `function` |
 * | `gen_ai.agent.id`, `gen_ai.agent.name` | the calling agent's did:key, `agentName` |
 * | `error.type` | the denial code (`ERR_GUARD_POLICY_DENIED`, `ERR_GUARD_TOOL_FAILED`, …) on refusals and failures |
 * | `agentguard.decision.effect`, `.rule_id`, `.mode`, `agentguard.policy.hash` | the policy decision |
 * | `agentguard.denial.code`, `agentguard.denial.outcome` | on refusals and failures |
 *
 * An allowed call's span starts when the policy allows it and ends when the tool's outcome is audited
 * (status unset on success, ERROR on failure, timeout or abort). A refused call gets a span that starts
 * and ends at the refusal, with status ERROR. Arguments and results are never written (they may hold
 * secrets; the audit log has their redacted form).
 *
 * @param guard - the guard whose `events` are observed.
 * @param options - see {@link InstrumentGuardOptions}.
 * @returns a handle to stop the instrumentation.
 * @throws TypeError when `guard.events` or `tracer.startSpan` is missing.
 * @example
 * ```ts
 * import { trace } from '@opentelemetry/api';
 * import { instrumentGuard } from '@agentguard/core/otel';
 * const g = createGuard({ identity, policy, audit });
 * instrumentGuard(g, { tracer: trace.getTracer('agentguard'), agentName: 'support-bot' });
 * ```
 */
export function instrumentGuard(guard: Pick<Guard, 'events'>, options: InstrumentGuardOptions): GuardInstrumentation {
  const events = guard?.events;
  if (typeof events?.on !== 'function') throw new TypeError('"guard" expected a guard with typed events');
  if (typeof options?.tracer?.startSpan !== 'function') {
    throw new TypeError('"tracer" expected an OpenTelemetry Tracer');
  }
  const { tracer, agentName } = options;
  if (agentName !== undefined && typeof agentName !== 'string') throw new TypeError('"agentName" expected a string');
  // Open spans by call id; a list, so that two calls sharing an id never end each other's span.
  const open = new Map<string, Span[]>();

  const start = (e: { callId: string; tool: string; agent: string }, extra: Attributes): Span => {
    const attributes: Attributes = {
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': e.tool,
      'gen_ai.tool.call.id': e.callId,
      'gen_ai.tool.type': 'function',
      'gen_ai.agent.id': e.agent,
      ...(agentName === undefined ? {} : { 'gen_ai.agent.name': agentName }),
      ...extra,
    };
    // No context argument: the tracer parents the span on the active one (the caller's, the framework's).
    const spanOptions: SpanOptions = { kind: SPAN_KIND_INTERNAL, attributes };
    return tracer.startSpan(`execute_tool ${e.tool}`, spanOptions);
  };
  const take = (callId: string): Span | undefined => {
    const spans = open.get(callId);
    const span = spans?.shift();
    if (spans?.length === 0) open.delete(callId);
    return span;
  };
  const fail = (span: Span, denial: { code: string; outcome: string; reason: string }): void => {
    span.setAttributes({
      'error.type': denial.code,
      'agentguard.denial.code': denial.code,
      'agentguard.denial.outcome': denial.outcome,
    });
    span.setStatus({ code: STATUS_ERROR, message: denial.reason });
  };

  const onAllowed: Listener<'allowed'> = (e) => {
    const { decision } = e;
    const span = start(e, {
      'agentguard.decision.effect': decision.effect,
      'agentguard.decision.mode': decision.mode,
      'agentguard.policy.hash': decision.policyHash,
      ...(decision.ruleId === null ? {} : { 'agentguard.decision.rule_id': decision.ruleId }),
      ...(decision.wouldDeny === true ? { 'agentguard.decision.would_deny': true } : {}),
    });
    const spans = open.get(e.callId);
    if (spans === undefined) open.set(e.callId, [span]);
    else spans.push(span);
  };
  const onDenied: Listener<'denied'> = (e) => {
    const { denial } = e;
    const span = start(e, {
      'agentguard.decision.effect': 'deny',
      ...(denial.ruleId === null ? {} : { 'agentguard.decision.rule_id': denial.ruleId }),
    });
    fail(span, denial);
    span.end();
  };
  const onCompleted: Listener<'completed'> = (e) => {
    take(e.callId)?.end();
  };
  const onFailed: Listener<'failed'> = (e) => {
    const span = take(e.callId);
    if (span === undefined) return;
    fail(span, e.denial);
    span.end();
  };

  events.on('allowed', onAllowed);
  events.on('denied', onDenied);
  events.on('completed', onCompleted);
  events.on('failed', onFailed);
  let disposed = false;
  return Object.freeze({
    dispose() {
      if (disposed) return;
      disposed = true;
      events.off('allowed', onAllowed);
      events.off('denied', onDenied);
      events.off('completed', onCompleted);
      events.off('failed', onFailed);
      for (const span of [...open.values()].flat()) {
        span.setAttribute('error.type', 'ERR_GUARD_INSTRUMENTATION_STOPPED');
        span.setStatus({ code: STATUS_ERROR, message: 'instrumentation stopped before the call ended' });
        span.end();
      }
      open.clear();
    },
  });
}
