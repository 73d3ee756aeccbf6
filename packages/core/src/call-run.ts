import { digestArgs } from '@agentguard/attestation';
import type { Decision } from '@agentguard/policy';
import type { CallArgs } from './args.js';
import type { GuardContext, GuardedToolDef } from './context.js';
import { signOwnEnvelope } from './envelope.js';
import { emitSafely } from './events.js';
import { type CallScope, decisionRecord } from './records.js';
import type { StandardSchemaV1 } from './standard-schema.js';
import { checkResultSize, resultDigest, withCause } from './outcome.js';
import { textOf } from './text.js';
import { runWithTimeout, stopKind } from './timeout.js';
import type { GuardOutcome } from './guarded-tool.js';
import type { CallOptions, ToolContext } from './types.js';

/** @internal An allowed call, ready to run: what was decided on, and by which decision. */
export interface AllowedCall {
  readonly decision: Decision;
  /** `value` is the run value: the schema's output, frozen; decided on, approved, recorded, and now run. */
  readonly args: CallArgs;
  readonly envelope: unknown;
  /** The policy hash the call was decided under (what an envelope signed on demand binds). */
  readonly policyHash: string;
}

/**
 * @internal Step 5 of a call: runs the tool, bounded in time, with the args bound to the envelope
 * re-checked right before use, then records how it ended.
 */
export async function runAllowed<S extends StandardSchemaV1, R>(
  ctx: GuardContext,
  tool: GuardedToolDef<S, R>,
  scope: CallScope,
  call: AllowedCall,
  callOptions: CallOptions,
): Promise<GuardOutcome<Awaited<R>>> {
  const { events } = ctx;
  const { decision, envelope } = call;
  const { value: args, argsDigest } = call.args;
  const { callId, agent, base, refuse, record } = scope;
  const timeoutMs = Math.min(tool.timeoutMs, decision.obligations?.timeoutMs ?? tool.timeoutMs);
  const maxResultBytes = decision.obligations?.maxResultBytes;
  const started = performance.now();
  // An envelope is signed on demand only while the tool runs: one asked for after the call ended (a tool that
  // kept its context past a timeout, a new policy, a suspension) would be a fresh authority for a settled call.
  let running = true;
  let value: Awaited<R>;
  try {
    // The tool receives the very value whose digest was decided, approved and recorded. The value is the
    // guard's own frozen copy, whose digest attestation remembers: this costs a lookup, not a canonicalisation.
    if (digestArgs(args) !== argsDigest) throw new Error('arguments changed after the decision');
    const runArgs = args as StandardSchemaV1.InferOutput<S>;
    value = (await runWithTimeout(
      (signal) =>
        tool.execute(
          runArgs,
          toolContext(callId, agent, signal, envelope, () =>
            running
              ? signOwnEnvelope(ctx, tool.name, callId, call.args.received, call.policyHash)
              : Promise.reject(new Error(`call ${callId} has ended: no envelope is signed for it any more`)),
          ),
        ),
      timeoutMs,
      callOptions.signal,
    )) as Awaited<R>;
    running = false;
    if (maxResultBytes !== undefined) checkResultSize(value, maxResultBytes);
  } catch (error) {
    running = false;
    const durationMs = performance.now() - started;
    const kind = stopKind(error);
    // What the log keeps of the error is always redacted; what the model sees follows `toolErrors`.
    const logged = kind === 'too-large' ? textOf(error) : `tool failed: ${textOf(error)}`;
    const mode = tool.toolErrors ?? ctx.toolErrors;
    const denial =
      kind === 'timeout'
        ? refuse('timeout', 'ERR_GUARD_TOOL_TIMEOUT', `tool did not finish within ${timeoutMs} ms`, decision.ruleId)
        : kind === 'aborted'
          ? refuse('aborted', 'ERR_GUARD_CALL_ABORTED', 'call aborted by the caller', decision.ruleId)
          : kind === 'too-large'
            ? refuse('failed', 'ERR_GUARD_RESULT_TOO_LARGE', logged, decision.ruleId)
            : mode === 'generic'
              ? refuse('failed', 'ERR_GUARD_TOOL_FAILED', toolFailedGeneric(callId), decision.ruleId)
              : refuse('failed', 'ERR_GUARD_TOOL_FAILED', logged, decision.ruleId, { verbatim: mode === 'verbatim' });
    try {
      await record('call.failed', {
        decision: decisionRecord(decision, ctx.text, tool.isolation),
        error: { code: denial.code, message: ctx.text.clean(kind === undefined ? logged : denial.reason) },
        durationMs,
      });
    } catch (auditError) {
      const lost = refuse(
        'failed',
        'ERR_GUARD_AUDIT_FAILED',
        `tool failed and the failure could not be audited: ${textOf(auditError)}`,
      );
      emitSafely(events, 'failed', base, { denial: lost, durationMs });
      return withCause({ ok: false, callId, denial: lost }, auditError);
    }
    emitSafely(events, 'failed', base, { denial, durationMs });
    return withCause({ ok: false, callId, denial }, error);
  }
  const durationMs = performance.now() - started;
  try {
    await record('call.completed', {
      decision: decisionRecord(decision, ctx.text, tool.isolation),
      resultDigest: resultDigest(value),
      durationMs,
    });
  } catch (error) {
    // The tool ran, but nothing durable says so: withhold the result rather than lose the record.
    const denial = refuse(
      'failed',
      'ERR_GUARD_AUDIT_FAILED',
      `tool ran but its outcome could not be audited: ${textOf(error)}`,
    );
    emitSafely(events, 'failed', base, { denial, durationMs });
    return { ok: false, callId, denial };
  }
  emitSafely(events, 'completed', base, { durationMs });
  return { ok: true, callId, value };
}

