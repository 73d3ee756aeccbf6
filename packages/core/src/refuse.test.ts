import { type AuditSink, createAuditLog, createMemorySink, verifyLog } from '@agentguard/audit';
import { createIdentity } from '@agentguard/identity';
import { createPolicyEngine, type PolicyDocument } from '@agentguard/policy';
import { createApproval } from '@agentguard/attestation';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { type Approver, createGuard, type Denial } from './index.js';

const alice = createIdentity({ name: 'alice (approver)' });
const policy: PolicyDocument = {
  version: 1,
  rules: [{ id: 'pay-needs-human', effect: 'require_approval', tools: ['pay'], reason: 'payments need a human' }],
};
const schema = z.object({ amount: z.number().positive(), to: z.string() });
type Rec = { type: string; callId: string; agent: string; data: Record<string, unknown> };

function setup(options: { approver?: Approver; sink?: AuditSink } = {}) {
  const memory = createMemorySink();
  const identity = createIdentity({ name: 'agent' });
  const engine = createPolicyEngine(policy);
  const ag = createGuard({
    identity,
    policy: engine,
    audit: createAuditLog({ sink: options.sink ?? memory }),
    approvals: { approvers: [alice.id], ...(options.approver === undefined ? {} : { approver: options.approver }) },
  });
  const execute = vi.fn(({ amount }: { amount: number }) => `paid ${amount}`);
  const pay = ag.guard({ name: 'pay', schema, execute });
  const records = () =>
    memory.lines.map((l) => JSON.parse(l) as Rec).filter((r) => r.type !== 'checkpoint' && r.type !== 'gap');
  const sign = (callId: string, args: unknown, decision: 'approve' | 'reject' = 'reject', by = alice) =>
    createApproval({ callId, tool: 'pay', args, policyHash: engine.hash }, { approver: by, decision });
  return { ag, pay, execute, memory, records, sign, identity };
}

/** Per record: its type and its data's field names, the shape an auditor's tooling reads. */
const shape = (records: Rec[]) => records.map((r) => [r.type, Object.keys(r.data).sort()]);

