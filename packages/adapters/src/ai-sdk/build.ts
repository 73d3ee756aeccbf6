import type { Denial } from '@agentguard/core';
import type { jsonSchema, Tool, tool } from 'ai';
import { type AdapterOptions, normalizeAdapterOptions } from '../shared/options.js';
import { settle } from '../shared/outcome.js';
import { type AnyGuardedTool, checkGuardedTool, parametersOf } from '../shared/tools.js';

/**
 * @internal The two AI SDK helpers the adapter uses, injected so that one implementation serves every major
 * (`ai` 6 and 7 export both with the same meaning; the conformance suite runs it on each).
 */
export interface AiSdkHelpers {
  readonly tool: typeof tool;
  readonly jsonSchema: typeof jsonSchema;
}

/** @internal See `toAiSdkTool`. */
export function buildAiSdkTool(
  ai: AiSdkHelpers,
  guarded: AnyGuardedTool,
  options?: AdapterOptions,
): Tool<unknown, unknown> {
  checkGuardedTool(guarded);
  const normalized = normalizeAdapterOptions(options);
  return ai.tool<unknown, unknown>({
    ...(guarded.description === undefined ? {} : { description: guarded.description }),
    // No validator: the guard validates once with the tool's own schema, and audits invalid input.
    inputSchema: ai.jsonSchema<unknown>(parametersOf(guarded) as Parameters<typeof jsonSchema>[0]),
    execute: async (input, { toolCallId, abortSignal }): Promise<unknown> => {
      const outcome = await guarded.safeRun(input, {
        callId: toolCallId,
        ...(abortSignal === undefined ? {} : { signal: abortSignal }),
      });
      const settled = settle(outcome, normalized);
      return settled.ok ? settled.value : (settled.denial satisfies Denial);
    },
  });
}
