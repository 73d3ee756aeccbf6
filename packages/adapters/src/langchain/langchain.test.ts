import { tool } from '@langchain/core/tools';
import { convertToOpenAITool } from '@langchain/core/utils/function_calling';
import { createAgent, FakeToolCallingModel } from 'langchain';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createFixture } from '../../test/conformance/fixture.js';
import { guardLangChainTool, toLangChainTool } from './index.js';

describe('toLangChainTool', () => {
  it('keeps name, description and JSON Schema for bindTools, without $schema', () => {
    const fx = createFixture();
    const definition = convertToOpenAITool(toLangChainTool(fx.tools.add));
    expect(definition.function).toMatchObject({
      name: 'add',
      description: 'Adds two numbers',
      parameters: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } } },
    });
    expect(definition.function.parameters).not.toHaveProperty('$schema');
  });

  it('returns plain text when invoked without a tool call, with a fresh call id', async () => {
    const fx = createFixture();
    await expect(toLangChainTool(fx.tools.add).invoke({ a: 1, b: 2 })).resolves.toBe('3');
    const denied = await toLangChainTool(fx.tools.delete_user).invoke({ id: 'u1' });
    expect(JSON.parse(denied)).toMatchObject({ code: 'ERR_GUARD_POLICY_DENIED' });
  });
});

describe('guardLangChainTool', () => {
  it('applies a transforming schema once, keeps the definition, and refuses what the policy denies', async () => {
    const fx = createFixture();
    const seen: unknown[] = [];
    const double = tool(
      async (input: { n: number }) => {
        seen.push(input);
        return String(input.n);
      },
      { name: 'add', description: 'Doubles', schema: z.object({ n: z.number().transform((n) => n * 2) }) },
    );
    const guarded = guardLangChainTool(fx.guard, double, { tags: ['read'] });
    expect(guarded.name).toBe('add');
    expect(guarded.description).toBe('Doubles');
    const result = await guarded.invoke({ type: 'tool_call', name: 'add', id: 'lc-1', args: { n: 5 } });
    expect(result.content).toBe('10');
    expect(seen).toEqual([{ n: 10 }]);

    const removal = tool(async () => 'gone', {
      name: 'delete_user',
      description: 'Deletes',
      schema: z.object({ id: z.string() }),
    });
    let ran = false;
    const wrapped = guardLangChainTool(
      fx.guard,
      tool(
        async () => {
          ran = true;
          return 'gone';
        },
        { name: removal.name, description: removal.description, schema: removal.schema },
      ),
    );
    const refused = await wrapped.invoke({ type: 'tool_call', name: 'delete_user', id: 'lc-2', args: { id: 'u1' } });
    expect(refused.status).toBe('error');
    expect(JSON.parse(refused.content as string)).toMatchObject({ code: 'ERR_GUARD_POLICY_DENIED', callId: 'lc-2' });
    expect(ran).toBe(false);
  });

  it('runs inside createAgent with the fake tool-calling model', async () => {
    const fx = createFixture();
    const add = tool(async ({ a, b }: { a: number; b: number }) => String(a + b), {
      name: 'add',
      description: 'Adds',
      schema: z.object({ a: z.number(), b: z.number() }),
    });
    const model = new FakeToolCallingModel({ toolCalls: [[{ name: 'add', args: { a: 4, b: 5 }, id: 'lc-3' }], []] });
    const agent = createAgent({ model, tools: [guardLangChainTool(fx.guard, add)] });
    const { messages } = await agent.invoke({ messages: [{ role: 'user', content: 'add' }] });
    expect(messages.some((m) => m.content === '9')).toBe(true);
  });

  it('refuses misuse: no guard, not a LangChain tool, JSON Schema tools', () => {
    const fx = createFixture();
    const jsonTool = tool(async () => 'x', { name: 'j', description: 'j', schema: { type: 'object', properties: {} } });
    expect(() => guardLangChainTool({} as never, jsonTool)).toThrow(TypeError);
    expect(() => guardLangChainTool(fx.guard, { name: 'x' } as never)).toThrow(TypeError);
    expect(() => guardLangChainTool(fx.guard, jsonTool)).toThrow(/Standard Schema/);
    expect(() => toLangChainTool({} as never)).toThrow(TypeError);
  });
});
