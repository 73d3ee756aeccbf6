import { createTrustStore } from '@agentguard/attestation';
import { Client as ClientV2 } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport as InMemoryV1 } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer as McpServerV1 } from '@modelcontextprotocol/sdk/server/mcp.js';
import { InMemoryTransport as InMemoryV2, McpServer as McpServerV2 } from '@modelcontextprotocol/server';
import {
  createMcpCallVerifier,
  guardMcpClient,
  type McpClientLike,
  type McpToolFacts,
} from '../../../src/mcp/index.js';
import { resultText } from '../../../src/common/outcome.js';
import type { Fixture, Harness } from '../fixture.js';

type Spec = Fixture['specs'][keyof Fixture['specs']];
type Execute = (args: unknown, ctx: { signal: AbortSignal }) => unknown;

/** The server side: each tool's body behind the envelope verifier. */
export function serverHandler(
  fx: Fixture,
  name: string,
  spec: Spec,
  verifier = createMcpCallVerifier({ trust: createTrustStore([fx.identity.id]) }),
) {
  return verifier.wrap(name, async (args: unknown, extra: unknown) => {
    const e = extra as { signal?: AbortSignal; mcpReq?: { signal?: AbortSignal } };
    const signal = e.signal ?? e.mcpReq?.signal ?? new AbortController().signal;
    const value = await (spec.execute as Execute)(args, { signal });
    return { content: [{ type: 'text' as const, text: resultText(value) }] };
  });
}

export function facts(fx: Fixture): Record<string, McpToolFacts> {
  return Object.fromEntries(
    Object.entries(fx.specs).map(([name, spec]) => [
      name,
      {
        schema: spec.schema,
        ...('tags' in spec ? { tags: spec.tags } : {}),
        ...('timeoutMs' in spec ? { timeoutMs: spec.timeoutMs } : {}),
      },
    ]),
  );
}

async function callAll(fx: Fixture, client: McpClientLike, calls: Parameters<Harness['run']>[1]) {
  const guarded = guardMcpClient(client, { guard: fx.guard, identity: fx.identity, tools: facts(fx) });
  await guarded.listTools();
  const results = await Promise.all(
    calls.map(async (c) => {
      const result = await guarded.callTool(
        { name: c.name, arguments: c.args as Record<string, unknown> },
        { callId: c.id },
      );
      return [c.id, result.content.map((part) => part.text ?? '').join('')] as const;
    }),
  );
  return new Map(results);
}

function mcpHarness(
  name: string,
  connect: (fx: Fixture) => Promise<{ client: McpClientLike; close(): Promise<void> }>,
): Harness {
  let opened: { close(): Promise<void> } | undefined;
  return {
    name,
    async run(fx, calls) {
      const connection = await connect(fx);
      opened = connection;
      return callAll(fx, connection.client, calls);
    },
    async close() {
      await opened?.close();
    },
  };
}

/** MCP SDK v1 (`@modelcontextprotocol/sdk`) over the in-memory transport. */
export const mcpV1 = mcpHarness('mcp v1 (guardMcpClient + createMcpCallVerifier)', async (fx) => {
  const server = new McpServerV1({ name: 'conformance', version: '1.0.0' });
  for (const [name, spec] of Object.entries(fx.specs)) {
    server.registerTool(
      name,
      { description: spec.description, inputSchema: spec.schema.shape },
      serverHandler(fx, name, spec) as never,
    );
  }
  const [clientTransport, serverTransport] = InMemoryV1.createLinkedPair();
  await server.connect(serverTransport);
  const client = new ClientV1({ name: 'conformance-client', version: '1.0.0' });
  await client.connect(clientTransport);
  return {
    client: client as unknown as McpClientLike,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
});

/** MCP SDK v2 (`@modelcontextprotocol/server` + `@modelcontextprotocol/client`) over the in-memory transport. */
export const mcpV2 = mcpHarness('mcp v2 (guardMcpClient + createMcpCallVerifier)', async (fx) => {
  const server = new McpServerV2({ name: 'conformance', version: '1.0.0' });
  for (const [name, spec] of Object.entries(fx.specs)) {
    server.registerTool(
      name,
      { description: spec.description, inputSchema: spec.schema },
      serverHandler(fx, name, spec) as never,
    );
  }
  const [clientTransport, serverTransport] = InMemoryV2.createLinkedPair();
  await server.connect(serverTransport);
  const client = new ClientV2({ name: 'conformance-client', version: '1.0.0' });
  await client.connect(clientTransport);
  return {
    client: client as unknown as McpClientLike,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
});
