/**
 * A Mastra agent (`@mastra/core`) with guarded tools. Offline with Mastra's own mock model
 * (`MastraLanguageModelV2Mock`): one step asks for every tool call, the next answers. A refusal is the tool's
 * result, the Denial JSON object, and the tool never runs. Payments need a human: the guarded tool suspends
 * the run (Mastra's own suspend), the human's answer resumes it (`resumeStream({ approved }, { runId, toolCallId })`).
 * An approved payment runs only with the approver key's signed approval, made on the server and verified by
 * the guard; a refused one is recorded as `approval.refused`, signed by the approver key.
 */
import { toMastraTools } from '@agentguard/adapters/mastra';
import { exampleDir, script, setup } from '@agentguard/example-kit';
import { Agent } from '@mastra/core/agent';
import { Mastra } from '@mastra/core/mastra';
import { InMemoryStore } from '@mastra/core/storage';
import { MastraLanguageModelV2Mock, simulateReadableStream } from '@mastra/core/test-utils/llm-mock';

const { list, finish, approve, reject, humanApproves } = await setup('mastra-agent', exampleDir(import.meta.url), {
  approvals: 'framework',
});

const usage = { inputTokens: 1, outputTokens: 1, totalTokens: 2 };
const answer = 'Lisbon is sunny; INV-7 is paid. I may not delete users, and INV-8 was refused.';
let step = 0;
// The first step asks for every scripted call; later steps answer. `generate` asks doGenerate, a resumed run
// streams (doStream).
const next = () => (step++ === 0 ? 'tools' : 'text');
const model = new MastraLanguageModelV2Mock({
  doGenerate: async () =>
    next() === 'tools'
      ? {
          content: script.map((c) => ({
            type: 'tool-call' as const,
            toolCallId: c.id,
            toolName: c.name,
            input: JSON.stringify(c.args),
          })),
          finishReason: 'tool-calls' as const,
          usage,
          warnings: [],
        }
      : { content: [{ type: 'text' as const, text: answer }], finishReason: 'stop' as const, usage, warnings: [] },
  doStream: async () => {
    next();
    const chunks = [
      { type: 'stream-start' as const, warnings: [] },
      { type: 'text-start' as const, id: 't' },
      { type: 'text-delta' as const, id: 't', delta: answer },
      { type: 'text-end' as const, id: 't' },
      { type: 'finish' as const, finishReason: 'stop' as const, usage },
    ];
    return { stream: simulateReadableStream({ chunks }) };
  },
});
console.log('model: MastraLanguageModelV2Mock (offline)\n');

// A suspended run is a snapshot in the Mastra instance's storage, from which a resume continues.
const mastra = new Mastra({
  agents: {
    backOffice: new Agent({
      id: 'back-office',
      name: 'back-office',
      instructions: 'Use the tools to do what the user asks. When a tool refuses, say so.',
      model: model as never, // the mock is an AI SDK v5 model; Mastra's config type lists the v5 shape separately
      tools: toMastraTools(list, { approve, reject }),
    }),
  },
  storage: new InMemoryStore(),
  logger: false,
});
const agent = mastra.getAgent('backOffice');

const first = await agent.generate(
  'What is the weather in Lisbon? Also delete user u-42 and pay INV-7 (40) and INV-8 (5000).',
  { maxSteps: 3 },
);
let finishReason = first.finishReason;
let text = first.text;
// Each payment suspended the run; the human answers each, and the run resumes until it ends.
for (const call of script) {
  if (finishReason !== 'suspended') break;
  if (call.name !== 'pay_invoice') continue;
  const human = humanApproves(call.args)
    ? { approved: true }
    : { approved: false, reason: 'refused by the human in the framework approval step' };
  const resumed = await agent.resumeStream(human, { runId: first.runId as string, toolCallId: call.id, maxSteps: 3 });
  for await (const _chunk of resumed.fullStream) {
    // drained: the run goes on until it suspends again or ends
  }
  finishReason = await resumed.finishReason;
  text = await resumed.text;
}
console.log(`\nassistant: ${text}`);
await finish();
