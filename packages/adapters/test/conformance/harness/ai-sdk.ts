import { generateText, stepCountIs } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { toAiSdkTools } from '../../../src/ai-sdk/index.js';
import type { Harness } from '../fixture.js';

const usage = {
  inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 1, text: 1, reasoning: 0 },
};

/** Vercel AI SDK 6 with `MockLanguageModelV3`: one step of parallel tool calls, then text. */
export const aiSdk: Harness = {
  name: 'ai-sdk v6 (toAiSdkTools)',
  async run(fx, calls) {
    const prompts: unknown[] = [];
    const model = new MockLanguageModelV3({
      doGenerate: async (options) => {
        prompts.push(options.prompt);
        if (prompts.length === 1) {
          return {
            finishReason: { unified: 'tool-calls', raw: undefined },
            usage,
            warnings: [],
            content: calls.map((c) => ({
              type: 'tool-call',
              toolCallId: c.id,
              toolName: c.name,
              input: JSON.stringify(c.args),
            })),
          };
        }
        return {
          finishReason: { unified: 'stop', raw: undefined },
          usage,
          warnings: [],
          content: [{ type: 'text', text: 'done' }],
        };
      },
    });
    await generateText({ model, tools: toAiSdkTools(Object.values(fx.tools)), prompt: 'go', stopWhen: stepCountIs(3) });
    const seen = new Map<string, string>();
    for (const message of (prompts[1] ?? []) as { role: string; content: unknown }[]) {
      if (message.role !== 'tool' || !Array.isArray(message.content)) continue;
      for (const part of message.content as { toolCallId: string; output: { type: string; value: unknown } }[]) {
        const { type, value } = part.output;
        seen.set(part.toolCallId, type === 'text' || type === 'error-text' ? String(value) : JSON.stringify(value));
      }
    }
    return seen;
  },
};
