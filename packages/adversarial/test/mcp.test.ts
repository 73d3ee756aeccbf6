/**
 * Invariant: a guarded MCP client lets a call reach a server tool only when the server's listing, read for
 * that call, shows exactly one definition of that name and it equals the pin (pinned on first sight); the
 * server verifier runs a handler only on the very value it verified; and what either side tells the model
 * is a Denial made of our own bounded text, never a server's or a store's error message.
 */
import { createTrustStore, digestArgs, signCall } from '@agentguard/attestation';
import {
  CALL_META_KEY,
  createMcpCallVerifier,
  createToolPins,
  guardMcpClient,
  type McpClientLike,
  type McpToolDefinition,
  pinOf,
} from '@agentguard/adapters/mcp';
import { createAuditLog, createMemorySink } from '@agentguard/audit';
import { createGuard } from '@agentguard/core';
import { digestToolDefinition } from '@agentguard/statement';
import { createIdentity } from '@agentguard/identity';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzParams } from './fuzz.js';

const NAMES = ['add', 'Add', 'read', 'read_file'] as const;
type Name = (typeof NAMES)[number];

function newGuard() {
  const identity = createIdentity({ name: 'mcp-agent' });
  const guard = createGuard({
    identity,
    policy: { version: 1, rules: [{ id: 'tools', effect: 'allow', tools: [...NAMES] }] },
    audit: createAuditLog({ sink: createMemorySink() }),
  });
  return { identity, guard };
}

const fullDigest = ({ name, description, title, inputSchema, outputSchema, annotations }: McpToolDefinition) =>
  digestToolDefinition({ name, description, title, schema: inputSchema, outputSchema, annotations });

/**
 * An in-memory MCP server whose definitions change under test control. Each call it receives is checked
 * on arrival: the definition it holds now must be the one pinned, and listed once (what the client claims).
 */
function fakeServer(pageSize: number) {
  const defs = new Map<string, McpToolDefinition[]>();
  const violations: string[] = [];
  const executed: string[] = [];
  let pins: ReturnType<typeof createToolPins> | undefined;
  const client: McpClientLike = {
    async listTools(params) {
      const all = [...defs.values()].flat();
      const start = params?.cursor === undefined ? 0 : Number(params.cursor);
      const next = start + pageSize < all.length ? String(start + pageSize) : undefined;
      return { tools: all.slice(start, start + pageSize), ...(next === undefined ? {} : { nextCursor: next }) };
    },
    async callTool(params) {
      const held = defs.get(params.name) ?? [];
      const pin = pins?.get(params.name);
      if (held.length !== 1) violations.push(`${params.name}: ${held.length} definitions on the server`);
      else if (pin === undefined) violations.push(`${params.name}: called without a pin`);
      else if (pinOf(held[0] as McpToolDefinition).hash !== pin.hash) violations.push(`${params.name}: not the pin`);
      // Checked apart from pinOf too: the pin's digest is of every field the server lists but _meta.
      else if (pin.digest !== fullDigest(held[0] as McpToolDefinition))
        violations.push(`${params.name}: a field unpinned`);
      executed.push(params.name);
      return { content: [{ type: 'text', text: 'ran' }] };
    },
  };
  return {
    client,
    defs,
    violations,
    executed,
    watch(p: ReturnType<typeof createToolPins>) {
      pins = p;
    },
  };
}

// Each version differs from the one before in exactly one field a model or host acts on, in turn: description,
// title, annotations (the hints a host auto-approves by), output schema. `_meta` changes with every version; it is
// neither pinned nor handed on, so it must neither hold a tool nor let a changed one through.
const def = (name: string, version: number): McpToolDefinition => {
  const bumps = (field: number) => Math.floor((version + 4 - field) / 4);
  return {
    name,
    description: `${name} v${bumps(0)}`,
    title: `${name} t${bumps(1)}`,
    annotations: { readOnlyHint: bumps(2) % 2 === 1, destructiveHint: bumps(2) % 2 === 0, 'x-rev': bumps(2) },
    inputSchema: { type: 'object', properties: { q: { type: 'string' } } },
    outputSchema: { type: 'object', description: `r${bumps(3)}` },
    _meta: { version },
  } as McpToolDefinition;
};

type Op =
  | { op: 'call'; name: Name }
  | { op: 'calls'; names: Name[]; change?: Name }
  | { op: 'list' }
  | { op: 'change'; name: Name }
  | { op: 'remove'; name: Name }
  | { op: 'duplicate'; name: Name }
  | { op: 'approve'; name: Name };

