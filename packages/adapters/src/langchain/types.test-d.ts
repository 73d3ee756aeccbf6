import { createAuditLog, createMemorySink } from '@agentguard/audit';
import { createGuard } from '@agentguard/core';
import { createIdentity } from '@agentguard/identity';
import type { ToolMessage } from '@langchain/core/messages';
import type { ToolCall } from '@langchain/core/messages/tool';
import { tool } from '@langchain/core/tools';
import { createAgent, FakeToolCallingModel } from 'langchain';
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  type ApprovalInterrupt,
  type ApprovalInterruptEntry,
  approvalInterrupts,
  createGuardMiddleware,
  type GuardedLangChainTool,
  guardLangChainTool,
  isApprovalInterrupt,
  toLangChainTool,
} from './index.js';

// Run by `vitest --typecheck` (tsc): nothing here executes.
const ag = createGuard({
  identity: createIdentity(),
  policy: { version: 1, rules: [] },
  audit: createAuditLog({ sink: createMemorySink() }),
});
const weather = ag.guard({
  name: 'get_weather',
  schema: z.object({ city: z.string(), days: z.number().default(1) }),
  execute: ({ city }) => ({ city, celsius: 21 }),
});
declare const call: ToolCall;

describe('toLangChainTool keeps the guarded tool types', () => {
  it('types invoke like a native tool: a ToolMessage for a ToolCall, the text for arguments', () => {
    const lc = toLangChainTool(weather);
    expectTypeOf(lc).toEqualTypeOf<GuardedLangChainTool<{ city: string; days?: number | undefined }>>();
    expectTypeOf(lc.invoke(call)).not.toBeAny();
    expectTypeOf(lc.invoke(call)).toEqualTypeOf<Promise<ToolMessage>>();
    expectTypeOf(lc.invoke({ city: 'Oslo' })).toEqualTypeOf<Promise<string>>();
    expectTypeOf(lc.invoke({ city: 'Oslo' }, { toolCall: { id: 'c1', name: 'get_weather', args: {} } })).toEqualTypeOf<
      Promise<ToolMessage>
    >();
    // @ts-expect-error city must be a string
    void lc.invoke({ city: 1 });
    // @ts-expect-error a plain function is not a guarded tool
    toLangChainTool(() => 1);
  });

  it("types guardLangChainTool's invoke from the LangChain tool's own schema", () => {
    const search = tool(async ({ q }: { q: string }) => q, {
      name: 'search',
      description: 'Searches',
      schema: z.object({ q: z.string() }),
    });
    const guarded = guardLangChainTool(ag, search);
    expectTypeOf(guarded.invoke({ q: 'mcp' })).toEqualTypeOf<Promise<string>>();
    expectTypeOf(guarded.invoke(call)).toEqualTypeOf<Promise<ToolMessage>>();
    // @ts-expect-error q must be a string
    void guarded.invoke({ q: 1 });
  });
});

describe('approval interrupts are typed without a cast', () => {
  it("reads a run's __interrupt__ as ApprovalInterrupt values", async () => {
    const agent = createAgent({
      model: new FakeToolCallingModel({ toolCalls: [] }),
      tools: [toLangChainTool(weather)],
      middleware: [createGuardMiddleware(ag, { approvals: 'interrupt' })],
    });
    const result = await agent.invoke({ messages: [{ role: 'user', content: 'weather?' }] });
    const asks = approvalInterrupts(result);
    expectTypeOf(asks).toEqualTypeOf<ApprovalInterruptEntry[]>();
    for (const { id, value } of asks) {
      expectTypeOf(value).toEqualTypeOf<ApprovalInterrupt>();
      expectTypeOf(id).toBeString();
    }
    const raw = result.__interrupt__?.[0]?.value;
    if (isApprovalInterrupt(raw)) expectTypeOf(raw).toEqualTypeOf<ApprovalInterrupt>();
  });
});
