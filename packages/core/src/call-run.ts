import { digestArgs } from '@agentguard/attestation';
import type { Decision } from '@agentguard/policy';
import type { GuardContext, GuardedToolDef } from './context.js';
import { emitSafely } from './events.js';
import type { CallScope } from './records.js';
import type { StandardSchemaV1 } from './standard-schema.js';
import { checkResultSize, decisionRecord, message, resultDigest, withCause } from './support.js';
import { runWithTimeout } from './timeout.js';
import type { CallOptions, GuardOutcome } from './types.js';

/** @internal An allowed call, ready to run: what was decided on, and by which decision. */
export interface AllowedCall<S extends StandardSchemaV1> {
  readonly decision: Decision;
  /** The frozen arguments the envelope and the decision are bound to. */
  readonly args: unknown;
  readonly argsDigest: string;
  /** The same arguments as the tool's schema output them. */
  readonly value: StandardSchemaV1.InferOutput<S>;
  readonly envelope: unknown;
}

/**
 * @internal Step 5 of a call: runs the tool, bounded in time, with the args bound to the envelope
 * re-checked right before use, then records how it ended.
 */
export async function runAllowed<S extends StandardSchemaV1, R>(
  ctx: GuardContext,
  tool: GuardedToolDef<S, R>,
  scope: CallScope,
  call: AllowedCall<S>,
  callOptions: CallOptions,
): Promise<GuardOutcome<Awaited<R>>> {
  const { events } = ctx;
  const { decision, args, argsDigest, envelope } = call;
  const { callId, agent, base, refuse, record } = scope;
  const timeoutMs = Math.min(tool.timeoutMs, decision.obligations?.timeoutMs ?? tool.timeoutMs);
  const maxResultBytes = decision.obligations?.maxResultBytes;
  const started = performance.now();
  let value: Awaited<R>;
  try {
    if (digestArgs(args) !== argsDigest) throw new Error('arguments changed after the decision');
    value = (await runWithTimeout(
      (signal) => tool.execute(call.value, { callId, agent, signal, ...(envelope === undefined ? {} : { envelope }) }),
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
        error: { code: denial.code, message: ctx.redactText(denial.reason) },
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
}
