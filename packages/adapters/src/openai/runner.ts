import { type AdapterOptions, normalizeAdapterOptions } from '../common/options.js';
import { settle, settledText } from '../common/outcome.js';
import { type AnyGuardedTool, indexTools, parametersOf, parseArguments } from '../common/tools.js';

/** A tool for the SDK's `chat.completions.runTools` helper (`RunnableToolFunctionWithoutParse`). */
export interface RunnableGuardedTool {
  readonly type: 'function';
  readonly function: {
    readonly name: string;
    readonly description: string;
    readonly parameters: Record<string, unknown>;
    readonly strict: false;
    /** Receives the raw argument text; returns the result text or the Denial JSON. */
    readonly function: (args: string) => Promise<string>;
  };
}

/**
 * Drop-in tools for the `openai` SDK's tool-running helper (`client.chat.completions.runTools`). The
 * helper never gives its callback the tool call id, so each call gets a fresh call id in the envelope and
 * audit log; use {@link createToolDispatcher} in a hand-written loop when audit records must carry the
 * model's call ids. A refusal is returned as the Denial JSON (a thrown error would reject the whole run).
 *
 * @param tools - guarded tools (unique names).
 * @param options - see {@link AdapterOptions}.
 * @returns the `tools` array of a `runTools` request.
 * @throws TypeError on misuse or duplicate names.
 * @example
 * ```ts
 * const runner = client.chat.completions.runTools({ model, messages, tools: toRunnableTools([search]) });
 * const answer = await runner.finalContent();
 * ```
 */
export function toRunnableTools(tools: readonly AnyGuardedTool[], options?: AdapterOptions): RunnableGuardedTool[] {
  const normalized = normalizeAdapterOptions(options);
  return [...indexTools(tools).values()].map((tool) => ({
    type: 'function',
    function: {
      name: tool.name,
      description: tool.description ?? '',
      parameters: parametersOf(tool),
      strict: false,
      function: async (args: string) => settledText(settle(await tool.safeRun(parseArguments(args)), normalized)),
    },
  }));
}
