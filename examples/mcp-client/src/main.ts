/**
 * A guarded MCP client: starts examples/mcp-server as a separate process over stdio (trusting only this
 * agent), pins the server's tool definitions, and sends every call through the guard, which signs it
 * (the envelope travels in `_meta`), decides it by policy and audits it. The server verifies each call
 * across the process boundary. An unguarded call made straight on the raw client is refused by the server.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { guardMcpClient, type McpClientLike } from '@agentguard/adapters/mcp';
import { verifyLog } from '@agentguard/audit';
import { openFileAuditLog } from '@agentguard/audit/file';
import { createGuard } from '@agentguard/core';
import { createIdentity } from '@agentguard/identity';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { PolicyDocument } from '@agentguard/policy';

const here = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const serverDir = resolve(here, '../mcp-server');
const logPath = resolve(process.env.AGENTGUARD_DEMO_LOG ?? resolve(here, '.agentguard/audit.jsonl'));
await mkdir(dirname(logPath), { recursive: true });
await rm(logPath, { force: true });

const agent = createIdentity({ name: 'mcp-client-agent' });
const policy: PolicyDocument = {
  version: 1,
  rules: [
    { id: 'weather-ok', effect: 'allow', tools: ['get_weather'] },
    { id: 'no-deletes', effect: 'deny', tools: ['delete_*'], reason: 'agents may not delete users' },
  ],
};
const ag = createGuard({ identity: agent, policy, audit: await openFileAuditLog(logPath) });

const transport = new StdioClientTransport({
  command: process.execPath,
  args: ['--conditions', '@agentguard/source', '--import', 'tsx', resolve(serverDir, 'src/main.ts'), '--stdio'],
  cwd: serverDir,
  env: { ...(process.env as Record<string, string>), AGENTGUARD_TRUST: agent.id },
  stderr: 'inherit',
});
const client = new Client({ name: 'agentguard-example-client', version: '1.0.0' });
await client.connect(transport);
const guarded = guardMcpClient(client as unknown as McpClientLike, {
  guard: ag,
  tools: { delete_user: { tags: ['destructive'] } },
});

console.log(`agent: ${agent.id}\nserver: examples/mcp-server (separate process, stdio)\n`);
const { tools } = await guarded.listTools();
console.log(
  `pinned ${tools.length} tool definitions: ${tools.map((t) => `${t.name} ${guarded.pins.get(t.name)?.hash.slice(0, 19)}…`).join(', ')}\n`,
);

const report = (label: string, result: { isError?: boolean; content: readonly { text?: string }[] }) =>
  console.log(
    `${result.isError ? 'DENIED ' : 'ALLOWED'} ${label}\n        ${(result.content[0]?.text ?? '').slice(0, 140)}`,
  );
report('get_weather via the guard', await guarded.callTool({ name: 'get_weather', arguments: { city: 'Lisbon' } }));
report('delete_user via the guard', await guarded.callTool({ name: 'delete_user', arguments: { id: 'u-42' } }));
const raw = (await client.callTool({ name: 'delete_user', arguments: { id: 'u-42' } })) as {
  isError?: boolean;
  content: { text?: string }[];
};
report('delete_user on the raw client, no signed envelope (refused by the server)', raw);

await client.close();
await ag.close();
const verified = verifyLog(await readFile(logPath, 'utf8'), { trust: [agent.id] });
console.log(
  verified.ok ? `\naudit log verified: ${verified.records} records` : `\naudit log FAILED: ${verified.reason}`,
);
console.log(`audit log: ${logPath}`);
console.log(`trust: ${agent.id}`);
process.exitCode = verified.ok && raw.isError === true ? 0 : 1;
