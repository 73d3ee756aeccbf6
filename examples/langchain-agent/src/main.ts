/**
 * A LangChain v1 agent (`createAgent`) whose tools are guarded: a scripted fake model asks for four tool
 * calls in one turn; the weather is allowed, the deletion denied, a small payment approved by a (simulated)
 * human, a large one refused. Each refusal reaches the model as a ToolMessage with the Denial JSON.
 * Offline by default: the model is LangChain's own FakeToolCallingModel. With OPENAI_API_KEY set it uses
 * ChatOpenAI instead (model from OPENAI_MODEL, default gpt-4o-mini).
 */
import { ToolMessage } from '@langchain/core/messages';
import { toLangChainTool } from '@agentguard/adapters/langchain';
import { ChatOpenAI } from '@langchain/openai';
import { createAgent, FakeToolCallingModel } from 'langchain';
import { exampleDir, script, setup } from '@agentguard/example-kit';

const { list, finish } = await setup('langchain-agent', exampleDir(import.meta.url), { approvals: 'guard' });

const live = process.env.OPENAI_API_KEY !== undefined && process.env.OPENAI_API_KEY !== '';
const model = live
  ? new ChatOpenAI({ model: process.env.OPENAI_MODEL ?? 'gpt-4o-mini' })
  : new FakeToolCallingModel({ toolCalls: [script.map((c) => ({ name: c.name, args: { ...c.args }, id: c.id })), []] });
console.log(live ? 'model: ChatOpenAI (live)\n' : 'model: FakeToolCallingModel (offline)\n');
const agent = createAgent({ model, tools: list.map((tool) => toLangChainTool(tool)) });
const { messages } = await agent.invoke({
  messages: [{ role: 'user', content: 'Weather in Lisbon, remove u-42, pay INV-7 and INV-8.' }],
});

console.log('\nwhat the model saw:');
for (const m of messages) {
  if (ToolMessage.isInstance(m)) console.log(`  ${m.tool_call_id} [${m.status}] ${String(m.content).slice(0, 110)}`);
}
await finish();
