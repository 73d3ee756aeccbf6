import { createAuditLog, createMemorySink, verifyLog } from '@agentguard/audit';
import { createIdentity } from '@agentguard/identity';
import { createPolicyEngine, type PolicyDocument } from '@agentguard/policy';
import { createApproval } from '@agentguard/attestation';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { type Approver, createGuard, GuardError } from './index.js';

// GuardedTool.refuse() must never write a refusal for a call that already reached its run: the log would say
// a human refused a call that ran (security review: refuse() after approval, during and after the run).
const alice = createIdentity({ name: 'alice (approver)' });
const policy: PolicyDocument = {
  version: 1,
  rules: [
    { id: 'pay-needs-human', effect: 'require_approval', tools: ['pay'], reason: 'payments need a human' },
    { id: 'no-big', effect: 'deny', tools: ['pay'], when: { '/amount': { min: 1000 } }, reason: 'too big' },
    { id: 'boom', effect: 'allow', tools: ['boom'] },
  ],
};
const schema = z.object({ amount: z.number().positive(), to: z.string() });
type Rec = { type: string; callId: string; data: Record<string, unknown> };

function setup(approver?: Approver) {
  const memory = createMemorySink();
  const identity = createIdentity({ name: 'agent' });
  const engine = createPolicyEngine(policy);
  const ag = createGuard({
    identity,
    policy: engine,
    audit: createAuditLog({ sink: memory }),
    approvals: { approvers: [alice.id], ...(approver === undefined ? {} : { approver }) },
  });
  const gates: Array<() => void> = [];
  const execute = vi.fn(({ amount }: { amount: number }) =>
    amount === 1 ? new Promise<string>((resolve) => gates.push(() => resolve('slow paid'))) : `paid ${amount}`,
  );
  const pay = ag.guard({ name: 'pay', schema, execute });
  const records = () => memory.lines.map((l) => JSON.parse(l) as Rec).filter((r) => r.type !== 'checkpoint');
  const approve = (callId: string, args: unknown) =>
    createApproval({ callId, tool: 'pay', args, policyHash: engine.hash }, { approver: alice });
  return { pay, execute, gates, records, approve, memory, identity, hash: engine.hash };
}

async function refuseError(promise: Promise<unknown>): Promise<GuardError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GuardError);
  return error as GuardError;
}

