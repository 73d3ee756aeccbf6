import { Agent, run, setTracingDisabled } from '@openai/agents';
import { assistantMessage, functionCall, ScriptedModel } from '@openai/agents/testing';
import { toAgentsTools } from '../../../src/openai-agents/index.js';
import type { Harness } from '../fixture.js';

setTracingDisabled(true);

/** `@openai/agents` with its ScriptedModel: one turn of parallel function calls, then a final message. */
export const openaiAgents: Harness = {
  name: 'openai-agents (toAgentsTools)',
  async run(fx, calls) {
    const model = new ScriptedModel([
      calls.map((c) => functionCall(c.name, c.args as Record<string, unknown>, { callId: c.id })),
      [assistantMessage('done')],
    ]);
    const agent = new Agent({
      name: 'conformance',
      instructions: 'use the tools',
      model,
      tools: toAgentsTools(Object.values(fx.tools)),
    });
    await run(agent, 'go');
    const input = model.calls[1]?.request.input;
    const seen = new Map<string, string>();
    for (const item of Array.isArray(input) ? input : []) {
      const i = item as { type?: string; callId?: string; output?: { type: string; text?: string } | string };
      if (i.type !== 'function_call_result' || i.callId === undefined) continue;
      seen.set(i.callId, typeof i.output === 'string' ? i.output : (i.output?.text ?? JSON.stringify(i.output)));
    }
    return seen;
  },
};
