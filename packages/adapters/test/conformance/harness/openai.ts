import OpenAI from 'openai';
import OpenAIv7 from 'openai-v7';
import { createToolDispatcher, toChatCompletionsTools, toResponsesTools } from '../../../src/openai/index.js';
import type { Harness, ScriptedCall } from '../fixture.js';

/** A `fetch` that answers with canned responses in turn and records every request body. */
export function cannedFetch(responses: readonly unknown[]) {
  const bodies: unknown[] = [];
  let turn = 0;
  const fetch = async (_url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    bodies.push(JSON.parse(String(init?.body ?? 'null')));
    const body = responses[Math.min(turn++, responses.length - 1)];
    return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
  };
  return { fetch, bodies };
}

export function chatCompletion(message: Record<string, unknown>, finish: string) {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 0,
    model: 'gpt-test',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: null, refusal: null, ...message },
        finish_reason: finish,
        logprobs: null,
      },
    ],
  };
}

export function chatToolCalls(calls: readonly ScriptedCall[]) {
  return chatCompletion(
    {
      tool_calls: calls.map((c) => ({
        id: c.id,
        type: 'function',
        function: { name: c.name, arguments: JSON.stringify(c.args) },
      })),
    },
    'tool_calls',
  );
}

export function response(output: readonly unknown[]) {
  return { id: 'resp-1', object: 'response', created_at: 0, status: 'completed', model: 'gpt-test', output };
}

// Both majors of the SDK; 7 declares Node 22 but its client runs here on Node 20 with a custom fetch.
type Major = { readonly label: string; readonly create: (fetch: ReturnType<typeof cannedFetch>['fetch']) => OpenAI };
const majors: readonly Major[] = [
  { label: 'openai v6', create: (fetch) => new OpenAI({ apiKey: 'test', fetch, maxRetries: 0 }) },
  {
    label: 'openai v7',
    create: (fetch) => new OpenAIv7({ apiKey: 'test', fetch, maxRetries: 0 }) as unknown as OpenAI,
  },
];

/** Chat Completions: a hand-written loop with the dispatcher, on the real SDK with a canned `fetch`. */
const chatHarness = (major: Major): Harness => ({
  name: `${major.label} (chat completions dispatcher)`,
  async run(fx, calls) {
    const { fetch, bodies } = cannedFetch([chatToolCalls(calls), chatCompletion({ content: 'done' }, 'stop')]);
    const client = major.create(fetch);
    const tools = Object.values(fx.tools);
    const dispatcher = createToolDispatcher(tools);
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'go' }];
    const params = { model: 'gpt-test', tools: toChatCompletionsTools(tools) };
    const first = await client.chat.completions.create({ ...params, messages });
    const message = first.choices[0]?.message;
    if (message === undefined) throw new Error('no message');
    messages.push(message, ...(await dispatcher.chatCompletions(message)));
    await client.chat.completions.create({ ...params, messages });
    // What the model saw: the tool messages of the second request.
    const sent = (bodies[1] as { messages: { role: string; tool_call_id?: string; content: string }[] }).messages;
    return new Map(sent.filter((m) => m.role === 'tool').map((m) => [m.tool_call_id ?? '', m.content]));
  },
});

/** Responses API: a hand-written loop with the dispatcher. */
const responsesHarness = (major: Major): Harness => ({
  name: `${major.label} (responses dispatcher)`,
  async run(fx, calls) {
    const output = calls.map((c, i) => ({
      type: 'function_call',
      id: `fc_${i}`,
      call_id: c.id,
      name: c.name,
      arguments: JSON.stringify(c.args),
      status: 'completed',
    }));
    const final = [
      {
        type: 'message',
        id: 'msg_1',
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: 'done', annotations: [] }],
      },
    ];
    const { fetch, bodies } = cannedFetch([response(output), response(final)]);
    const client = major.create(fetch);
    const tools = Object.values(fx.tools);
    const dispatcher = createToolDispatcher(tools);
    const first = await client.responses.create({ model: 'gpt-test', input: 'go', tools: toResponsesTools(tools) });
    const outputs = await dispatcher.responses(first);
    await client.responses.create({
      model: 'gpt-test',
      previous_response_id: first.id,
      input: outputs,
      tools: toResponsesTools(tools),
    });
    const sent = (bodies[1] as { input: { type: string; call_id: string; output: string }[] }).input;
    return new Map(sent.filter((i) => i.type === 'function_call_output').map((i) => [i.call_id, i.output]));
  },
});

export const openaiHarnesses: readonly Harness[] = majors.flatMap((major) => [
  chatHarness(major),
  responsesHarness(major),
]);
