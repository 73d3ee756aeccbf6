import { type BaseMessage, ToolMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { createAgent, FakeToolCallingModel } from 'langchain';
import { createGuardMiddleware, toLangChainTool } from '../../../src/langchain/index.js';
import type { Harness, ScriptedCall } from '../fixture.js';

function fakeModel(calls: readonly ScriptedCall[]) {
  // One turn with every call (parallel tool calls), then a turn with none, which ends the run.
  return new FakeToolCallingModel({
    toolCalls: [calls.map((c) => ({ name: c.name, args: c.args as Record<string, unknown>, id: c.id })), []],
  });
}

function toolResults(messages: readonly BaseMessage[]): Map<string, string> {
  const seen = new Map<string, string>();
  for (const m of messages) {
    if (ToolMessage.isInstance(m))
      seen.set(m.tool_call_id, typeof m.content === 'string' ? m.content : JSON.stringify(m.content));
  }
  return seen;
}

/** Guarded tools handed to `createAgent` as LangChain tools. */
export const langchainTools: Harness = {
  name: 'langchain (toLangChainTool)',
  async run(fx, calls) {
    const agent = createAgent({
      model: fakeModel(calls),
      tools: Object.values(fx.tools).map((t) => toLangChainTool(t)),
    });
    const result = await agent.invoke({ messages: [{ role: 'user', content: 'go' }] });
    return toolResults(result.messages);
  },
};

/** Plain LangChain tools, guarded by the `wrapToolCall` middleware. */
export const langchainMiddleware: Harness = {
  name: 'langchain (createGuardMiddleware)',
  async run(fx, calls) {
    const tools = Object.entries(fx.specs).map(([name, spec]) =>
      tool(
        async (args: unknown, config) =>
          (spec.execute as (a: unknown, c: { signal: AbortSignal }) => unknown)(args, {
            signal: config?.signal ?? new AbortController().signal,
          }),
        { name, description: spec.description, schema: spec.schema },
      ),
    );
    const facts = Object.fromEntries(
      Object.entries(fx.specs).map(([name, spec]) => [
        name,
        {
          ...('tags' in spec ? { tags: spec.tags } : {}),
          ...('timeoutMs' in spec ? { timeoutMs: spec.timeoutMs } : {}),
        },
      ]),
    );
    const agent = createAgent({
      model: fakeModel(calls),
      tools,
      middleware: [createGuardMiddleware(fx.guard, { tools: facts })],
    });
    const result = await agent.invoke({ messages: [{ role: 'user', content: 'go' }] });
    return toolResults(result.messages);
  },
};
