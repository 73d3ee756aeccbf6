import { createAuditLog, createMemorySink } from '@agentguard/audit';
import { createIdentity } from '@agentguard/identity';
import { createPolicyEngine } from '@agentguard/policy';
import { createApproval } from '@agentguard/attestation';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { type ApprovalOptions, createGuard } from './index.js';

const policy = {
  version: 1,
  rules: [
    { id: 'refunds-need-a-human', effect: 'require_approval', tools: ['refund'], reason: 'refunds need a human' },
  ],
  limits: [{ id: 'daily-refunds', tools: ['refund'], budget: { arg: '/amount', max: 1000, windowMs: 86_400_000 } }],
};
const alice = createIdentity({ name: 'alice (approver)' });
const schema = z.object({ amount: z.number().positive(), to: z.string() });

function setup(approvals?: Partial<ApprovalOptions>) {
  const sink = createMemorySink();
  const engine = createPolicyEngine(policy);
  const ag = createGuard({
    identity: createIdentity({ name: 'support-agent' }),
    policy: engine,
    audit: createAuditLog({ sink }),
    approvals: { approvers: [alice.id], ...approvals },
  });
  const execute = vi.fn(({ amount }: { amount: number }) => ({ refunded: amount }));
  const refund = ag.guard({ name: 'refund', schema, execute });
  const types = () => sink.lines.map((l) => (JSON.parse(l) as { type: string }).type).filter((t) => t !== 'checkpoint');
  const approve = (callId: string, args: unknown, opts: Parameters<typeof createApproval>[1] = { approver: alice }) =>
    createApproval({ callId, tool: 'refund', args, policyHash: engine.hash }, opts);
  return { ag, refund, execute, sink, types, approve };
}

describe('approvals', () => {
  it('without an approver, the call waits with ERR_GUARD_APPROVAL_REQUIRED and resumes with a signed approval', async () => {
    const { refund, execute, types, approve } = setup();
    const args = { amount: 600, to: 'cust-1' };
    const first = await refund.safeRun(args, { callId: 'c1' });
    expect(first).toMatchObject({
      ok: false,
      denial: { code: 'ERR_GUARD_APPROVAL_REQUIRED', outcome: 'approval_required' },
    });
    expect(execute).not.toHaveBeenCalled();
    // Resumed with the parked decision: the 600 is counted once, so the budget of 1000 still holds it.
    await expect(refund(args, { callId: 'c1', approval: await approve('c1', args) })).resolves.toEqual({
      refunded: 600,
    });
    expect(types()).toEqual([
      'call.requested',
      'approval.requested',
      'call.requested',
      'approval.granted',
      'call.completed',
    ]);
  });

  it('asks the approver and records who approved', async () => {
    const { refund, sink, approve } = setup({ approver: (req) => approve(req.callId, req.args) });
    await expect(refund({ amount: 10, to: 'x' })).resolves.toEqual({ refunded: 10 });
    const granted = sink.lines.map((l) => JSON.parse(l)).find((r) => r.type === 'approval.granted');
    expect(granted.data.approver).toBe(alice.id);
  });

  it('refuses an approval signed by a key that is not a trusted approver (forgery)', async () => {
    const mallory = createIdentity();
    const { refund, execute, approve } = setup({
      approver: (req) => approve(req.callId, req.args, { approver: mallory }),
    });
    await expect(refund({ amount: 10, to: 'x' })).rejects.toMatchObject({ code: 'ERR_GUARD_APPROVAL_REFUSED' });
    expect(execute).not.toHaveBeenCalled();
  });

  it('refuses an approval of other arguments', async () => {
    const { refund, execute, approve } = setup({ approver: (req) => approve(req.callId, { amount: 1, to: 'x' }) });
    const error = await refund({ amount: 900, to: 'x' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_GUARD_APPROVAL_REFUSED', message: expect.stringMatching(/arg/i) });
    expect(execute).not.toHaveBeenCalled();
  });

  it('accepts an approval once only (replay)', async () => {
    const { refund, execute, approve } = setup();
    const args = { amount: 5, to: 'x' };
    const approval = await approve('c2', args);
    await expect(refund(args, { callId: 'c2', approval })).resolves.toEqual({ refunded: 5 });
    await expect(refund(args, { callId: 'c2', approval })).rejects.toMatchObject({
      code: 'ERR_GUARD_APPROVAL_REFUSED',
    });
    expect(execute).toHaveBeenCalledTimes(1);
  });

  it('refuses an expired approval and a signed rejection', async () => {
    const { refund, execute, approve } = setup();
    const args = { amount: 5, to: 'x' };
    const expired = await approve('c3', args, {
      approver: alice,
      nowMs: Date.now() - 3_600_000,
      ttlMs: 60_000,
    });
    await expect(refund(args, { callId: 'c3', approval: expired })).rejects.toMatchObject({
      code: 'ERR_GUARD_APPROVAL_REFUSED',
    });
    const rejected = await approve('c4', args, { approver: alice, decision: 'reject' });
    await expect(refund(args, { callId: 'c4', approval: rejected })).rejects.toMatchObject({
      code: 'ERR_GUARD_APPROVAL_REFUSED',
    });
    expect(execute).not.toHaveBeenCalled();
  });

  it('an approver that does not answer in time is a refusal', async () => {
    const { refund, execute } = setup({ approver: () => new Promise(() => {}), timeoutMs: 20 });
    await expect(refund({ amount: 5, to: 'x' })).rejects.toMatchObject({ code: 'ERR_GUARD_APPROVAL_REFUSED' });
    expect(execute).not.toHaveBeenCalled();
  });

  it('batch: parallel calls, some approved and some rejected, each ends with exactly one outcome', async () => {
    const { refund, execute, sink, approve } = setup({
      approver: (req) =>
        (req.args as { amount: number }).amount < 100
          ? approve(req.callId, req.args)
          : approve(req.callId, req.args, { approver: alice, decision: 'reject' }),
    });
    // Budgets are reserved when the policy decides, so keep the total under the daily 1000.
    const amounts = [10, 500, 20, 300, 30];
    const outcomes = await Promise.all(
      amounts.map((amount, i) => refund.safeRun({ amount, to: 'x' }, { callId: `b${i}` })),
    );
    expect(outcomes.map((o) => o.ok)).toEqual([true, false, true, false, true]);
    expect(execute).toHaveBeenCalledTimes(3);
    const records = sink.lines.map((l) => JSON.parse(l) as { type: string; callId: string });
    for (let i = 0; i < amounts.length; i++) {
      const ends = records.filter(
        (r) => r.callId === `b${i}` && ['call.completed', 'approval.refused'].includes(r.type),
      );
      expect(ends).toHaveLength(1);
    }
  });
});
