import { type BaseMessage, ToolMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { Command, MemorySaver } from '@langchain/langgraph';
import { createAgent, FakeToolCallingModel } from 'langchain';
import { approvalInterrupts, createGuardMiddleware, toLangChainTool } from '../../../src/langchain/index.js';
import { type Fixture, type Harness, type ScriptedCall, signAs } from '../fixture.js';

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

function plainTools(fx: Fixture) {
  return Object.entries(fx.specs).map(([name, spec]) =>
    tool(
      async (args: unknown, config) =>
        (spec.execute as (a: unknown, c: { signal: AbortSignal }) => unknown)(args, {
          signal: config?.signal ?? new AbortController().signal,
        }),
      { name, description: spec.description, schema: spec.schema },
    ),
  );
}

function factsOf(fx: Fixture) {
  return Object.fromEntries(
    Object.entries(fx.specs).map(([name, spec]) => [
      name,
      {
        ...('tags' in spec ? { tags: spec.tags } : {}),
        ...('timeoutMs' in spec ? { timeoutMs: spec.timeoutMs } : {}),
      },
    ]),
  );
}

/** Plain LangChain tools, guarded by the `wrapToolCall` middleware. */
export const langchainMiddleware: Harness = {
  name: 'langchain (createGuardMiddleware)',
  async run(fx, calls) {
    const agent = createAgent({
      model: fakeModel(calls),
      tools: plainTools(fx),
      middleware: [createGuardMiddleware(fx.guard, { tools: factsOf(fx) })],
    });
    const result = await agent.invoke({ messages: [{ role: 'user', content: 'go' }] });
    return toolResults(result.messages);
  },
  // approvals: 'interrupt' pauses each call needing a human; the run resumes with, per interrupt, the signed
  // approval or a reject decision carrying the signed rejection.
  async runWithApprovals(fx, calls, rejected) {
    const agent = createAgent({
      model: fakeModel(calls),
      tools: plainTools(fx),
      middleware: [createGuardMiddleware(fx.guard, { tools: factsOf(fx), approvals: 'interrupt' })],
      checkpointer: new MemorySaver(),
    });
    const config = { configurable: { thread_id: `conformance-${crypto.randomUUID()}` } };
    const first = await agent.invoke({ messages: [{ role: 'user', content: 'go' }] }, config);
    const answers = await Promise.all(
      approvalInterrupts(first).map(async ({ id, value }) => {
        const call = { callId: value.callId, tool: value.tool, args: value.args };
        const answer = rejected.has(value.callId)
          ? { type: 'reject', approval: await signAs(fx, call, 'reject') }
          : await signAs(fx, call, 'approve');
        return [id, answer] as const;
      }),
    );
    const result = await agent.invoke(new Command({ resume: Object.fromEntries(answers) }), config);
    return toolResults(result.messages);
  },
};
