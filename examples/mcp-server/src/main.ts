/**
 * Run with `--stdio` (as examples/mcp-client does) to serve over stdio, trusting the agents listed in
 * AGENTGUARD_TRUST (comma-separated did:key ids). Run without arguments for a self-contained demo over the
 * in-memory transport: one signed call is served, an unsigned call and a call from an untrusted agent are
 * refused, and the handler never runs for them.
 */
import { signCall } from '@agentguard/attestation';
import { CALL_META_KEY } from '@agentguard/adapters/mcp';
import { createIdentity } from '@agentguard/identity';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createToolServer } from './server.js';

if (process.argv.includes('--stdio')) {
  const trusted = (process.env.AGENTGUARD_TRUST ?? '').split(',').filter(Boolean);
  // stdout carries the protocol: refusals are reported on stderr.
  const server = createToolServer(trusted, (denial) =>
    process.stderr.write(`[mcp-server] refused ${denial.tool}: ${denial.reason}\n`),
  );
  await server.connect(new StdioServerTransport());
} else {
  const agent = createIdentity({ name: 'trusted-agent' });
  const stranger = createIdentity({ name: 'stranger' });
  const server = createToolServer([agent.id]);
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  const client = new Client({ name: 'demo', version: '1.0.0' });
  await client.connect(clientTransport);

  const args = { city: 'Lisbon' };
  const policyHash = `sha256:${'0'.repeat(64)}`;
  const signed = async (signer: typeof agent, callId: string) =>
    (await signCall({ signer, callId, tool: 'get_weather', args, policyHash })).envelope;
  const attempts = [
    ['signed by a trusted agent', { [CALL_META_KEY]: await signed(agent, 'c1') }],
    ['without an envelope', undefined],
    ['signed by an untrusted agent', { [CALL_META_KEY]: await signed(stranger, 'c2') }],
  ] as const;
  console.log(`server trusts: ${agent.id}\n`);
  for (const [label, meta] of attempts) {
    const result = (await client.callTool({
      name: 'get_weather',
      arguments: args,
      ...(meta ? { _meta: meta } : {}),
    })) as {
      isError?: boolean;
      content: { text: string }[];
    };
    const text = result.content[0]?.text ?? '';
    console.log(`${result.isError ? 'REFUSED' : 'SERVED '} call ${label}\n        ${text.slice(0, 160)}`);
  }
  await client.close();
}
