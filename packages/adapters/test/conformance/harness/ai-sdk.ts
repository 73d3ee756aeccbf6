import { generateText, jsonSchema, stepCountIs, tool } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import * as v7 from 'ai-v7';
import { MockLanguageModelV4 } from 'ai-v7/test';
import { buildAiSdkTool } from '../../../src/ai-sdk/build.js';
import { refuseDeniedApprovals } from '../../../src/ai-sdk/refusals.js';
import { type Fixture, type Harness, type ScriptedCall, signAs } from '../fixture.js';

type Generate = (options: { prompt: unknown }) => Promise<unknown>;

interface AiMajor {
  readonly label: string;
  readonly helpers: { tool: typeof tool; jsonSchema: typeof jsonSchema };
  readonly generateText: (options: Record<string, unknown>) => Promise<unknown>;
  readonly stepCountIs: (n: number) => unknown;
  readonly mock: (doGenerate: Generate) => unknown;
}

const majors: readonly AiMajor[] = [
  {
    label: 'ai-sdk v6',
    helpers: { tool, jsonSchema },
    generateText: generateText as never,
    stepCountIs,
    mock: (doGenerate) => new MockLanguageModelV3({ doGenerate: doGenerate as never }),
  },
  {
    label: 'ai-sdk v7',
    // ai 7's helpers have the same meaning; their types differ only by the provider interface version.
    helpers: { tool: v7.tool as unknown as typeof tool, jsonSchema: v7.jsonSchema as unknown as typeof jsonSchema },
    generateText: v7.generateText as never,
    stepCountIs: v7.stepCountIs,
    mock: (doGenerate) => new MockLanguageModelV4({ doGenerate: doGenerate as never }),
  },
];

function toolsFor(major: AiMajor, fx: Fixture, signed = false) {
  const hooks = signed
    ? {
        approve: (r: { callId: string; tool: string; args: unknown }) => signAs(fx, r, 'approve'),
        reject: (r: { callId: string; tool: string; args: unknown }) => signAs(fx, r, 'reject'),
      }
    : {};
  return Object.fromEntries(Object.values(fx.tools).map((t) => [t.name, buildAiSdkTool(major.helpers, t, hooks)]));
}

const usage = {
  inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 1, text: 1, reasoning: 0 },
};

function scriptedModel(major: AiMajor, calls: readonly ScriptedCall[], prompts: unknown[]) {
  return major.mock(async (options) => {
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
  });
}

function toolResults(prompt: unknown): Map<string, string> {
  const seen = new Map<string, string>();
  for (const message of (prompt ?? []) as { role: string; content: unknown }[]) {
    if (message.role !== 'tool' || !Array.isArray(message.content)) continue;
    for (const part of message.content as { toolCallId: string; output: { type: string; value?: unknown } }[]) {
      const { type, value } = part.output;
      seen.set(
        part.toolCallId,
        type === 'text' || type === 'error-text'
          ? String(value)
          : type === 'execution-denied'
            ? JSON.stringify(part.output)
            : JSON.stringify(value),
      );
    }
  }
  return seen;
}

interface Step {
  content: { type: string; approvalId?: string; toolCall?: { toolCallId: string } }[];
  response: { messages: unknown[] };
}

/** The Vercel AI SDK with its mock language model: one step of parallel tool calls, then text. */
const aiSdkHarness = (major: AiMajor): Harness => ({
  name: `${major.label} (toAiSdkTools)`,
  async run(fx, calls) {
    const prompts: unknown[] = [];
    const model = scriptedModel(major, calls, prompts);
    await major.generateText({ model, tools: toolsFor(major, fx), prompt: 'go', stopWhen: major.stepCountIs(3) });
    return toolResults(prompts[1]);
  },
  // needsApproval makes the SDK return tool-approval-requests; the client answers with approved true/false,
  // the server records the refusals (refuseDeniedApprovals) and runs the next request.
  async runWithApprovals(fx, calls, rejected) {
    const prompts: unknown[] = [];
    const model = scriptedModel(major, calls, prompts);
    const tools = toolsFor(major, fx, true);
    const first = (await major.generateText({ model, tools, prompt: 'go', stopWhen: major.stepCountIs(3) })) as Step;
    const content = first.content
      .filter((p) => p.type === 'tool-approval-request')
      .map((p) => ({
        type: 'tool-approval-response',
        approvalId: p.approvalId,
        approved: !rejected.has(p.toolCall?.toolCallId ?? ''),
      }));
    const messages = [{ role: 'user', content: 'go' }, ...first.response.messages, { role: 'tool', content }];
    await refuseDeniedApprovals(messages, tools);
    await major.generateText({ model, tools, messages, stopWhen: major.stepCountIs(3) });
    return toolResults(prompts.at(-1));
  },
});

export const [aiSdkV6, aiSdkV7] = majors.map(aiSdkHarness) as [Harness, Harness];
