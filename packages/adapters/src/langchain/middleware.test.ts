import { createAuditLog, createMemorySink } from '@agentguard/audit';
import { createGuard } from '@agentguard/core';
import { createIdentity } from '@agentguard/identity';
import { ToolMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { createAgent, FakeToolCallingModel } from 'langchain';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createGuardMiddleware } from './index.js';

function guardFor(tools: string[]) {
  const sink = createMemorySink();
  const guard = createGuard({
    identity: createIdentity(),
    policy: { version: 1, rules: [{ id: 'ok', effect: 'allow', tools }] },
    audit: createAuditLog({ sink }),
  });
  return { guard, sink };
}

const toolMessages = (messages: unknown[]) =>
  messages.filter((m): m is ToolMessage => ToolMessage.isInstance(m as ToolMessage));

describe('createGuardMiddleware: the tool runs on the value the guard decided on', () => {
  it('applies the schema once (a stateful transform is not run again by LangChain)', async () => {
    const { guard } = guardFor(['stamp']);
    let transforms = 0;
    const seen: unknown[] = [];
    const stamp = tool(
      async (input: { path: string; seq: number }) => {
        seen.push(input);
        return 'ok';
      },
      {
        name: 'stamp',
        description: 'Stamps',
        // e.g. a path resolved at validation time: resolving it again later could give another answer
        schema: z.object({ path: z.string() }).transform((v) => ({ ...v, seq: ++transforms })),
      },
    );
    const model = new FakeToolCallingModel({ toolCalls: [[{ name: 'stamp', args: { path: '/a' }, id: 's1' }], []] });
    const agent = createAgent({ model, tools: [stamp], middleware: [createGuardMiddleware(guard)] });
    await agent.invoke({ messages: [{ role: 'user', content: 'go' }] });
    expect(transforms).toBe(1);
    expect(seen).toEqual([{ path: '/a', seq: 1 }]);
  });

  it('validates a JSON Schema tool in the guard (audited as invalid) and runs it on the decided value', async () => {
    const { guard, sink } = guardFor(['echo']);
    const seen: unknown[] = [];
    const echo = tool(
      async (input: unknown) => {
        seen.push(input);
        return 'ok';
      },
      {
        name: 'echo',
        description: 'Echoes',
        schema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
      },
    );
    const model = new FakeToolCallingModel({
      toolCalls: [
        [
          { name: 'echo', args: { text: 1 }, id: 'j1' },
          { name: 'echo', args: { text: 'hi' }, id: 'j2' },
        ],
        [],
      ],
    });
    const agent = createAgent({ model, tools: [echo], middleware: [createGuardMiddleware(guard)] });
    const { messages } = await agent.invoke({ messages: [{ role: 'user', content: 'go' }] });
    const [bad, good] = toolMessages(messages);
    expect(JSON.parse(bad?.content as string)).toMatchObject({ code: 'ERR_GUARD_ARGS_INVALID' });
    expect(good?.content).toBe('ok');
    expect(seen).toEqual([{ text: 'hi' }]);
    expect(sink.lines.map((l) => JSON.parse(l).type)).toContain('call.invalid');
  });
});

describe('createGuardMiddleware: a call never reaches another tool than the one it names', () => {
  it('refuses a second call under a call id already in flight (it never runs the other tool)', async () => {
    const { guard } = guardFor(['read_user', 'archive_user']);
    const ran: string[] = [];
    const make = (name: string) =>
      tool(
        async ({ id }: { id: string }) => {
          ran.push(`${name}:${id}`);
          return name;
        },
        { name, description: name, schema: z.object({ id: z.string() }) },
      );
    const model = new FakeToolCallingModel({
      toolCalls: [
        [
          { name: 'read_user', args: { id: 'bob' }, id: 'same' },
          { name: 'archive_user', args: { id: 'bob' }, id: 'same' },
        ],
        [],
      ],
    });
    const agent = createAgent({
      model,
      tools: [make('read_user'), make('archive_user')],
      middleware: [createGuardMiddleware(guard)],
    });
    const { messages } = await agent.invoke({ messages: [{ role: 'user', content: 'go' }] });
    // exactly one of the two ran, and it ran as itself
    expect(ran).toHaveLength(1);
    const byName = toolMessages(messages);
    const refused = byName.find((m) => m.status === 'error');
    expect(JSON.parse(refused?.content as string).reason).toContain('already in flight');
    const done = byName.find((m) => m.status !== 'error');
    expect(ran[0]).toBe(`${done?.content}:bob`);
  });

  it('refuses an unknown tool, a name no guard can hold, and a tool swapped for another by an earlier middleware', async () => {
    const { guard } = guardFor(['add', 'drop']);
    const middleware = createGuardMiddleware(guard);
    const wrap = (middleware as unknown as { wrapToolCall: (r: unknown, h: unknown) => Promise<unknown> }).wrapToolCall;
    let handled = 0;
    const handler = async () => {
      handled++;
      return new ToolMessage({ content: 'ran', tool_call_id: 'x' });
    };
    const add = tool(async () => 'added', { name: 'add', description: 'Adds', schema: z.object({}) });
    const drop = tool(async () => 'dropped', { name: 'drop', description: 'Drops', schema: z.object({}) });
    const cases = [
      { toolCall: { name: 'nope', args: {}, id: 'u1' }, tool: undefined },
      { toolCall: { name: 'a d d', args: {}, id: 'u2' }, tool: add },
      { toolCall: { name: 'add', args: {}, id: 'u3' }, tool: drop },
      { toolCall: { name: 'add', args: {}, id: 'u4' }, tool: { name: 'add', invoke: async () => 'x' } },
    ];
    for (const request of cases) {
      const result = (await wrap({ ...request, state: {}, runtime: {} }, handler)) as ToolMessage;
      expect(result.status).toBe('error');
      expect(JSON.parse(result.content as string)).toMatchObject({ agentguard: 'refused' });
    }
    expect(handled).toBe(0);
  });
});