/** Where a tool context keeps the function behind its `signal` (own, not enumerable: a spread leaves it). */
const SIGNAL_SOURCE = Symbol('signal source');

/**
 * The one getter of every tool context's `signal`. A getter written in the context's literal would be a new
 * function per call, and V8 turns an object whose accessor differs from its hidden class's into a dictionary:
 * measured 0.9 µs per call on Node 20 (0.5 µs on Node 22), and the context and all it holds outlived the
 * young-generation collection meant to free them. One shared getter keeps one hidden class.
 */
const SIGNAL_GETTER: PropertyDescriptor = Object.freeze({
  get(this: { [SIGNAL_SOURCE]: () => AbortSignal }): AbortSignal {
    return this[SIGNAL_SOURCE]();
  },
  enumerable: true,
  configurable: true,
});

/**
 * The context a tool runs with. `signal` is a getter (enumerable, so a spread copies it): the abort
 * controller behind it is made only for a tool that reads it. `signEnvelope` signs only for a tool that
 * asks, once per call.
 */
function toolContext(
  callId: string,
  agent: string,
  signal: () => AbortSignal,
  envelope: unknown,
  sign: () => Promise<unknown>,
): ToolContext {
  let signed: Promise<unknown> | undefined;
  // Members in the order the literal once had them (callId, agent, signal, signEnvelope), `signal` as configurable.
  const context: Record<string, unknown> = { callId, agent };
  Object.defineProperty(context, SIGNAL_SOURCE, { value: signal });
  Object.defineProperty(context, 'signal', SIGNAL_GETTER);
  Object.defineProperty(context, 'signEnvelope', {
    value: (): Promise<unknown> => {
      if (envelope !== undefined) return Promise.resolve(envelope);
      signed ??= sign();
      return signed;
    },
    writable: true,
    enumerable: true,
    configurable: true,
  });
  if (envelope !== undefined) context.envelope = envelope;
  return context as unknown as ToolContext;
}

/** The text a model sees of a tool error under `toolErrors: 'generic'`. */
function toolFailedGeneric(callId: string): string {
  return `tool failed (details withheld; see the audit log, call ${callId})`;
}
