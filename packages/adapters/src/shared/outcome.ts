import { type Denial, GuardError, type GuardOutcome } from '@agentguard/core';
import type { NormalizedAdapterOptions } from './options.js';

/** @internal A settled call: the tool's value, or the denial the model is to see. */
export type Settled<R> = { readonly ok: true; readonly value: R } | { readonly ok: false; readonly denial: Denial };

/**
 * @internal Applies `onDenied`: returns the outcome as a value, or throws a `GuardError` for a refusal.
 * @throws GuardError (the denial's code) when `onDenied` is `'throw'` and the call was refused.
 */
export function settle<R>(outcome: GuardOutcome<R>, options: NormalizedAdapterOptions): Settled<R> {
  if (outcome.ok) return { ok: true, value: outcome.value };
  if (options.onDenied === 'throw') {
    throw new GuardError(outcome.denial, { cause: (outcome as { cause?: unknown }).cause });
  }
  return { ok: false, denial: outcome.denial };
}

/** @internal The text a model sees for a denial: the Denial JSON, the same in every framework. */
export function denialText(denial: Denial): string {
  return JSON.stringify(denial);
}

/**
 * @internal The text a model sees for a tool value: strings as they are, anything else as JSON
 * (the convention of the OpenAI SDK's tool runner and of LangChain).
 */
export function resultText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** @internal The text of a settled call. */
export function settledText(settled: Settled<unknown>): string {
  return settled.ok ? resultText(settled.value) : denialText(settled.denial);
}

/**
 * @internal A denial for a call no guarded tool answers (fail closed: an unknown tool never runs). Not
 * audited, since no guard owns it; the framework's own loop would otherwise fail on it anyway.
 */
export function unknownToolDenial(tool: string, callId: string): Denial {
  return Object.freeze({
    agentguard: 'refused',
    outcome: 'denied',
    code: 'ERR_POLICY_DENIED',
    reason: `no guarded tool named ${JSON.stringify(tool.slice(0, 128))}`,
    tool: tool.slice(0, 128),
    callId,
    ruleId: null,
  });
}
