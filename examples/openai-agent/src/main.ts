/**
 * The official `openai` SDK with a hand-written Chat Completions tool loop: the model's tool calls go
 * through `createToolDispatcher`, which returns one tool message per call (the result, or the Denial JSON).
 * Offline by default: the client gets a `fetch` that replays a scripted model. With OPENAI_API_KEY set,
 * it talks to the real API instead (model from OPENAI_MODEL, default gpt-4o-mini).
 */
import { createToolDispatcher, toChatCompletionsTools } from '@agentguard/adapters/openai';
import OpenAI from 'openai';
import { exampleDir, script, setup } from '@agentguard/example-kit';

const { list, finish } = await setup('openai-agent', exampleDir(import.meta.url), { approvals: 'guard' });

// The scripted model: first turn asks for every tool call, second turn answers.
const turns = [
  {
    role: 'assistant',
    content: null,
    tool_calls: script.map((c) => ({
      id: c.id,
      type: 'function',
      function: { name: c.name, arguments: JSON.stringify(c.args) },
    })),
  },
  { role: 'assistant', content: 'Lisbon is sunny; INV-7 is paid. I may not delete users, and INV-8 was refused.' },
];
let turn = 0;
const scripted: typeof fetch = async () => {
  const message = turns[Math.min(turn++, turns.length - 1)];
  const finish_reason = message?.content === null ? 'tool_calls' : 'stop';
  const body = {
    id: `chatcmpl-${turn}`,
    object: 'chat.completion',
    created: 0,
    model: 'scripted',
    choices: [{ index: 0, message, finish_reason, logprobs: null }],
  };
  return new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } });
};

const live = process.env.OPENAI_API_KEY !== undefined && process.env.OPENAI_API_KEY !== '';
const client = live ? new OpenAI() : new OpenAI({ apiKey: 'offline', fetch: scripted, maxRetries: 0 });
const model = process.env.OPENAI_MODEL ?? 'gpt-4o-mini';
console.log(live ? `model: ${model} (live)\n` : 'model: scripted (offline)\n');

const dispatcher = createToolDispatcher(list);
const tools = toChatCompletionsTools(list);
const messages: OpenAI.ChatCompletionMessageParam[] = [
  {
    role: 'user',
    content: 'What is the weather in Lisbon? Also delete user u-42 and pay INV-7 (40) and INV-8 (5000).',
  },
];
for (let step = 0; step < 5; step++) {
  const completion = await client.chat.completions.create({ model, messages, tools });
  const message = completion.choices[0]?.message;
  if (message === undefined) break;
  messages.push(message);
  if (!message.tool_calls?.length) {
    console.log(`\nassistant: ${message.content}`);
    break;
  }
  messages.push(...(await dispatcher.chatCompletions(message)));
}
await finish();
