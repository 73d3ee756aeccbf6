import type { Denial, GuardedTool } from '@agentguard/core';
import { jsonSchema, type Tool, tool } from 'ai';
import type { ApproveFunction } from '../common/approvals.js';
import type { AdapterOptions } from '../common/options.js';
import type { RejectFunction } from '../common/refusals.js';
import { type AnyGuardedTool, indexTools } from '../common/tools.js';
import { buildAiSdkTool } from './build.js';

/** Options of {@link toAiSdkTool}. */
export interface AiSdkToolOptions extends AdapterOptions {
  /**
   * Maps the policy's `require_approval` onto the SDK's tool approval (`needsApproval`, honoured by ai 6 and 7):
   * the SDK asks for approval (a `tool-approval-request` part) only for calls the policy sends to a human.
   * When a `tool-approval-response` with `approved: true` comes back, possibly from a client, this function
   * signs the approval on the server and the guard verifies it; the client's flag alone never runs the tool.
   * `approved: false` means the tool never runs and the model sees the SDK's `execution-denied` result; pass
   * the incoming messages to {@link refuseDeniedApprovals} first so that refusal is audited too.
   * @default undefined (no approval step: the guard's own `approvals.approver`, if any, decides)
   */
  readonly approve?: ApproveFunction;
  /**
   * Signs a human's refusal on the server when {@link refuseDeniedApprovals} records it, so the audit names
   * the approver. Without it the refusal is recorded unsigned (a refusal needs no proof).
   * @default undefined (unsigned refusals)
   */
  readonly reject?: RejectFunction;
}

const helpers = { tool, jsonSchema };

/**
 * The AI SDK tool a guarded tool becomes: its input is the guarded tool's argument type, its output the
 * tool's result or, for a refused call, the {@link Denial} the model sees (never with `onDenied: 'throw'`).
 */
export type AiSdkToolOf<T> = T extends GuardedTool<infer A, infer R> ? Tool<A, R | Denial> : never;

/**
 * Turns a guarded tool into a Vercel AI SDK tool (`tool()` with an `execute`), for `ai` 6 and 7. The input
 * schema is handed to the SDK as JSON Schema without a validator, so the guard validates once and audits
 * invalid input; the model's tool-call id becomes the call id. A refusal is the tool's result, the Denial
 * JSON object, which the SDK sends to the model as a JSON tool result; the tool never runs.
 *
 * @param guarded - a tool from `createGuard().guard(spec)`.
 * @param options - see {@link AiSdkToolOptions}. With `onDenied: 'throw'` the SDK reports a tool error.
 * @returns an AI SDK `Tool` typed from the guarded tool ({@link AiSdkToolOf}).
 * @throws TypeError on misuse.
 * @example
 * ```ts
 * const result = await generateText({ model, tools: { search: toAiSdkTool(search) }, stopWhen: stepCountIs(5), prompt });
 * ```
 */
export function toAiSdkTool<T extends AnyGuardedTool>(guarded: T, options?: AiSdkToolOptions): AiSdkToolOf<T> {
  // The SDK hands `execute` the model's input unvalidated; the guard validates it, so the types hold for what runs.
  return buildAiSdkTool(helpers, guarded, options) as AiSdkToolOf<T>;
}

/**
 * Turns guarded tools into the `tools` record of `generateText` / `streamText`, keyed by tool name.
 *
 * @throws TypeError on misuse or duplicate names.
 */
export function toAiSdkTools<T extends AnyGuardedTool>(
  tools: readonly T[],
  options?: AiSdkToolOptions,
): Record<string, AiSdkToolOf<T>> {
  // No prototype: a model naming `constructor` or `toString` finds no tool, and a tool named `__proto__`
  // is an own key like any other (assignment would have set the record's prototype instead).
  const record = Object.create(null) as Record<string, AiSdkToolOf<T>>;
  for (const [name, t] of indexTools(tools)) {
    Object.defineProperty(record, name, { value: toAiSdkTool(t, options), enumerable: true, writable: true });
  }
  return record;
}
