/**
 * The OpenAI Agents SDK (`@openai/agents`) with guarded function tools. Offline by default with the SDK's
 * own ScriptedModel (and tracing off); with OPENAI_API_KEY set, the agent uses the real default model.
 * A refusal reaches the model as the tool's output, the Denial JSON, and the tool never runs. Payments need
 * a human: the SDK's own interruptions ask (`needsApproval`), and a payment the human approves runs only with
 * the approver key's signed approval, made on the server and verified by the guard. A refusal goes through
 * `rejectAgentsCall` rather than `state.reject`, so the audit records it (the SDK runs no tool code for it).
 */
import { rejectAgentsCall, toAgentsTools } from '@agentguard/adapters/openai-agents';
import { Agent, run, setTracingDisabled } from '@openai/agents';
import { assistantMessage, functionCall, ScriptedModel } from '@openai/agents/testing';
import { exampleDir, script, setup } from '@agentguard/example-kit';

const { list, finish, approve, reject, humanApproves } = await setup('openai-agents-sdk', exampleDir(import.meta.url), {
  approvals: 'framework',
});

const live = process.env.OPENAI_API_KEY !== undefined && process.env.OPENAI_API_KEY !== '';
if (!live) setTracingDisabled(true);
const model = live
  ? undefined
  : new ScriptedModel([
      script.map((c) => functionCall(c.name, { ...c.args }, { callId: c.id })),
      [assistantMessage('Lisbon is sunny; INV-7 is paid. I may not delete users, and INV-8 was refused.')],
    ]);
console.log(live ? 'model: default (live)\n' : 'model: ScriptedModel (offline)\n');

const agent = new Agent({
  name: 'back-office',
  instructions: 'Use the tools to do what the user asks. When a tool refuses, say so.',
  tools: toAgentsTools(list, { approve, reject }),
  ...(model === undefined ? {} : { model }),
});
let result = await run(
  agent,
  'What is the weather in Lisbon? Also delete user u-42 and pay INV-7 (40) and INV-8 (5000).',
);
// The run stops at the calls the policy sends to a human; the human answers through the SDK's own state.
while (result.interruptions.length > 0) {
  for (const item of result.interruptions) {
    const call = item.rawItem as { arguments?: string };
    if (humanApproves(JSON.parse(call.arguments ?? '{}'))) result.state.approve(item);
    // Rejects in the SDK and records the refusal, signed by the approver (the tools' `reject` option).
    else await rejectAgentsCall(result.state, item, { reason: 'refused by the human in the framework approval step' });
  }
  result = await run(agent, result.state);
}
console.log(`\nassistant: ${result.finalOutput}`);
await finish();
