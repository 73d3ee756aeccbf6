/**
 * The cost of an adapter: for each framework, a tool call through the framework's own tool-call path with
 * the tool guarded by its adapter, against the same call through the same path with the bare tool, in the
 * same run. The guarded call validates, signs an envelope, verifies it, decides by policy and writes two
 * signed audit records (memory sink); the MCP case also verifies the envelope on the server side.
 */
import { createTrustStore } from '@agentguard/attestation';
import { createAuditLog, createMemorySink } from '@agentguard/audit';
import { createGuard } from '@agentguard/core';
import { createIdentity } from '@agentguard/identity';
import { tool as lcTool } from '@langchain/core/tools';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { RunContext, tool as agentsTool } from '@openai/agents';
import { generateText, stepCountIs, tool as aiTool } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { z } from 'zod';
import { toAiSdkTool } from '../src/ai-sdk/index.js';
import { toLangChainTool } from '../src/langchain/index.js';
import { createMcpCallVerifier, guardMcpClient, type McpClientLike } from '../src/mcp/index.js';
import { createToolDispatcher } from '../src/openai/index.js';
import { toAgentsTool } from '../src/openai-agents/index.js';
import { type BenchResult, measure as measureFor } from '../../../.config/bench-kit.js';

const measure = (fn: () => Promise<unknown>, ms = 700) => measureFor(fn, ms, 100);

const schema = z.object({ city: z.string().max(100), units: z.enum(['metric', 'imperial']) });
const execute = async ({ city }: { city: string }) => ({ city, celsius: 21 });
const args = { city: 'Lisbon', units: 'metric' as const };
const argsText = JSON.stringify(args);

function guarded() {
  const identity = createIdentity({ name: 'bench' });
  const ag = createGuard({
    identity,
    policy: { version: 1, rules: [{ id: 'weather', effect: 'allow', tools: ['get_weather'] }] },
    audit: createAuditLog({ sink: createMemorySink() }),
  });
  return { identity, ag, tool: ag.guard({ name: 'get_weather', description: 'Weather', schema, execute }) };
}

const usage = {
  inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 1, text: 1, reasoning: 0 },
};
const aiModel = () =>
  new MockLanguageModelV3({
    doGenerate: async () => ({
      finishReason: { unified: 'tool-calls', raw: undefined },
      usage,
      warnings: [],
      content: [{ type: 'tool-call', toolCallId: 'c1', toolName: 'get_weather', input: argsText }],
    }),
  });

async function mcpPair(wrap: boolean) {
  const g = guarded();
  const server = new McpServer({ name: 'bench', version: '1.0.0' });
  const handler = async (a: { city: string }) => ({
    content: [{ type: 'text' as const, text: JSON.stringify(await execute(a)) }],
  });
  const verifier = createMcpCallVerifier({ trust: createTrustStore([g.identity.id]) });
  server.registerTool(
    'get_weather',
    { inputSchema: schema.shape },
    (wrap ? verifier.wrap('get_weather', handler) : handler) as never,
  );
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  const client = new Client({ name: 'bench', version: '1.0.0' });
  await client.connect(clientTransport);
  const guardedClient = guardMcpClient(client as unknown as McpClientLike, { guard: g.ag, identity: g.identity });
  await guardedClient.listTools();
  return { client, guardedClient, close: () => client.close() };
}

function pair(framework: string, bare: number, withGuard: number, note: string): BenchResult[] {
  return [
    { name: `${framework}: bare tool`, opsPerSec: bare, note },
    {
      name: `${framework}: guarded tool`,
      opsPerSec: withGuard,
      baseline: `time of the bare tool through ${framework}`,
      ratio: bare / withGuard,
      note: `${(1e6 / withGuard).toFixed(0)} µs per call vs ${(1e6 / bare).toFixed(0)} µs`,
    },
  ];
}

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const call = { type: 'tool_call' as const, name: 'get_weather', id: 'c1', args };

  const lcBare = lcTool(execute, { name: 'get_weather', description: 'Weather', schema });
  const lcGuarded = toLangChainTool(guarded().tool);
  results.push(
    ...pair(
      'langchain',
      await measure(() => lcBare.invoke(call)),
      await measure(() => lcGuarded.invoke(call)),
      'tool.invoke(ToolCall) → ToolMessage',
    ),
  );

  const dispatcher = createToolDispatcher([guarded().tool]);
  const message = {
    tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get_weather', arguments: argsText } }],
  };
  const handWritten = async () =>
    Promise.all(
      message.tool_calls.map(async (c) => ({
        role: 'tool',
        tool_call_id: c.id,
        content: JSON.stringify(await execute(schema.parse(JSON.parse(c.function.arguments)))),
      })),
    );
  results.push(
    ...pair(
      'openai',
      await measure(handWritten),
      await measure(() => dispatcher.chatCompletions(message)),
      'one chat tool_call → tool message',
    ),
  );

  const context = new RunContext({});
  const agentsBare = agentsTool({ name: 'get_weather', description: 'Weather', parameters: schema, execute });
  const agentsGuarded = toAgentsTool(guarded().tool);
  results.push(
    ...pair(
      'openai-agents',
      await measure(() => agentsBare.invoke(context, argsText)),
      await measure(() => agentsGuarded.invoke(context, argsText)),
      'FunctionTool.invoke(runContext, json)',
    ),
  );

  const aiBare = aiTool({ description: 'Weather', inputSchema: schema, execute });
  const aiGuarded = toAiSdkTool(guarded().tool);
  const viaGenerate = (t: typeof aiGuarded) => () =>
    generateText({ model: aiModel(), tools: { get_weather: t }, prompt: 'go', stopWhen: stepCountIs(1) });
  results.push(
    ...pair(
      'ai-sdk',
      await measure(viaGenerate(aiBare as typeof aiGuarded)),
      await measure(viaGenerate(aiGuarded)),
      'generateText, one tool step (MockLanguageModelV3)',
    ),
  );

  const bareMcp = await mcpPair(false);
  const guardedMcp = await mcpPair(true);
  results.push(
    ...pair(
      'mcp',
      await measure(() => bareMcp.client.callTool({ name: 'get_weather', arguments: args })),
      await measure(() => guardedMcp.guardedClient.callTool({ name: 'get_weather', arguments: args })),
      'callTool over the in-memory transport; guarded = client guard + server envelope check',
    ),
  );
  await bareMcp.close();
  await guardedMcp.close();
  return results;
}
