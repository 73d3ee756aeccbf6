import OpenAI from 'openai';
import OpenAIv7 from 'openai-v7';
import { describe, expect, it } from 'vitest';
import { createFixture } from '../../test/conformance/fixture.js';
import { cannedFetch, chatCompletion, chatToolCalls } from '../../test/conformance/harness/openai.js';
import { createToolDispatcher, toChatCompletionsTools, toResponsesTools, toRunnableTools } from './index.js';

describe('OpenAI tool definitions', () => {
  it('are non-strict function tools with the guarded schema, and refuse duplicate names', () => {
    const fx = createFixture();
    const [chat] = toChatCompletionsTools([fx.tools.add]);
    expect(chat).toMatchObject({
      type: 'function',
      function: { name: 'add', strict: false, parameters: { type: 'object' } },
    });
    const [resp] = toResponsesTools([fx.tools.add]);
    expect(resp).toMatchObject({ type: 'function', name: 'add', strict: false, description: 'Adds two numbers' });
    expect(() => toChatCompletionsTools([fx.tools.add, fx.tools.add])).toThrow(TypeError);
  });
});

describe('createToolDispatcher', () => {
  it('refuses unknown tools and custom tool calls without running anything, and takes malformed JSON to the guard', async () => {
    const fx = createFixture();
    const dispatcher = createToolDispatcher([fx.tools.add]);
    const [unknown, custom, malformed] = await dispatcher.chatCompletions([
      { id: 'u1', type: 'function', function: { name: 'rm_rf', arguments: '{}' } },
      { id: 'u2', type: 'custom' },
      { id: 'u3', type: 'function', function: { name: 'add', arguments: '{"a":1,' } },
    ]);
    expect(JSON.parse(unknown?.content ?? '')).toMatchObject({
      code: 'ERR_GUARD_POLICY_DENIED',
      tool: 'rm_rf',
      callId: 'u1',
    });
    expect(JSON.parse(custom?.content ?? '')).toMatchObject({ code: 'ERR_GUARD_POLICY_DENIED', callId: 'u2' });
    expect(JSON.parse(malformed?.content ?? '')).toMatchObject({ code: 'ERR_GUARD_ARGS_INVALID', callId: 'u3' });
    expect(fx.ran).toEqual({});
    expect(await dispatcher.chatCompletions({ tool_calls: null })).toEqual([]);
    expect(await dispatcher.responses([{ type: 'message' }])).toEqual([]);
  });
});

const majors = [
  [
    'openai v6',
    (fetch: ReturnType<typeof cannedFetch>['fetch']) => new OpenAI({ apiKey: 'test', fetch, maxRetries: 0 }),
  ],
  [
    'openai v7',
    (fetch: ReturnType<typeof cannedFetch>['fetch']) =>
      new OpenAIv7({ apiKey: 'test', fetch, maxRetries: 0 }) as unknown as OpenAI,
  ],
] as const;

describe.each(majors)('toRunnableTools (drop-in for chat.completions.runTools), %s', (_label, create) => {
  it('runs the model’s calls through the guard inside the SDK’s own runner; a denial does not reject the run', async () => {
    const fx = createFixture();
    const { fetch, bodies } = cannedFetch([
      chatToolCalls([
        { id: 'r1', name: 'add', args: { a: 20, b: 22 } },
        { id: 'r2', name: 'delete_user', args: { id: 'u1' } },
      ]),
      chatCompletion({ content: 'done' }, 'stop'),
    ]);
    const client = create(fetch);
    const runner = client.chat.completions.runTools({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'go' }],
      tools: toRunnableTools([fx.tools.add, fx.tools.delete_user]),
    });
    expect(await runner.finalContent()).toBe('done');
    const tool = (
      bodies[1] as { messages: { role: string; tool_call_id?: string; content: string }[] }
    ).messages.filter((m) => m.role === 'tool');
    expect(tool.map((m) => m.tool_call_id)).toEqual(['r1', 'r2']);
    expect(tool[0]?.content).toBe('42');
    expect(JSON.parse(tool[1]?.content ?? '')).toMatchObject({ code: 'ERR_GUARD_POLICY_DENIED', tool: 'delete_user' });
    expect(fx.ran).toEqual({ add: 1 });
  });
});
