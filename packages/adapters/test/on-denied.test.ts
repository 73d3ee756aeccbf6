import { GuardError } from '@agentguard/core';
import { Agent, run, setTracingDisabled } from '@openai/agents';
import { assistantMessage, functionCall, ScriptedModel } from '@openai/agents/testing';
import { describe, expect, it } from 'vitest';
import { toAiSdkTool } from '../src/ai-sdk/index.js';
import { toLangChainTool } from '../src/langchain/index.js';
import { guardMcpClient } from '../src/mcp/index.js';
import { createToolDispatcher } from '../src/openai/index.js';
import { toAgentsTool } from '../src/openai-agents/index.js';
import { createFixture } from './conformance/fixture.js';

setTracingDisabled(true);

// With onDenied: 'throw' every adapter surfaces a refusal as a GuardError instead of a tool result.
describe("onDenied: 'throw'", () => {
  it('LangChain: invoking the tool rejects with the GuardError; the tool never ran', async () => {
    const fx = createFixture();
    const tool = toLangChainTool(fx.tools.delete_user, { onDenied: 'throw' });
    const error = await tool
      .invoke({ type: 'tool_call', name: 'delete_user', id: 't1', args: { id: 'u1' } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GuardError);
    expect((error as GuardError).denial).toMatchObject({ code: 'ERR_GUARD_POLICY_DENIED', callId: 't1' });
    expect(fx.ran).toEqual({});
  });

  it('OpenAI dispatcher: the call rejects with the GuardError', async () => {
    const fx = createFixture();
    const dispatcher = createToolDispatcher([fx.tools.delete_user], { onDenied: 'throw' });
    await expect(dispatcher.dispatch('delete_user', '{"id":"u1"}', 't2')).rejects.toMatchObject({
      code: 'ERR_GUARD_POLICY_DENIED',
    });
    await expect(dispatcher.dispatch('no_such_tool', '{}', 't3')).rejects.toMatchObject({
      code: 'ERR_GUARD_POLICY_DENIED',
    });
    expect(fx.ran).toEqual({});
  });

  it('Agents SDK: the run rejects with the GuardError (errorFunction off) and the tool never ran', async () => {
    const fx = createFixture();
    const model = new ScriptedModel([
      [functionCall('delete_user', { id: 'u1' }, { callId: 't5' })],
      [assistantMessage('done')],
    ]);
    const agent = new Agent({
      name: 'a',
      instructions: 'x',
      model,
      tools: [toAgentsTool(fx.tools.delete_user, { onDenied: 'throw' })],
    });
    const error = await run(agent, 'go').catch((e: unknown) => e);
    // The SDK wraps it in a ToolCallError whose `error` is ours.
    const guardError = (error as { error?: unknown }).error;
    expect(guardError).toBeInstanceOf(GuardError);
    expect((guardError as GuardError).denial.callId).toBe('t5');
    expect(fx.ran).toEqual({});
  });

  it('AI SDK: execute rejects with the GuardError', async () => {
    const fx = createFixture();
    const tool = toAiSdkTool(fx.tools.delete_user, { onDenied: 'throw' });
    const run = tool.execute?.({ id: 'u1' } as never, { toolCallId: 't4', messages: [] });
    await expect(run).rejects.toBeInstanceOf(GuardError);
    expect(fx.ran).toEqual({});
  });

  it('MCP client: callTool rejects with the GuardError and nothing reaches the server', async () => {
    const fx = createFixture();
    let calls = 0;
    const client = {
      listTools: async () => ({ tools: [{ name: 'delete_user', inputSchema: { type: 'object' } }] }),
      callTool: async () => {
        calls++;
        return { content: [] };
      },
    };
    const guarded = guardMcpClient(client, { guard: fx.guard, identity: fx.identity, onDenied: 'throw' });
    await expect(guarded.callTool({ name: 'delete_user', arguments: { id: 'u1' } })).rejects.toBeInstanceOf(GuardError);
    expect(calls).toBe(0);
  });
});
