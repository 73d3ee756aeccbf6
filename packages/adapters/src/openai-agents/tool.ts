import { type FunctionTool, tool } from '@openai/agents';
import { type AdapterOptions, normalizeAdapterOptions } from '../shared/options.js';
import { settle, settledText } from '../shared/outcome.js';
import { type AnyGuardedTool, checkGuardedTool, indexTools, parametersOf, parseArguments } from '../shared/tools.js';

/** Options of {@link toAgentsTool}. */
export interface AgentsToolOptions extends AdapterOptions {}

type NonStrictParameters = {
  type: 'object';
  properties: Record<string, Record<string, unknown>>;
  required: string[];
  additionalProperties: true;
};

// The Agents SDK's non-strict JSON Schema: the SDK then only parses the JSON text and hands the value on,
// so the guard is the one place arguments are validated (and a refusal of bad ones is audited).
function nonStrictParameters(guarded: AnyGuardedTool): NonStrictParameters {
  const schema = parametersOf(guarded);
  return {
    ...schema,
    type: 'object',
    properties: (schema.properties as NonStrictParameters['properties'] | undefined) ?? {},
    required: (schema.required as string[] | undefined) ?? [],
    additionalProperties: true,
  };
}

/**
 * Turns a guarded tool into an `@openai/agents` function tool. Every call the runner makes goes through
 * the guard under the model's call id; a refusal reaches the model as the tool's output, the Denial JSON
 * (the SDK would replace a thrown error's text with a generic message), and the tool never runs.
 *
 * @param guarded - a tool from `createGuard().guard(spec)`.
 * @param options - see {@link AgentsToolOptions}. With `onDenied: 'throw'` the `GuardError` rejects the run.
 * @returns a `FunctionTool` for `new Agent({ tools })`.
 * @throws TypeError on misuse.
 * @example
 * ```ts
 * const agent = new Agent({ name: 'support', instructions, tools: [toAgentsTool(ag.guard({ name: 'refund', schema, execute }))] });
 * ```
 */
export function toAgentsTool(guarded: AnyGuardedTool, options?: AgentsToolOptions): FunctionTool {
  checkGuardedTool(guarded);
  const normalized = normalizeAdapterOptions(options);
  const created = tool({
    name: guarded.name,
    description: guarded.description ?? '',
    strict: false,
    parameters: nonStrictParameters(guarded),
    ...(normalized.onDenied === 'throw' ? { errorFunction: null } : {}),
    execute: async (input, _context, details) => {
      const callId = details?.toolCall?.callId;
      const outcome = await guarded.safeRun(parseArguments(input), {
        ...(callId === undefined ? {} : { callId }),
        ...(details?.signal === undefined ? {} : { signal: details.signal }),
      });
      return settledText(settle(outcome, normalized));
    },
  });
  return created as unknown as FunctionTool;
}

/**
 * Turns guarded tools into `@openai/agents` function tools (see {@link toAgentsTool}).
 *
 * @throws TypeError on misuse or duplicate names.
 */
export function toAgentsTools(tools: readonly AnyGuardedTool[], options?: AgentsToolOptions): FunctionTool[] {
  return [...indexTools(tools).values()].map((t) => toAgentsTool(t, options));
}
