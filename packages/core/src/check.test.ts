import { createAuditLog, createMemorySink } from '@agentguard/audit';
import { createIdentity } from '@agentguard/identity';
import { createApproval, createTrustStore, signCall, verifyCall } from '@agentguard/attestation';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createGuard } from './index.js';
import type { PolicyDocument } from '@agentguard/policy';

const alice = createIdentity({ name: 'approver' });
const policy: PolicyDocument = {
  version: 1,
  rules: [
    { id: 'pay', effect: 'allow', tools: ['pay'], when: { '/amount': { max: 100 } } },
    { id: 'big-pay', effect: 'require_approval', tools: ['pay'], when: { '/amount': { min: 100.01 } } },
    { id: 'no-delete', effect: 'deny', tools: ['delete'] },
  ],
  limits: [{ id: 'daily', tools: ['pay'], budget: { arg: '/amount', max: 150, windowMs: 86_400_000 } }],
};

function setup() {
  const sink = createMemorySink();
  const identity = createIdentity();
  const ag = createGuard({
    identity,
    policy,
    audit: createAuditLog({ sink }),
    approvals: { approvers: [alice.id] },
  });
  const execute = vi.fn(({ amount }: { amount: number }) => `paid ${amount}`);
  const pay = ag.guard({ name: 'pay', schema: z.object({ amount: z.number() }), execute });
  return { ag, pay, execute, sink, identity };
}

describe('check(): decide now, run later', () => {
  it('keeps the decision for the run with the same call id, so a budget counts the call once', async () => {
    const { pay, execute, sink } = setup();
    await expect(pay.check({ amount: 90 }, { callId: 'p1' })).resolves.toMatchObject({
      effect: 'allow',
      ruleId: 'pay',
    });
    expect(sink.lines).toHaveLength(0);
    await expect(pay({ amount: 90 }, { callId: 'p1' })).resolves.toBe('paid 90');
    // 90 + 90 would pass the budget of 150 had the run decided again.
    expect(execute).toHaveBeenCalledOnce();
    await expect(pay({ amount: 90 }, { callId: 'p2' })).rejects.toMatchObject({ code: 'ERR_GUARD_POLICY_DENIED' });
  });

  it('a checked denial stays a denial, and the tool never runs', async () => {
    const { ag } = setup();
    const execute = vi.fn();
    const del = ag.guard({ name: 'delete', schema: z.object({}), execute });
    await expect(del.check({}, { callId: 'd1' })).resolves.toMatchObject({
      effect: 'deny',
      code: 'ERR_GUARD_POLICY_DENIED',
    });
    await expect(del({}, { callId: 'd1' })).rejects.toMatchObject({ code: 'ERR_GUARD_POLICY_DENIED' });
    expect(execute).not.toHaveBeenCalled();
  });

  it('require_approval: the framework asks a human, then runs with the signed approval', async () => {
    const { ag, pay, execute } = setup();
    const args = { amount: 120 };
    await expect(pay.check(args, { callId: 'b1' })).resolves.toMatchObject({ effect: 'require_approval' });
    const approval = await createApproval(
      { callId: 'b1', tool: 'pay', args, policyHash: ag.policyHash },
      { approver: alice },
    );
    await expect(pay(args, { callId: 'b1', approval })).resolves.toBe('paid 120');
    expect(execute).toHaveBeenCalledOnce();
  });

  it('reports the value it decided on, which is what an approval must bind when the schema transforms', async () => {
    const ag = createGuard({
      identity: createIdentity(),
      policy: { ...policy, limits: [] },
      audit: createAuditLog({ sink: createMemorySink() }),
      approvals: { approvers: [alice.id] },
    });
    const execute = vi.fn(({ amount }: { amount: number; memo: string }) => `paid ${amount}`);
    // The model sends a string amount and no memo; the schema coerces and fills the default.
    const schema = z.object({ amount: z.coerce.number(), memo: z.string().default('none') });
    const pay = ag.guard({ name: 'pay', schema, execute });
    const checked = await pay.check({ amount: '120' }, { callId: 't1' });
    expect(checked).toMatchObject({ effect: 'require_approval', args: { amount: 120, memo: 'none' } });
    expect(Object.isFrozen(checked.args)).toBe(true);

    // An approval over the received arguments does not cover what would run...
    const stale = await createApproval(
      { callId: 't1', tool: 'pay', args: { amount: '120' }, policyHash: ag.policyHash },
      { approver: alice },
    );
    await expect(pay.safeRun({ amount: '120' }, { callId: 't1', approval: stale })).resolves.toMatchObject({
      ok: false,
    });
    expect(execute).not.toHaveBeenCalled();
    // ...one over the reported value does, and the tool runs on exactly that value.
    const checkedAgain = await pay.check({ amount: '120' }, { callId: 't2' });
    const approval = await createApproval(
      { callId: 't2', tool: 'pay', args: checkedAgain.args, policyHash: ag.policyHash },
      { approver: alice },
    );
    await expect(pay({ amount: '120' }, { callId: 't2', approval })).resolves.toBe('paid 120');
    expect(execute).toHaveBeenCalledExactlyOnceWith({ amount: 120, memo: 'none' }, expect.anything());
  });

  it('reports no value when the arguments did not validate', async () => {
    const { pay } = setup();
    const checked = await pay.check({ amount: 'x' });
    expect(checked.effect).toBe('deny');
    expect(checked).not.toHaveProperty('args');
  });

  it('a kept decision is not used for other arguments or after the policy changed', async () => {
    const { ag, pay, execute } = setup();
    await pay.check({ amount: 10 }, { callId: 'x1' });
    await expect(pay({ amount: 99 }, { callId: 'x1' })).resolves.toBe('paid 99');
    await pay.check({ amount: 10 }, { callId: 'x2' });
    await ag.setPolicy({ version: 1, rules: [{ id: 'nothing', effect: 'deny', tools: ['pay'] }] });
    await expect(pay({ amount: 10 }, { callId: 'x2' })).rejects.toMatchObject({ code: 'ERR_GUARD_POLICY_DENIED' });
    expect(execute).toHaveBeenCalledTimes(1);
  });

  it('invalid arguments are a deny with ERR_GUARD_ARGS_INVALID', async () => {
    const { pay } = setup();
    await expect(pay.check({ amount: 'lots' })).resolves.toMatchObject({
      effect: 'deny',
      code: 'ERR_GUARD_ARGS_INVALID',
    });
  });
});

