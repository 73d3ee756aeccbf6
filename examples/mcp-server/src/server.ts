/**
 * An MCP tool server (SDK v1) that trusts no caller it cannot verify: every tool handler is wrapped by
 * `createMcpCallVerifier`, so it runs only for a call whose signed envelope in `_meta` names a trusted
 * agent, this tool and these exact arguments, is fresh, and was never seen before.
 */
import { createTrustStore } from '@agentguard/attestation';
import { createMcpCallVerifier } from '@agentguard/adapters/mcp';
import type { Denial } from '@agentguard/core';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';

/** Creates the server; `trusted` are the did:key ids of the agents allowed to call its tools. */
export function createToolServer(trusted: readonly string[], onRefused: (denial: Denial) => void = () => {}) {
  const verifier = createMcpCallVerifier({ trust: createTrustStore(trusted), onRefused });
  const server = new McpServer({ name: 'agentguard-example-tools', version: '1.0.0' });

  server.registerTool(
    'get_weather',
    { description: 'Current weather for a city', inputSchema: { city: z.string().min(1).max(100) } },
    verifier.wrap('get_weather', async ({ city }: { city: string }, _extra: unknown, claims) => ({
      content: [
        { type: 'text' as const, text: JSON.stringify({ city, forecast: 'sunny', celsius: 21, for: claims.agent }) },
      ],
    })),
  );
  server.registerTool(
    'delete_user',
    { description: 'Delete a user account', inputSchema: { id: z.string() } },
    verifier.wrap('delete_user', async ({ id }: { id: string }) => ({
      content: [{ type: 'text' as const, text: `deleted ${id}` }],
    })),
  );
  return server;
}
