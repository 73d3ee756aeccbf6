import { createTrustStore } from '@agentguard/attestation';
import { createIdentity } from '@agentguard/identity';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createFixture, type Fixture, signAs } from '../../test/conformance/fixture.js';
import { createMcpCallVerifier, createToolPins, guardMcpClient, type McpClientLike } from './index.js';

type Answer = { content: { type: 'text'; text: string }[]; isError?: boolean };

// A real SDK v1 server: `add` behind the envelope verifier (trusting `trusted`), `boom` answering `answer`.
async function connect(fx: Fixture, options: { trusted?: string; answer?: () => Answer } = {}) {
  let runs = 0;
  const server = new McpServer({ name: 'errors', version: '1.0.0' });
  const verifier = createMcpCallVerifier({ trust: createTrustStore([options.trusted ?? fx.identity.id]) });
  server.registerTool(
    'add',
    { description: 'Adds', inputSchema: { a: z.number(), b: z.number() } },
    verifier.wrap('add', async ({ a, b }: { a: number; b: number }) => {
      runs++;
      return { content: [{ type: 'text' as const, text: String(a + b) }] };
    }) as never,
  );
  server.registerTool('boom', { description: 'Answers', inputSchema: {} }, (() => options.answer?.()) as never);
  server.registerTool(
    'pay',
    { description: 'Pays', inputSchema: { invoice: z.string(), amount: z.number() } },
    (async (args: { invoice: string }) => {
      runs++;
      return { content: [{ type: 'text' as const, text: `paid ${args.invoice}` }] };
    }) as never,
  );
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  const client = new Client({ name: 'c', version: '1.0.0' });
  await client.connect(clientTransport);
  return { client: client as unknown as McpClientLike, runs: () => runs, close: () => client.close() };
}

const callRecords = (fx: Fixture) =>
  fx.sink.lines.map((l) => JSON.parse(l) as { type: string; callId: string }).filter((r) => r.type.startsWith('call.'));

describe('guardMcpClient: a server refusal is a typed Denial', () => {
  it("reports the server's refusal with its code and bounded reason, not ERR_GUARD_TOOL_FAILED with escaped JSON", async () => {
    const fx = createFixture();
    const c = await connect(fx, { trusted: createIdentity().id }); // the server does not trust this agent
    const guarded = guardMcpClient(c.client, { guard: fx.guard });
    const refused = await guarded.callTool({ name: 'add', arguments: { a: 1, b: 2 } }, { callId: 'r1' });
    expect(refused.isError).toBe(true);
    expect(refused.denial).toMatchObject({ code: 'ERR_GUARD_ENVELOPE_REJECTED', tool: 'add', callId: 'r1' });
    expect(refused.denial?.reason).toContain('ERR_ATTESTATION_KEY_UNTRUSTED');
    expect(refused.denial?.reason).not.toContain('{');
    expect(JSON.parse(refused.content[0]?.text ?? '')).toEqual(refused.denial);
    expect(c.runs()).toBe(0);
    // audited by the guard as a failed call: one terminal record
    expect(callRecords(fx).map((r) => r.type)).toEqual(['call.requested', 'call.failed']);
    await c.close();
  });

  it.each([
    ['a guard code', { code: 'ERR_GUARD_POLICY_DENIED', outcome: 'denied' }, 'ERR_GUARD_POLICY_DENIED', 'denied'],
    ['an unknown code', { code: 'ERR_SOMETHING', outcome: 'weird' }, 'ERR_GUARD_ENVELOPE_REJECTED', 'denied'],
    ['a timeout', { code: 'ERR_GUARD_TOOL_TIMEOUT', outcome: 'timeout' }, 'ERR_GUARD_TOOL_TIMEOUT', 'timeout'],
  ])('forwards a server Denial with %s', async (_label, fields, code, outcome) => {
    const fx = createFixture();
    const text = JSON.stringify({ agentguard: 'refused', reason: `no ${'x'.repeat(2_000)}`, ...fields });
    const c = await connect(fx, { answer: () => ({ content: [{ type: 'text', text }], isError: true }) });
    const refused = await guardMcpClient(c.client, { guard: fx.guard }).callTool({ name: 'boom' });
    expect(refused.denial).toMatchObject({ code, outcome, tool: 'boom' });
    expect(refused.denial?.reason.length).toBeLessThanOrEqual(512);
    expect(refused.denial?.reason).toMatch(/…\[truncated: \d+ chars in all\]$/);
    await c.close();
  });

  it("keeps a tool's own error result a tool failure", async () => {
    const fx = createFixture();
    const c = await connect(fx, { answer: () => ({ content: [{ type: 'text', text: 'disk full' }], isError: true }) });
    const failed = await guardMcpClient(c.client, { guard: fx.guard }).callTool({ name: 'boom' });
    expect(failed.denial).toMatchObject({ code: 'ERR_GUARD_TOOL_FAILED', outcome: 'failed' });
    expect(failed.denial?.reason).toContain('disk full');
    await c.close();
  });

  it("throws a GuardError carrying the typed Denial with onDenied: 'throw'", async () => {
    const fx = createFixture();
    const c = await connect(fx, { trusted: createIdentity().id });
    const guarded = guardMcpClient(c.client, { guard: fx.guard, onDenied: 'throw' });
    await expect(guarded.callTool({ name: 'add', arguments: { a: 1, b: 2 } })).rejects.toMatchObject({
      name: 'GuardError',
      code: 'ERR_GUARD_ENVELOPE_REJECTED',
    });
    await c.close();
  });

  it('gives a pin mismatch its own code, ERR_ADAPTER_MCP_PIN_MISMATCH', async () => {
    const fx = createFixture();
    const c = await connect(fx);
    const pins = createToolPins([{ name: 'add', description: 'old', schemaHash: 'sha256:00', hash: 'sha256:00' }]);
    const guarded = guardMcpClient(c.client, { guard: fx.guard, pins, onDenied: 'throw' });
    await expect(guarded.callTool({ name: 'add', arguments: { a: 1, b: 2 } })).rejects.toMatchObject({
      code: 'ERR_ADAPTER_MCP_PIN_MISMATCH',
    });
    expect(c.runs()).toBe(0);
    await c.close();
  });
});