const name = fc.constantFrom(...NAMES);
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('call' as const), name }),
  fc.record(
    { op: fc.constant('calls' as const), names: fc.array(name, { minLength: 2, maxLength: 3 }), change: name },
    { requiredKeys: ['op', 'names'] },
  ),
  fc.record({ op: fc.constant('list' as const) }),
  fc.record({ op: fc.constant('change' as const), name }),
  fc.record({ op: fc.constant('remove' as const), name }),
  fc.record({ op: fc.constant('duplicate' as const), name }),
  fc.record({ op: fc.constant('approve' as const), name }),
);

describe('MCP pins skipped', () => {
  it('regression: a call without listing first, with restored pins, is checked against the live definition', async () => {
    const { guard } = newGuard();
    const server = fakeServer(10);
    server.defs.set('add', [def('add', 2)]);
    const pins = createToolPins([pinOf(def('add', 1))]);
    server.watch(pins);
    const guarded = guardMcpClient(server.client, { guard, pins });
    const result = await guarded.callTool({ name: 'add', arguments: { q: 'x' } });
    expect(result.isError).toBe(true);
    expect(server.executed).toEqual([]);
  });

  it('regression: a definition changed after the first call (no listTools in between) is refused', async () => {
    const { guard } = newGuard();
    const server = fakeServer(1);
    server.defs.set('read', [def('read', 1)]);
    server.defs.set('add', [def('add', 1)]);
    const guarded = guardMcpClient(server.client, { guard });
    server.watch(guarded.pins);
    expect((await guarded.callTool({ name: 'add', arguments: {} })).isError).toBeUndefined();
    server.defs.set('add', [def('add', 2)]);
    expect((await guarded.callTool({ name: 'add', arguments: {} })).isError).toBe(true);
    expect(server.executed).toEqual(['add']);
    expect(server.violations).toEqual([]);
  });

  it('fuzz: no sequence of list / call / change / duplicate / approve makes a call run on an unpinned definition', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 3 }),
        fc.boolean(),
        async (ops, pageSize, restored) => {
          const { guard } = newGuard();
          const server = fakeServer(pageSize);
          const versions = new Map<string, number>(NAMES.map((n) => [n, 1]));
          for (const n of ['add', 'read'] as const) server.defs.set(n, [def(n, 1)]);
          const pins = restored ? createToolPins([pinOf(def('add', 0))]) : createToolPins();
          server.watch(pins);
          const guarded = guardMcpClient(server.client, { guard, pins });
          const bump = (n: Name) => {
            const v = (versions.get(n) ?? 1) + 1;
            versions.set(n, v);
            server.defs.set(n, [def(n, v)]);
          };
          for (const step of ops) {
            if (step.op === 'call') await guarded.callTool({ name: step.name, arguments: { q: 'x' } });
            else if (step.op === 'calls') {
              // two first calls at once, and a change landing while they are on their way
              const running = step.names.map((n) => guarded.callTool({ name: n, arguments: { q: 'y' } }));
              if (step.change !== undefined) bump(step.change);
              await Promise.all(running);
            } else if (step.op === 'list') await guarded.listTools();
            else if (step.op === 'change') bump(step.name);
            else if (step.op === 'remove') server.defs.delete(step.name);
            else if (step.op === 'duplicate') {
              const v = versions.get(step.name) ?? 1;
              server.defs.set(step.name, [def(step.name, v), def(step.name, v + 100)]);
            } else guarded.pins.approve(step.name);
          }
          expect(server.violations).toEqual([]);
        },
      ),
      fuzzParams(40),
    );
  });
});