describe('ToolContext.envelope and signEnvelope', () => {
  const forwarding = (ag: ReturnType<typeof setup>['ag'], seen: unknown[]) =>
    ag.guard({
      name: 'pay',
      schema: z.object({ amount: z.number() }),
      execute: async (_args, ctx) => {
        seen.push(ctx.envelope, await ctx.signEnvelope(), await ctx.signEnvelope());
        return 'ok';
      },
    });

  it('signs no envelope a tool does not ask for; signEnvelope signs the call once, verifiable by any party', async () => {
    const { ag, identity } = setup();
    const seen: unknown[] = [];
    await forwarding(ag, seen)({ amount: 1 }, { callId: 'e1' });
    const [given, signed, again] = seen;
    expect(given).toBeUndefined();
    expect(again).toBe(signed); // once per call
    const check = await verifyCall(signed, {
      trust: createTrustStore([identity.id]),
      args: { amount: 1 },
      expectedTool: 'pay',
      expectedCallId: 'e1',
    });
    expect(check).toMatchObject({ ok: true, claims: { agent: identity.id, policyHash: ag.policyHash } });
  });

  it('signs no envelope for a call that has ended: a tool keeping its context gets a refusal, not a fresh authority', async () => {
    const { ag } = setup();
    let kept: { signEnvelope: () => Promise<unknown> } | undefined;
    const slow = ag.guard({
      name: 'pay',
      schema: z.object({ amount: z.number() }),
      timeoutMs: 20,
      execute: async (_args, ctx) => {
        kept = ctx;
        await new Promise((resolve) => setTimeout(resolve, 200));
        return 'late';
      },
    });
    expect(await slow.safeRun({ amount: 1 })).toMatchObject({ ok: false, denial: { code: 'ERR_GUARD_TOOL_TIMEOUT' } });
    await expect(kept?.signEnvelope()).rejects.toThrow(/has ended/);
    const done: Array<{ signEnvelope: () => Promise<unknown> }> = [];
    await ag.guard({ name: 'pay', schema: z.object({ amount: z.number() }), execute: (_a, ctx) => done.push(ctx) })({
      amount: 1,
    });
    await expect(done[0]?.signEnvelope()).rejects.toThrow(/has ended/);
  });

  it('signs one in throughput mode too, and a signer in another process gets its envelope handed over', async () => {
    const identity = createIdentity();
    const logKey = createIdentity();
    const elsewhere = { id: identity.id, keyId: identity.keyId, publicKey: identity.publicKey, sign: identity.sign };
    for (const [signer, batched] of [
      [identity, true],
      [elsewhere, false],
    ] as const) {
      const ag = createGuard({
        identity: signer,
        policy,
        audit: createAuditLog({ sink: createMemorySink(), checkpoint: { signer: logKey } }),
      });
      const seen: unknown[] = [];
      const tool = ag.guard({
        name: 'pay',
        schema: z.object({ amount: z.number() }),
        ...(batched ? { signing: 'batched' as const } : {}),
        execute: async (_args, ctx) => {
          seen.push(ctx.envelope, await ctx.signEnvelope());
          return 'ok';
        },
      });
      await tool({ amount: 3 }, { callId: 'e3' });
      const [given, signed] = seen;
      // Batched: no envelope with the call, one signed on demand. Elsewhere: the one the call was made with.
      expect(given === undefined).toBe(batched);
      if (!batched) expect(signed).toBe(given);
      const check = await verifyCall(signed, {
        trust: createTrustStore([identity.id]),
        args: { amount: 3 },
        expectedTool: 'pay',
        expectedCallId: 'e3',
      });
      expect(check.ok).toBe(true);
    }
  });

  it('hands over the envelope the call came with: a caller’s, verified, is what signEnvelope gives', async () => {
    const { ag, identity } = setup();
    const signed = await signCall({
      signer: identity,
      callId: 'e2',
      tool: 'pay',
      args: { amount: 2 },
      policyHash: ag.policyHash,
    });
    const seen: unknown[] = [];
    await forwarding(ag, seen)({ amount: 2 }, { callId: 'e2', envelope: signed.envelope });
    expect(seen).toEqual([signed.envelope, signed.envelope, signed.envelope]);
  });
});
