/**
 * The Vercel AI SDK (`generateText` with tools) with guarded tools. Offline with the SDK's own
 * MockLanguageModelV3: one step asks for every tool call, the next answers. A refusal is the tool's
 * result, the Denial JSON object, which the SDK hands to the model; the tool never runs. With
 * OPENAI_API_KEY set it uses `@ai-sdk/openai` instead (model from OPENAI_MODEL, default gpt-4o-mini).
 * Payments need a human: the SDK returns tool-approval-requests (`needsApproval`); the answer (which in an
 * app comes back from a browser) is only a flag, so a granted payment runs only with the approver key's
 * signed approval, made here on the server and verified by the guard. A refusal (`approved: false`) runs no
 * tool code in the SDK, so the server records it with `refuseDeniedApprovals` before the next request.
 */
import { refuseDeniedApprovals, toAiSdkTools } from '@agentguard/adapters/ai-sdk';
import { openai } from '@ai-sdk/openai';
import { generateText, type ModelMessage, stepCountIs } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { exampleDir, script, setup } from '@agentguard/example-kit';

const { list, finish, approve, reject, humanApproves } = await setup('ai-sdk-agent', exampleDir(import.meta.url), {
  approvals: 'framework',
});

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

const tools = toAiSdkTools(list, { approve, reject });
const messages: ModelMessage[] = [
  {
    role: 'user',
    content: 'What is the weather in Lisbon? Also delete user u-42 and pay INV-7 (40) and INV-8 (5000).',
  },
];
let result = await generateText({ model, tools, stopWhen: stepCountIs(5), messages });
const seen = [...result.steps.flatMap((s) => s.toolResults)];
// The SDK stops at the calls the policy sends to a human; the answers go back as tool-approval-responses.
for (let round = 0; round < 5; round++) {
  const requests = result.content.filter((p) => p.type === 'tool-approval-request');
  if (requests.length === 0) break;
  const content = requests.map((r) => ({
    type: 'tool-approval-response' as const,
    approvalId: r.approvalId,
    approved: humanApproves(r.toolCall.input),
    reason: 'refused by the human in the framework approval step',
  }));
  messages.push(...result.response.messages, { role: 'tool', content });
  // On the server: every approved: false is recorded with the guard (signed by the approver), then the run goes on.
  await refuseDeniedApprovals(messages, tools);
  result = await generateText({ model, tools, stopWhen: stepCountIs(5), messages });
  seen.push(...result.steps.flatMap((s) => s.toolResults));
}
console.log('\nwhat the model saw:');
for (const r of seen) console.log(`  ${r.toolCallId} ${JSON.stringify(r.output).slice(0, 110)}`);
console.log(`\nassistant: ${result.text}`);
await finish();
