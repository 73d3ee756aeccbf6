import { Agent } from '@mastra/core/agent';
import { Mastra } from '@mastra/core/mastra';
import { InMemoryStore } from '@mastra/core/storage';
import { MastraLanguageModelV2Mock, simulateReadableStream } from '@mastra/core/test-utils/llm-mock';
import { toMastraTools } from '../../../src/mastra/index.js';
import { type Harness, type ScriptedCall, signAs } from '../fixture.js';

const usage = { inputTokens: 1, outputTokens: 1, totalTokens: 2 };

/** Mastra's own mock model: the first turn asks for every scripted call, later turns answer with text. */
function scripted(calls: readonly ScriptedCall[]) {
  let turn = 0;
  const prompts: unknown[] = [];
  const next = (prompt: unknown) => {
    prompts.push(prompt);
    const first = turn++ === 0;
    const content: (
      | { type: 'text'; text: string }
      | { type: 'tool-call'; toolCallId: string; toolName: string; input: string }
    )[] = first
      ? calls.map((c) => ({
          type: 'tool-call' as const,
          toolCallId: c.id,
          toolName: c.name,
          input: JSON.stringify(c.args),
        }))
      : [{ type: 'text' as const, text: 'done' }];
    return { content, finishReason: first ? ('tool-calls' as const) : ('stop' as const) };
  };
  const model = new MastraLanguageModelV2Mock({
    // generate() asks doGenerate, a resumed run doStream: both answer from the same script.
    doGenerate: async (options) => ({ ...next(options.prompt), usage, warnings: [] }),
    doStream: async (options) => {
      const { content, finishReason } = next(options.prompt);
      const chunks: unknown[] = [{ type: 'stream-start', warnings: [] }];
      for (const p of content) {
        if (p.type === 'text') {
          chunks.push({ type: 'text-start', id: 't' }, { type: 'text-delta', id: 't', delta: p.text });
          chunks.push({ type: 'text-end', id: 't' });
        } else chunks.push(p);
      }
      chunks.push({ type: 'finish', finishReason, usage });
      // The chunks are the provider's stream parts, typed loosely here: the mock only replays them.
      return { stream: simulateReadableStream({ chunks }) as never };
    },
  });
  return { model, prompts };
}

/** What the model saw, per call id: the tool results in the last prompt it was sent. */
function outputs(prompts: readonly unknown[]): Map<string, string> {
  const seen = new Map<string, string>();
  const last = prompts.at(-1);
  for (const message of Array.isArray(last) ? last : []) {
    const m = message as { role?: string; content?: unknown };
    if (m.role !== 'tool' || !Array.isArray(m.content)) continue;
    for (const part of m.content as { type?: string; toolCallId?: string; output?: { value: unknown } }[]) {
      if (part.type !== 'tool-result' || part.toolCallId === undefined || part.output === undefined) continue;
      const v = part.output.value;
      seen.set(part.toolCallId, typeof v === 'string' ? v : JSON.stringify(v));
    }
  }
  return seen;
}

// Suspended runs are snapshots in the Mastra instance's storage (here in memory), from which a resume continues.
function agentOf(model: MastraLanguageModelV2Mock, tools: ReturnType<typeof toMastraTools>): Agent {
  const agent = new Agent({
    id: 'conformance',
    name: 'conformance',
    instructions: 'use the tools',
    model: model as never,
    tools,
  });
  const mastra = new Mastra({ agents: { conformance: agent }, storage: new InMemoryStore(), logger: false });
  return mastra.getAgent('conformance');
}

/** Mastra `Agent.generate` with its own mock model; approvals through Mastra's suspend and resume. */
export const mastra: Harness = {
  name: 'mastra (toMastraTools)',
  async run(fx, calls) {
    const { model, prompts } = scripted(calls);
    await agentOf(model, toMastraTools(Object.values(fx.tools))).generate('go', { maxSteps: 3 });
    return outputs(prompts);
  },
  // Each call the policy sends to a human suspends the run; the app resumes it once per call with the answer.
  async runWithApprovals(fx, calls, rejected) {
    const { model, prompts } = scripted(calls);
    const tools = toMastraTools(Object.values(fx.tools), {
      approve: (r) => signAs(fx, r, 'approve'),
      reject: (r) => signAs(fx, r, 'reject'),
    });
    const agent = agentOf(model, tools);
    const first = await agent.generate('go', { maxSteps: 3 });
    let finishReason = first.finishReason;
    for (const c of calls) {
      if (finishReason !== 'suspended') break;
      const answer = rejected.has(c.id) ? { approved: false, reason: 'declined' } : { approved: true };
      const resumed = await agent.resumeStream(answer, { runId: first.runId as string, toolCallId: c.id, maxSteps: 3 });
      for await (const _chunk of resumed.fullStream) {
        // drained: the resumed run goes on until it suspends again or ends
      }
      finishReason = await resumed.finishReason;
    }
    return outputs(prompts);
  },
};