describe('GuardedTool.refuse() of a call that already ran', () => {
  it('during a slow approved run: throws ERR_GUARD_CALL_ALREADY_RUN, writes nothing, the run completes', async () => {
    const { pay, gates, records, approve } = setup();
    const args = { amount: 1, to: 'x' };
    const run = pay.safeRun(args, { callId: 'c1', approval: await approve('c1', args) });
    await vi.waitFor(() => expect(gates).toHaveLength(1));
    const error = await refuseError(pay.refuse(args, { callId: 'c1', reason: 'too late' }));
    expect(error.code).toBe('ERR_GUARD_CALL_ALREADY_RUN');
    expect(error.denial).toMatchObject({ callId: 'c1', tool: 'pay', code: 'ERR_GUARD_CALL_ALREADY_RUN' });
    expect(error.message).toMatch(/already ran or is running/);
    gates[0]?.();
    await expect(run).resolves.toMatchObject({ ok: true, value: 'slow paid' });
    expect(records().map((r) => r.type)).toEqual(['call.requested', 'approval.granted', 'call.completed']);
  });

  it('after the run completed: throws, writes nothing; a second try too (other args, a signed rejection)', async () => {
    const { pay, records, approve, memory, identity, hash } = setup();
    const args = { amount: 5, to: 'x' };
    await expect(pay(args, { callId: 'c2', approval: await approve('c2', args) })).resolves.toBe('paid 5');
    const before = records().length;
    expect((await refuseError(pay.refuse(args, { callId: 'c2' }))).code).toBe('ERR_GUARD_CALL_ALREADY_RUN');
    const signed = await createApproval(
      { callId: 'c2', tool: 'pay', args: { amount: 6, to: 'y' }, policyHash: hash },
      { approver: alice, decision: 'reject' },
    );
    const again = pay.refuse({ amount: 6, to: 'y' }, { callId: 'c2', approval: signed });
    expect((await refuseError(again)).code).toBe('ERR_GUARD_CALL_ALREADY_RUN');
    expect(records()).toHaveLength(before);
    expect(records().filter((r) => r.type === 'approval.refused')).toEqual([]);
    expect(verifyLog(memory.text(), { trust: [identity.id] }).ok).toBe(true);
  });

  it('after a run the tool threw in (it did start): throws, writes nothing', async () => {
    const memory = createMemorySink();
    const ag = createGuard({ identity: createIdentity(), policy, audit: createAuditLog({ sink: memory }) });
    const boom = ag.guard({
      name: 'boom',
      schema: z.object({}),
      execute: () => {
        throw new Error('half done');
      },
    });
    await expect(boom.safeRun({}, { callId: 'c3' })).resolves.toMatchObject({ ok: false });
    expect((await refuseError(boom.refuse({}, { callId: 'c3' }))).code).toBe('ERR_GUARD_CALL_ALREADY_RUN');
    expect(memory.lines.map((l) => (JSON.parse(l) as Rec).type)).not.toContain('approval.refused');
  });

  it('a refusal that lands while the approver is still deciding wins: the run is denied, the tool never runs', async () => {
    let release: (() => void) | undefined;
    const approver: Approver = (req) =>
      new Promise((resolve) => {
        release = () => resolve(createApproval(req, { approver: alice }));
      });
    const { pay, execute, records } = setup(approver);
    const args = { amount: 5, to: 'x' };
    const run = pay.safeRun(args, { callId: 'c4' });
    await vi.waitFor(() => expect(release).toBeDefined());
    await expect(pay.refuse(args, { callId: 'c4' })).resolves.toMatchObject({ code: 'ERR_GUARD_APPROVAL_REFUSED' });
    release?.();
    await expect(run).resolves.toMatchObject({ ok: false, denial: { code: 'ERR_GUARD_APPROVAL_REFUSED' } });
    expect(execute).not.toHaveBeenCalled();
    const ends = records().filter((r) => ['call.completed', 'call.failed', 'call.denied'].includes(r.type));
    expect(ends.map((r) => r.type)).toEqual(['call.denied']);
  });

  it('after a run the guard itself denied (never executed): the refusal is recorded and the id stays refused', async () => {
    const { pay, execute, records, approve, hash } = setup();
    const big = { amount: 5000, to: 'x' };
    await expect(pay.safeRun(big, { callId: 'c5' })).resolves.toMatchObject({ ok: false });
    await expect(pay.refuse(big, { callId: 'c5' })).resolves.toMatchObject({ code: 'ERR_GUARD_APPROVAL_REFUSED' });
    // A forged approval ends a run refused by the guard; a human's refusal after it still stands.
    const args = { amount: 5, to: 'x' };
    const forged = await createApproval(
      { callId: 'c6', tool: 'pay', args, policyHash: hash },
      { approver: createIdentity() },
    );
    await expect(pay.safeRun(args, { callId: 'c6', approval: forged })).resolves.toMatchObject({ ok: false });
    await expect(pay.refuse(args, { callId: 'c6' })).resolves.toMatchObject({ code: 'ERR_GUARD_APPROVAL_REFUSED' });
    await expect(pay(args, { callId: 'c6', approval: await approve('c6', args) })).rejects.toMatchObject({
      code: 'ERR_GUARD_APPROVAL_REFUSED',
    });
    expect(execute).not.toHaveBeenCalled();
    expect(
      records()
        .filter((r) => r.type === 'approval.refused')
        .map((r) => r.callId),
    ).toEqual(['c5', 'c6', 'c6']);
  });
});
