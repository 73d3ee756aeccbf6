import { Agent, run, setTracingDisabled } from '@openai/agents';
import { assistantMessage, functionCall, ScriptedModel } from '@openai/agents/testing';
import { rejectAgentsCall, toAgentsTools } from '../../../src/openai-agents/index.js';
import { type Harness, type ScriptedCall, signAs } from '../fixture.js';

setTracingDisabled(true);

function scripted(calls: readonly ScriptedCall[]) {
  return new ScriptedModel([
    calls.map((c) => functionCall(c.name, c.args as Record<string, unknown>, { callId: c.id })),
    [assistantMessage('done')],
  ]);
}

function outputs(model: ScriptedModel): Map<string, string> {
  const input = model.calls.at(-1)?.request.input;
  const seen = new Map<string, string>();
  for (const item of Array.isArray(input) ? input : []) {
    const i = item as { type?: string; callId?: string; output?: { type: string; text?: string } | string };
    if (i.type !== 'function_call_result' || i.callId === undefined) continue;
    seen.set(i.callId, typeof i.output === 'string' ? i.output : (i.output?.text ?? JSON.stringify(i.output)));
  }
  return seen;
}

/** `@openai/agents` with its ScriptedModel: one turn of parallel function calls, then a final message. */
export const openaiAgents: Harness = {
  name: 'openai-agents (toAgentsTools)',
  async run(fx, calls) {
    const model = scripted(calls);
    const agent = new Agent({
      name: 'conformance',
      instructions: 'use the tools',
      model,
      tools: toAgentsTools(Object.values(fx.tools)),
    });
    await run(agent, 'go');
    return outputs(model);
  },
  // needsApproval interrupts the run; state.approve() or rejectAgentsCall() answers each call, then it resumes.
  async runWithApprovals(fx, calls, rejected) {
    const model = scripted(calls);
    const tools = toAgentsTools(Object.values(fx.tools), {
      approve: (r) => signAs(fx, r, 'approve'),
      reject: (r) => signAs(fx, r, 'reject'),
    });
    const agent = new Agent({ name: 'conformance', instructions: 'use the tools', model, tools });
    const first = await run(agent, 'go');
    await Promise.all(
      first.interruptions.map(async (item) => {
        const callId = (item.rawItem as { callId?: string }).callId ?? '';
        if (rejected.has(callId)) await rejectAgentsCall(first.state, item);
        else first.state.approve(item);
      }),
    );
    await run(agent, first.state);
    return outputs(model);
  },
};