describe('the tool runs on something other than what was decided (MCP server verifier)', () => {
  it('regression: the handler gets the frozen copy that was verified, not the object the SDK handed over', async () => {
    const { identity } = newGuard();
    const verifier = createMcpCallVerifier({ trust: createTrustStore([identity.id]) });
    const args = { q: 'x' };
    const envelope = (await signCall({ signer: identity, callId: 'c1', tool: 't', args, policyHash: 'p' })).envelope;
    let got: unknown;
    await verifier.wrap('t', async (a: unknown) => {
      got = a;
      return { content: [] };
    })(args, { _meta: { [CALL_META_KEY]: envelope } });
    expect(got).toEqual(args);
    expect(got).not.toBe(args);
    expect(Object.isFrozen(got)).toBe(true);
  });

  it('fuzz: whatever a server schema does to the arguments, the handler runs only on exactly what was signed', async () => {
    const { identity } = newGuard();
    const transforms: Record<string, (a: Record<string, unknown>) => unknown> = {
      identity: (a) => a,
      defaults: (a) => ({ limit: 10, ...a }),
      strip: (a) => Object.fromEntries(Object.entries(a).slice(1)),
      coerce: (a) => Object.fromEntries(Object.entries(a).map(([k, v]) => [k, typeof v === 'number' ? String(v) : v])),
      date: (a) => ({ ...a, at: new Date(0) }),
    };
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
        fc.constantFrom(...Object.keys(transforms)),
        async (raw, which) => {
          const text = JSON.stringify(raw);
          // Args with a `__proto__` member at any depth are refused by signCall itself (tested in envelopes).
          fc.pre(!text.includes('"__proto__":'));
          const signed = JSON.parse(text) as Record<string, unknown>;
          const verifier = createMcpCallVerifier({ trust: createTrustStore([identity.id]) });
          const envelope = (await signCall({ signer: identity, callId: 'c', tool: 't', args: signed, policyHash: 'p' }))
            .envelope;
          const handed = (transforms[which] as (a: Record<string, unknown>) => unknown)(signed);
          let ran: unknown;
          const result = (await verifier.wrap('t', async (a: unknown) => {
            ran = a;
            return { content: [] };
          })(handed, { _meta: { [CALL_META_KEY]: envelope } })) as { isError?: boolean };
          if (result.isError === true) expect(ran).toBeUndefined();
          else expect(digestArgs(ran)).toBe(digestArgs(signed));
        },
      ),
      fuzzParams(100),
    );
  });
});

describe('denials forwarded to the model (MCP)', () => {
  const secret = fc.string({ minLength: 4, maxLength: 40 }).map((s) => `SECRET${s.replace(/[^A-Za-z0-9]/g, 'x')}`);

  it('regression: a failing listing or replay store never reaches the model in the clear', async () => {
    const { guard, identity } = newGuard();
    const failing: McpClientLike = {
      listTools: async () => {
        throw new Error('redis://admin:SECRETpw@10.1.2.3');
      },
      callTool: async () => ({ content: [] }),
    };
    const refused = await guardMcpClient(failing, { guard }).callTool({ name: 'add', arguments: {} });
    expect(refused.content[0]?.text).not.toContain('SECRET');
    const verifier = createMcpCallVerifier({
      trust: createTrustStore([identity.id]),
      replayCache: {
        checkAndRemember: () => {
          throw new Error('redis://admin:SECRETpw@10.1.2.3');
        },
      },
    });
    const envelope = (await signCall({ signer: identity, callId: 'c', tool: 't', args: {}, policyHash: 'p' })).envelope;
    const result = (await verifier.wrap('t', async () => ({ content: [] }))(
      {},
      { _meta: { [CALL_META_KEY]: envelope } },
    )) as {
      content: { text: string }[];
    };
    expect(result.content[0]?.text).not.toContain('SECRET');
  });

  it('fuzz: what the model sees for a listing failure, a verifier failure or a bad name is a bounded Denial without the secret', async () => {
    const { guard, identity } = newGuard();
    await fc.assert(
      fc.asyncProperty(secret, fc.string({ maxLength: 300 }), async (text, badName) => {
        const failing: McpClientLike = {
          listTools: async () => {
            throw Object.assign(new Error(text), { stack: text });
          },
          callTool: async () => ({ content: [] }),
        };
        const client = guardMcpClient(failing, { guard });
        for (const name of ['add', badName]) {
          const seen = (await client.callTool({ name, arguments: {} })).content[0]?.text ?? '';
          expect(seen).not.toContain(text);
          const denial = JSON.parse(seen) as { agentguard: string; reason: string; tool: string };
          expect(denial.agentguard).toBe('refused');
          expect(denial.tool.length).toBeLessThanOrEqual(128);
        }
        const verifier = createMcpCallVerifier({
          trust: createTrustStore([identity.id]),
          replayCache: {
            checkAndRemember: () => {
              throw new Error(text);
            },
          },
        });
        const envelope = (await signCall({ signer: identity, callId: 'c', tool: 't', args: {}, policyHash: 'p' }))
          .envelope;
        const out = (await verifier.wrap('t', async () => ({ content: [] }))(
          {},
          { _meta: { [CALL_META_KEY]: envelope }, requestId: text.repeat(20) },
        )) as { content: { text: string }[] };
        const refusal = JSON.parse(out.content[0]?.text ?? '') as { reason: string; callId: string };
        expect(refusal.reason).not.toContain(text);
        expect(refusal.callId.length).toBeLessThanOrEqual(256);
      }),
      fuzzParams(40),
    );
  });
});
