/**
 * The Vercel AI SDK (`generateText` with tools) with guarded tools. Offline with the SDK's own
 * MockLanguageModelV3: one step asks for every tool call, the next answers. A refusal is the tool's
 * result, the Denial JSON object, which the SDK hands to the model; the tool never runs. With
 * OPENAI_API_KEY set it uses `@ai-sdk/openai` instead (model from OPENAI_MODEL, default gpt-4o-mini).
 */
import { toAiSdkTools } from '@agentguard/adapters/ai-sdk';
import { openai } from '@ai-sdk/openai';
import { generateText, stepCountIs } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { exampleDir, script, setup } from './setup.js';

const { list, finish } = await setup('ai-sdk-agent', exampleDir(import.meta.url));

const usage = {
  inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 1, text: 1, reasoning: 0 },
};
let step = 0;
const scripted = new MockLanguageModelV3({
  doGenerate: async () => {
    step++;
    if (step === 1) {
      const content = script.map((c) => ({
        type: 'tool-call' as const,
        toolCallId: c.id,
        toolName: c.name,
        input: JSON.stringify(c.args),
      }));
      return { finishReason: { unified: 'tool-calls' as const, raw: undefined }, usage, warnings: [], content };
    }
    const text = 'Lisbon is sunny; INV-7 is paid. I may not delete users, and INV-8 was refused.';
    return {
      finishReason: { unified: 'stop' as const, raw: undefined },
      usage,
      warnings: [],
      content: [{ type: 'text' as const, text }],
    };
  },
});
const live = process.env.OPENAI_API_KEY !== undefined && process.env.OPENAI_API_KEY !== '';
const model = live ? openai(process.env.OPENAI_MODEL ?? 'gpt-4o-mini') : scripted;
console.log(live ? 'model: @ai-sdk/openai (live)\n' : 'model: MockLanguageModelV3 (offline)\n');

const result = await generateText({
  model,
  tools: toAiSdkTools(list),
  stopWhen: stepCountIs(5),
  prompt: 'What is the weather in Lisbon? Also delete user u-42 and pay INV-7 (40) and INV-8 (5000).',
});
console.log('\nwhat the model saw:');
for (const r of result.steps[0]?.toolResults ?? [])
  console.log(`  ${r.toolCallId} ${JSON.stringify(r.output).slice(0, 110)}`);
console.log(`\nassistant: ${result.text}`);
await finish();
