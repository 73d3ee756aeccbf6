import {
  type CallOptions,
  type Denial,
  type DenialFields,
  denial,
  GuardError,
  type GuardOutcome,
} from '@agentguard/core';
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
    try {
      return String(value);
    } catch {
      return textOf(value);
    }
  }
}

/** @internal The text of a settled call. */
export function settledText(settled: Settled<unknown>): string {
  return settled.ok ? resultText(settled.value) : denialText(settled.denial);
}

/** @internal Longest reason an adapter's own Denial carries (the guard bounds its own); cut with a marker. */
export const MAX_ADAPTER_REASON_CHARS = 512;
const MAX_NAME_CHARS = 128;
const CUT = '… [truncated]';

/** @internal `text` cut to `max` characters (never splitting a surrogate pair), with a visible marker. */
export function boundText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - CUT.length);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}${CUT}`;
}

/**
 * @internal A value from a framework or model as text, without running any of its code (a name or id may be
 * anything: an object whose `toString` throws must not turn a refusal into a crash).
 */
export function textOf(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'undefined':
      return '';
    default:
      return value === null ? 'null' : `[${typeof value}]`;
  }
}

function boundedString(value: unknown, max: number): string {
  return boundText(textOf(value), max);
}
/**
 * @internal A Denial an adapter makes itself, for calls no guard answers (an unknown tool, a name no guard can
 * hold, a duplicate call id, a server refusing an envelope): core's one constructor (`denial`), with the reason
 * bounded to {@link MAX_ADAPTER_REASON_CHARS}. Every other Denial comes from the guard and is forwarded as it is.
 */
export function adapterDenial(fields: Omit<DenialFields, 'reason'> & { readonly reason: string }): Denial {
  return denial(fields, { maxReasonChars: MAX_ADAPTER_REASON_CHARS });
}

/**
 * @internal A denial for a call no guarded tool answers (fail closed: an unknown tool never runs). Not
 * audited, since no guard owns it; the framework's own loop would otherwise fail on it anyway.
 */
export function unknownToolDenial(tool: unknown, callId: unknown): Denial {
  const name = boundedString(tool, MAX_NAME_CHARS);
  return adapterDenial({
    code: 'ERR_GUARD_POLICY_DENIED',
    reason: `no guarded tool named ${JSON.stringify(name)}`,
    tool: name,
    callId,
  });
}

/**
 * @internal The call options an adapter passes with a framework's call: only the members it has. Built member by
 * member: a literal of conditional spreads makes a new hidden class per call on Node 20 (docs/contributing.md).
 */
export function callOptionsOf(parts: {
  readonly callId?: string | undefined;
  readonly approval?: unknown;
  readonly signal?: AbortSignal | undefined;
}): CallOptions {
  const options: { callId?: string; approval?: unknown; signal?: AbortSignal } = {};
  if (parts.callId !== undefined) options.callId = parts.callId;
  if (parts.approval !== undefined && parts.approval !== null) options.approval = parts.approval;
  if (parts.signal !== undefined) options.signal = parts.signal;
  return options;
}