describe('guardMcpClient: approvals through callTool options', () => {
  it('re-runs a call that needed approval with { callId, approval }', async () => {
    const fx = createFixture();
    const c = await connect(fx);
    const guarded = guardMcpClient(c.client, { guard: fx.guard });
    const args = { invoice: 'inv-1', amount: 5 };
    const first = await guarded.callTool({ name: 'pay', arguments: args }, { callId: 'p1' });
    expect(first.denial?.code).toBe('ERR_GUARD_APPROVAL_REQUIRED');
    const approval = await signAs(fx, { callId: 'p1', tool: 'pay', args }, 'approve');
    const paid = await guarded.callTool({ name: 'pay', arguments: args }, { callId: 'p1', approval });
    expect(paid.isError).toBeFalsy();
    expect(paid.content[0]?.text).toBe('paid inv-1');
    await c.close();
  });
});

describe('guardMcpClient: options are checked when the client is made', () => {
  const fx = createFixture();
  const client = { listTools: async () => ({ tools: [] }), callTool: async () => ({}) } as McpClientLike;
  it.each([
    ['no options', undefined],
    ['no guard', {}],
    ['a guard without an agent', { guard: { guard: () => 0 } }],
    ["another agent's identity", { guard: fx.guard, identity: createIdentity() }],
    ['a schema without identity', { guard: fx.guard, tools: { add: { schema: z.object({}) } } }],
    ['a bad pin store', { guard: fx.guard, pins: { observe: () => 'same' } }],
    ['tools as an array', { guard: fx.guard, tools: [] }],
    ['a tool name no guard can hold', { guard: fx.guard, tools: { 'a b': {} } }],
    ['tags that are not strings', { guard: fx.guard, tools: { add: { tags: [1] } } }],
    ['a negative timeout', { guard: fx.guard, tools: { add: { timeoutMs: -1 } } }],
    ['a non-boolean sensitive', { guard: fx.guard, tools: { add: { sensitive: 'yes' } } }],
    ['an unknown risk tier', { guard: fx.guard, tools: { add: { risk: 'severe' } } }],
    [
      'a schema that is not a Standard Schema',
      { guard: fx.guard, identity: fx.identity, tools: { add: { schema: {} } } },
    ],
    ['an unknown onDenied', { guard: fx.guard, onDenied: 'ignore' }],
  ])('refuses %s', (_label, options) => {
    expect(() => guardMcpClient(client, options as never)).toThrow(
      expect.objectContaining({ name: expect.stringMatching(/^(Type|Range)Error$/) }),
    );
  });
});