describe('GuardedTool.refuse(): a refusal given through a framework is audited', () => {
  it('writes the same records as a refusal through the guard’s own approver (unsigned)', async () => {
    const viaGuard = setup({ approver: () => null });
    await viaGuard.pay.safeRun({ amount: 5, to: 'x' }, { callId: 'g1' });
    const viaFramework = setup();
    await viaFramework.pay.check({ amount: 5, to: 'x' }, { callId: 'f1' });
    const denial = await viaFramework.pay.refuse({ amount: 5, to: 'x' }, { callId: 'f1' });
    expect(shape(viaFramework.records())).toEqual(shape(viaGuard.records()));
    expect(shape(viaFramework.records()).map(([t]) => t)).toEqual(['call.requested', 'approval.refused']);
    const refused = viaFramework.records()[1];
    expect(refused?.data).toMatchObject({
      approvalCode: 'ERR_ATTESTATION_APPROVAL_REJECTED',
      code: 'ERR_GUARD_APPROVAL_REFUSED',
      decision: { effect: 'require_approval', ruleId: 'pay-needs-human' },
    });
    expect(refused?.data.approver).toBeUndefined();
    expect(denial).toEqual({
      agentguard: 'refused',
      outcome: 'denied',
      code: 'ERR_GUARD_APPROVAL_REFUSED',
      reason: 'approval refused: declined without signing',
      tool: 'pay',
      callId: 'f1',
      ruleId: 'pay-needs-human',
    });
    expect(verifyLog(viaFramework.memory.text(), { trust: [viaFramework.identity.id] }).ok).toBe(true);
  });

  it('a signed rejection names the approver, as a signed rejection through the guard’s approver does', async () => {
    const viaGuard = setup({ approver: (req) => createApproval(req, { approver: alice, decision: 'reject' }) });
    await viaGuard.pay.safeRun({ amount: 5, to: 'x' }, { callId: 'g2' });
    const viaFramework = setup();
    const args = { amount: 5, to: 'x' };
    await viaFramework.pay.check(args, { callId: 'f2' });
    const approval = await viaFramework.sign('f2', args);
    await viaFramework.pay.refuse(args, { callId: 'f2', approval, reason: 'ignored: the signed reason wins' });
    expect(shape(viaFramework.records())).toEqual(shape(viaGuard.records()));
    expect(viaFramework.records()[1]?.data).toMatchObject({
      approver: alice.id,
      approvalCode: 'ERR_ATTESTATION_APPROVAL_REJECTED',
      reason: `approval refused: rejected by ${alice.id}`,
    });
  });

  it.each([
    ['an untrusted key (forgery)', 'untrusted', 'ERR_ATTESTATION_APPROVAL_UNTRUSTED'],
    ['another call’s arguments', 'other-args', 'ERR_ATTESTATION_APPROVAL_MISMATCH'],
    ['an approval, not a rejection', 'approve', 'ERR_ATTESTATION_APPROVAL_MISMATCH'],
    ['garbage', 'garbage', 'ERR_ATTESTATION_APPROVAL_MALFORMED'],
  ])(
    'a signed refusal that does not verify (%s) still refuses, recorded without an approver',
    async (_l, kind, code) => {
      const { pay, execute, records, sign } = setup();
      const args = { amount: 5, to: 'x' };
      await pay.check(args, { callId: 'c1' });
      const approval =
        kind === 'untrusted'
          ? await sign('c1', args, 'reject', createIdentity({ name: 'alice (approver)' }))
          : kind === 'other-args'
            ? await sign('c1', { amount: 1, to: 'x' })
            : kind === 'approve'
              ? await sign('c1', args, 'approve')
              : { payloadType: 'x' };
      const denial = await pay.refuse(args, { callId: 'c1', approval, reason: 'no' });
      expect(denial.code).toBe('ERR_GUARD_APPROVAL_REFUSED');
      expect(denial.reason).toMatch(/^approval refused: no \(signed refusal not accepted: /);
      const refused = records().find((r) => r.type === 'approval.refused');
      expect(refused?.data.approver).toBeUndefined();
      expect(refused?.data.approvalCode).toBe(code);
      // Whatever came with it, the call stays refused: not even that very approval runs it.
      await expect(pay(args, { callId: 'c1', approval })).rejects.toMatchObject({ code: 'ERR_GUARD_APPROVAL_REFUSED' });
      expect(execute).not.toHaveBeenCalled();
    },
  );

  it('drops the parked decision: a later run or check with the same call id is refused, the tool never runs', async () => {
    const { pay, execute, records, sign } = setup();
    const args = { amount: 5, to: 'x' };
    await pay.check(args, { callId: 'c2' });
    await pay.refuse(args, { callId: 'c2' });
    const approval = await sign('c2', args, 'approve');
    await expect(pay(args, { callId: 'c2', approval })).rejects.toMatchObject({ code: 'ERR_GUARD_APPROVAL_REFUSED' });
    await expect(pay({ amount: 7, to: 'y' }, { callId: 'c2', approval })).rejects.toMatchObject({
      code: 'ERR_GUARD_APPROVAL_REFUSED',
    });
    await expect(pay.check(args, { callId: 'c2' })).resolves.toMatchObject({
      effect: 'deny',
      code: 'ERR_GUARD_APPROVAL_REFUSED',
    });
    expect(execute).not.toHaveBeenCalled();
    // The later attempts are audited as denials, so approval.refused stays the call's one refusal.
    expect(records().map((r) => r.type)).toEqual([
      'call.requested',
      'approval.refused',
      'call.requested',
      'call.denied',
      'call.requested',
      'call.denied',
    ]);
  });

  it('is idempotent: refusing again (even at once) writes nothing more and returns the same Denial', async () => {
    const { pay, records } = setup();
    const args = { amount: 5, to: 'x' };
    await pay.check(args, { callId: 'c3' });
    const [a, b] = await Promise.all([pay.refuse(args, { callId: 'c3' }), pay.refuse(args, { callId: 'c3' })]);
    const c = await pay.refuse(args, { callId: 'c3', reason: 'again' });
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(records().filter((r) => r.type === 'approval.refused')).toHaveLength(1);
  });

  it('with nothing parked, still records the refusal, without a decision', async () => {
    const { pay, records } = setup();
    await pay.refuse({ amount: 5, to: 'x' }, { callId: 'c4', reason: 'no check() first' });
    expect(shape(records())).toEqual([
      ['call.requested', expect.any(Array)],
      ['approval.refused', ['approvalCode', 'code', 'reason']],
    ]);
  });

  it('emits denied, and redacts secrets from the human’s reason', async () => {
    const { ag, pay, records } = setup();
    const seen: Denial[] = [];
    ag.events.on('denied', (e) => seen.push(e.denial));
    await pay.refuse({ amount: 5, to: 'x' }, { callId: 'c5', reason: 'mail me at alice@example.com' });
    expect(seen).toMatchObject([{ callId: 'c5', code: 'ERR_GUARD_APPROVAL_REFUSED' }]);
    expect(JSON.stringify(records())).not.toContain('alice@example.com');
  });

  it('fails closed: an audit write that fails throws ERR_GUARD_AUDIT_FAILED, the call stays refused, a retry writes it', async () => {
    const inner = createMemorySink();
    const state = { down: false };
    const sink: AuditSink = {
      write: async (lines) => {
        if (state.down) throw new Error('ENOSPC: no space left on device');
        await inner.write(lines);
      },
      close: () => inner.close(),
    };
    const { pay, execute } = setup({ sink });
    const args = { amount: 5, to: 'x' };
    await pay.check(args, { callId: 'c6' });
    state.down = true;
    const error = await pay.refuse(args, { callId: 'c6' }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'GuardError',
      code: 'ERR_GUARD_AUDIT_FAILED',
      message: expect.stringMatching(/ENOSPC/),
    });
    state.down = false;
    await expect(pay(args, { callId: 'c6' })).rejects.toMatchObject({ code: 'ERR_GUARD_APPROVAL_REFUSED' });
    await pay.refuse(args, { callId: 'c6' });
    const types = inner.lines.map((l) => (JSON.parse(l) as Rec).type);
    expect(types.filter((t) => t === 'approval.refused')).toHaveLength(1);
    expect(execute).not.toHaveBeenCalled();
  });

  it('refuses misuse with TypeError', async () => {
    const { pay } = setup();
    await expect(pay.refuse({}, {} as never)).rejects.toThrow(TypeError);
    await expect(pay.refuse({}, { callId: 'x', reason: 7 } as never)).rejects.toThrow(TypeError);
    await expect(pay.refuse({ n: 1n }, { callId: 'x' })).rejects.toThrow(TypeError);
  });

  it('batch: approve some, refuse others in parallel; every call ends with exactly one terminal record', async () => {
    const { pay, execute, records, sign } = setup();
    const calls = Array.from({ length: 6 }, (_, i) => ({ id: `b${i}`, args: { amount: i + 1, to: 'x' } }));
    await Promise.all(calls.map((c) => pay.check(c.args, { callId: c.id })));
    await Promise.all(
      calls.map(async (c, i) =>
        i % 2 === 0
          ? pay.safeRun(c.args, { callId: c.id, approval: await sign(c.id, c.args, 'approve') })
          : pay.refuse(c.args, { callId: c.id }),
      ),
    );
    expect(execute.mock.calls.map(([a]) => a.amount).sort()).toEqual([1, 3, 5]);
    for (const c of calls) {
      const ends = records().filter(
        (r) => r.callId === c.id && ['call.completed', 'approval.refused', 'call.denied'].includes(r.type),
      );
      expect(ends).toHaveLength(1);
    }
  });
});

