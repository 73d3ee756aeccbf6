/**
 * A LangChain v1 agent (`createAgent`) whose tools are guarded: a scripted fake model asks for four tool
 * calls in one turn; the weather is allowed, the deletion denied, a small payment approved by a (simulated)
 * human, a large one refused. Each refusal reaches the model as a ToolMessage with the Denial JSON.
 * No network, no API key: the model is LangChain's own FakeToolCallingModel.
 */
import { ToolMessage } from '@langchain/core/messages';
import { toLangChainTool } from '@agentguard/adapters/langchain';
import { createAgent, FakeToolCallingModel } from 'langchain';
import { exampleDir, script, setup } from './setup.js';

const { list, finish } = await setup('langchain-agent', exampleDir(import.meta.url));

const model = new FakeToolCallingModel({
  toolCalls: [script.map((c) => ({ name: c.name, args: { ...c.args }, id: c.id })), []],
});
const agent = createAgent({ model, tools: list.map((tool) => toLangChainTool(tool)) });
const { messages } = await agent.invoke({
  messages: [{ role: 'user', content: 'Weather in Lisbon, remove u-42, pay INV-7 and INV-8.' }],
});

console.log('\nwhat the model saw:');
for (const m of messages) {
  if (ToolMessage.isInstance(m)) console.log(`  ${m.tool_call_id} [${m.status}] ${String(m.content).slice(0, 110)}`);
}
await finish();
