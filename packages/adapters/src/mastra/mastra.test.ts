import { createApproval } from '@agentguard/attestation';
import { createAuditLog, createMemorySink } from '@agentguard/audit';
import { createGuard } from '@agentguard/core';
import { createIdentity } from '@agentguard/identity';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { mastraSupported } from '../../test/node-version.js';
import { inputSchemaOf, parseResume } from './schema.js';

// Runtime-neutral parts: no Mastra needed.
describe('mastra adapter internals', () => {
  it('reads resume data failing closed: only approved === true approves', () => {
    expect(parseResume(undefined)).toBeUndefined();
    expect(parseResume(null)).toBeUndefined();
    expect(parseResume({ approved: true })).toEqual({ approved: true });
    for (const bad of [{ approved: 'yes' }, { approved: 1 }, {}, 'approved', true, []]) {
      expect(parseResume(bad)).toMatchObject({ approved: false });
    }
    expect(parseResume({ approved: false, reason: 'no' })).toEqual({ approved: false, reason: 'no' });
  });

  it('gives the framework the JSON Schema and a validator that leaves the value to the guard', async () => {
    const schema = inputSchemaOf({ type: 'object', properties: { a: { type: 'number' } } });
    const std = schema['~standard'];
    expect(await std.validate({ a: 'not a number' })).toEqual({ value: { a: 'not a number' } });
    expect(std.jsonSchema.input({ target: 'draft-07' })).toEqual({
      type: 'object',
      properties: { a: { type: 'number' } },
    });
  });
});

const human = createIdentity({ name: 'mastra-test-approver' });

function fixture() {
  const sink = createMemorySink();
  const ag = createGuard({
    identity: createIdentity({ name: 'mastra-test-agent' }),
    policy: {
      version: 1,
      rules: [{ id: 'pay-needs-human', effect: 'require_approval', tools: ['pay'], reason: 'payments need a human' }],
    },
    audit: createAuditLog({ sink }),
    approvals: { approvers: [human.id] },
  });
  let ran = 0;
  const pay = ag.guard({
    name: 'pay',
    schema: z.object({ amount: z.number() }),
    execute: async ({ amount }) => {
      ran++;
      return `paid ${amount}`;
    },
  });
  const signs: string[] = [];
  const approve = async (r: { callId: string; tool: string; args: unknown }) => {
    signs.push(r.callId);
    return createApproval(
      { callId: r.callId, tool: r.tool, args: r.args, policyHash: ag.policyHash },
      { approver: human },
    );
  };
  return { ag, sink, pay, approve, signs, ran: () => ran };
}

// Mastra's execute context, as its agent loop hands it to a tool (the parts the adapter reads).
function context(callId: string, resumeData?: unknown) {
  const suspended: unknown[] = [];
  const agent = {
    toolCallId: callId,
    suspend: async (payload: unknown) => {
      suspended.push(payload);
    },
    ...(resumeData === undefined ? {} : { resumeData }),
  };
  return { ctx: { agent, requestContext: undefined } as never, suspended };
}

// @mastra/core declares Node >= 22.13: these run on Node 22+ (CI's Node 24 run) only.
describe.runIf(mastraSupported)('toMastraTool (Node 22+)', () => {
  it('suspends a call that needs a human, runs it once approved and signed, never signs twice', async () => {
    const { toMastraTool } = await import('./tool.js');
    const fx = fixture();
    const tool = toMastraTool(fx.pay, { approve: fx.approve });
    const first = context('c1');
    expect(await tool.execute?.({ amount: 5 }, first.ctx)).toBeUndefined();
    expect(first.suspended).toEqual([
      expect.objectContaining({ agentguard: 'approval-required', callId: 'c1', tool: 'pay', args: { amount: 5 } }),
    ]);
    expect(fx.ran()).toBe(0);
    expect(await tool.execute?.({ amount: 5 }, context('c1', { approved: true }).ctx)).toBe('paid 5');
    expect(fx.ran()).toBe(1);
    // The same resume again: no second signature, and the guard refuses a run without one.
    const again = (await tool.execute?.({ amount: 5 }, context('c1', { approved: true }).ctx)) as { code?: string };
    expect(again.code).toMatch(/^ERR_GUARD_APPROVAL_/);
    expect(fx.signs).toEqual(['c1']);
    expect(fx.ran()).toBe(1);
  });

  it('a malformed resume answer is a refusal, recorded by the tool itself', async () => {
    const { toMastraTool } = await import('./tool.js');
    const fx = fixture();
    const tool = toMastraTool(fx.pay, { approve: fx.approve });
    const out = (await tool.execute?.({ amount: 5 }, context('c2', { approved: 'yes' }).ctx)) as { code?: string };
    expect(out.code).toBe('ERR_GUARD_APPROVAL_REFUSED');
    expect(fx.ran()).toBe(0);
    expect(fx.signs).toEqual([]);
    const types = fx.sink.lines.map((l) => (JSON.parse(l) as { type: string }).type);
    expect(types).toContain('approval.refused');
  });

  it('without approve, the guard decides alone: a call needing a human is refused, not suspended', async () => {
    const { toMastraTool } = await import('./tool.js');
    const fx = fixture();
    const c = context('c3');
    const out = (await toMastraTool(fx.pay).execute?.({ amount: 5 }, c.ctx)) as { code?: string };
    expect(out.code).toBe('ERR_GUARD_APPROVAL_REQUIRED');
    expect(c.suspended).toEqual([]);
  });

  it('onDenied throw throws the GuardError; duplicate names and non-guarded tools are misuse', async () => {
    const { toMastraTool, toMastraTools } = await import('./tool.js');
    const fx = fixture();
    await expect(
      toMastraTool(fx.pay, { onDenied: 'throw' }).execute?.({ amount: 1 }, context('c4').ctx),
    ).rejects.toMatchObject({
      code: 'ERR_GUARD_APPROVAL_REQUIRED',
    });
    expect(() => toMastraTools([fx.pay, fx.pay])).toThrow(TypeError);
    expect(() => toMastraTool((() => 1) as never)).toThrow(TypeError);
    expect(Object.keys(toMastraTools([fx.pay]))).toEqual(['pay']);
  });
});