describe('check() asked more than once, and concurrency slots', () => {
  const limited: PolicyDocument = {
    version: 1,
    rules: [{ id: 'pay', effect: 'allow', tools: ['pay'] }],
    limits: [
      { id: 'daily', tools: ['pay'], budget: { arg: '/amount', max: 150, windowMs: 86_400_000 } },
      { id: 'one-at-a-time', tools: ['pay'], concurrency: 1 },
    ],
  };
  function limitedSetup() {
    const ag = createGuard({
      identity: createIdentity(),
      policy: limited,
      audit: createAuditLog({ sink: createMemorySink() }),
    });
    const gates: Array<() => void> = [];
    const pay = ag.guard({
      name: 'pay',
      schema,
      execute: ({ amount }) =>
        amount === 1 ? new Promise<string>((resolve) => gates.push(() => resolve('held'))) : `paid ${amount}`,
    });
    return { pay, gates };
  }

  it('the kept decision answers a second check(), so a budget counts the call once', async () => {
    const { pay } = limitedSetup();
    const args = { amount: 90, to: 'x' };
    await expect(pay.check(args, { callId: 'k1' })).resolves.toMatchObject({ effect: 'allow' });
    await expect(pay.check(args, { callId: 'k1' })).resolves.toMatchObject({ effect: 'allow' });
    await expect(pay(args, { callId: 'k1' })).resolves.toBe('paid 90');
    await expect(pay({ amount: 90, to: 'x' }, { callId: 'k2' })).rejects.toMatchObject({
      code: 'ERR_GUARD_POLICY_DENIED',
    });
  });

  it('a checked-then-run call gives its concurrency slot back once, so the cap still holds', async () => {
    const { pay, gates } = limitedSetup();
    await pay.check({ amount: 2, to: 'x' }, { callId: 'k3' });
    await expect(pay({ amount: 2, to: 'x' }, { callId: 'k3' })).resolves.toBe('paid 2');
    const held = pay({ amount: 1, to: 'x' }, { callId: 'k4' });
    await vi.waitFor(() => expect(gates).toHaveLength(1));
    await expect(pay({ amount: 3, to: 'x' }, { callId: 'k5' })).rejects.toMatchObject({
      code: 'ERR_GUARD_POLICY_DENIED',
    });
    gates[0]?.();
    await expect(held).resolves.toBe('held');
  });
});
