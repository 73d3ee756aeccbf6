import { verifyLog } from '@agentguard/audit';
import type { Denial } from '@agentguard/core';
import { afterEach, describe, expect, it } from 'vitest';
import { approverId, createFixture, type Fixture, type Harness, type ScriptedCall } from './fixture.js';
import { harnesses } from './harnesses.js';

const DENIAL_KEYS = ['agentguard', 'callId', 'code', 'outcome', 'reason', 'ruleId', 'tool'];

function denialOf(text: string | undefined): Denial {
  expect(text).toBeTypeOf('string');
  const parsed = JSON.parse(text as string) as Denial;
  expect(Object.keys(parsed).sort()).toEqual(DENIAL_KEYS);
  expect(parsed.agentguard).toBe('refused');
  return parsed;
}

type Shape = { callId: string; type: string; tool: string; agent: string; data: string[] };

/** The audit records of a run, reduced to their shape: per call, types in order and the data fields. */
function auditShape(fx: Fixture): Shape[] {
  const records = fx.sink.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  const calls = records.filter((r) => typeof r.type === 'string' && (r.type as string).startsWith('call.'));
  return calls
    .map((r) => ({
      callId: r.callId as string,
      type: r.type as string,
      tool: r.tool as string,
      agent: r.agent === fx.identity.id ? 'agent' : 'other',
      data: Object.keys((r.data ?? {}) as object).sort(),
    }))
    .sort((a, b) => a.callId.localeCompare(b.callId) || order(a.type) - order(b.type));
}

const order = (type: string) => (type === 'call.requested' ? 0 : 1);

type Rec = { callId: string; type: string; data: Record<string, unknown> };
const recordsOf = (fx: Fixture) => fx.sink.lines.map((line) => JSON.parse(line) as Rec);
const TERMINAL = ['call.completed', 'call.failed', 'call.denied', 'call.invalid', 'approval.refused'];

/** The one record that ended each call, by call id (a call with none, or two, fails the check). */
function terminalOf(fx: Fixture, callId: string): Rec {
  const ends = recordsOf(fx).filter((r) => r.callId === callId && TERMINAL.includes(r.type));
  expect(
    ends.map((r) => r.type),
    `terminal records of ${callId}`,
  ).toHaveLength(1);
  return ends[0] as Rec;
}

// The reference refusal: the guard's own approver signs a rejection, without any framework.
async function referenceRefusal(): Promise<string[]> {
  const fx = createFixture({ approver: 'reject' });
  await fx.tools.pay.safeRun({ invoice: 'inv-ref', amount: 1 }, { callId: 'ref' });
  return Object.keys(terminalOf(fx, 'ref').data).sort();
}

const mixed: ScriptedCall[] = [
  { id: 'm1', name: 'add', args: { a: 2, b: 3 } },
  { id: 'm2', name: 'delete_user', args: { id: 'u1' } },
  { id: 'm3', name: 'add', args: { a: 'two', b: 3 } },
  { id: 'm4', name: 'boom', args: {} },
  { id: 'm5', name: 'slow', args: {} },
  { id: 'm6', name: 'pay', args: { invoice: 'inv-1', amount: 10 } },
];

// The reference: the same calls made on the guarded tools directly, without any framework.
async function referenceShape(): Promise<Shape[]> {
  const fx = createFixture();
  await Promise.all(mixed.map((c) => fx.tools[c.name].safeRun(c.args, { callId: c.id })));
  return auditShape(fx);
}

describe.each(harnesses.map((h) => [h.name, h] as const))('conformance: %s', (_name, harness: Harness) => {
  afterEach(async () => {
    await harness.close?.();
  });

  it('allowed call: the model sees the result, the tool ran once, request and outcome are audited', async () => {
    const fx = createFixture();
    const seen = await harness.run(fx, [{ id: 'call-ok', name: 'add', args: { a: 2, b: 3 } }]);
    expect(seen.get('call-ok')).toBe('5');
    expect(fx.ran).toEqual({ add: 1 });
    expect(auditShape(fx).map((r) => [r.callId, r.type])).toEqual([
      ['call-ok', 'call.requested'],
      ['call-ok', 'call.completed'],
    ]);
  });

  it('denied call: the model sees the Denial JSON as a tool result and the tool never ran', async () => {
    const fx = createFixture();
    const seen = await harness.run(fx, [{ id: 'call-deny', name: 'delete_user', args: { id: 'u1' } }]);
    expect(denialOf(seen.get('call-deny'))).toEqual({
      agentguard: 'refused',
      outcome: 'denied',
      code: 'ERR_GUARD_POLICY_DENIED',
      reason: 'deleting users is not allowed',
      tool: 'delete_user',
      callId: 'call-deny',
      ruleId: 'no-delete',
    });
    expect(fx.ran.delete_user).toBeUndefined();
    expect(auditShape(fx).map((r) => r.type)).toEqual(['call.requested', 'call.denied']);
  });

  it('invalid arguments: refused as ERR_GUARD_ARGS_INVALID, audited, the tool never ran', async () => {
    const fx = createFixture();
    const seen = await harness.run(fx, [{ id: 'call-bad', name: 'add', args: { a: 'two', b: 3 } }]);
    const denial = denialOf(seen.get('call-bad'));
    expect(denial).toMatchObject({
      outcome: 'invalid',
      code: 'ERR_GUARD_ARGS_INVALID',
      tool: 'add',
      callId: 'call-bad',
    });
    expect(denial.reason).toContain('$.a');
    expect(fx.ran.add).toBeUndefined();
    expect(auditShape(fx).map((r) => r.type)).toEqual(['call.invalid']);
  });

  it('approval required: without an approver the call is refused with ERR_GUARD_APPROVAL_REQUIRED and never runs', async () => {
    const fx = createFixture();
    const seen = await harness.run(fx, [{ id: 'call-pay', name: 'pay', args: { invoice: 'inv-1', amount: 10 } }]);
    expect(denialOf(seen.get('call-pay'))).toMatchObject({
      outcome: 'approval_required',
      code: 'ERR_GUARD_APPROVAL_REQUIRED',
      ruleId: 'payments-need-approval',
    });
    expect(fx.ran.pay).toBeUndefined();
  });

  it('approval granted: the approver signs, the tool runs, the model sees its result', async () => {
    const fx = createFixture({ approver: 'approve' });
    const seen = await harness.run(fx, [{ id: 'call-pay-ok', name: 'pay', args: { invoice: 'inv-2', amount: 10 } }]);
    expect(seen.get('call-pay-ok')).toBe('paid inv-2');
    expect(fx.ran).toEqual({ pay: 1 });
    expect(auditShape(fx).map((r) => r.type)).toEqual(['call.requested', 'call.completed']);
  });

  it('approval refused: the model sees ERR_GUARD_APPROVAL_REFUSED and the tool never ran', async () => {
    const fx = createFixture({ approver: 'reject' });
    const seen = await harness.run(fx, [{ id: 'call-pay-no', name: 'pay', args: { invoice: 'inv-3', amount: 10 } }]);
    expect(denialOf(seen.get('call-pay-no'))).toMatchObject({
      code: 'ERR_GUARD_APPROVAL_REFUSED',
      tool: 'pay',
      callId: 'call-pay-no',
    });
    expect(fx.ran.pay).toBeUndefined();
    const refused = terminalOf(fx, 'call-pay-no');
    expect(refused.type).toBe('approval.refused');
    expect(refused.data).toMatchObject({ approver: approverId, code: 'ERR_GUARD_APPROVAL_REFUSED' });
  });

  it('tool that throws: the model sees ERR_GUARD_TOOL_FAILED with the message, the failure is audited', async () => {
    const fx = createFixture();
    const seen = await harness.run(fx, [{ id: 'call-boom', name: 'boom', args: {} }]);
    const denial = denialOf(seen.get('call-boom'));
    expect(denial).toMatchObject({
      outcome: 'failed',
      code: 'ERR_GUARD_TOOL_FAILED',
      tool: 'boom',
      callId: 'call-boom',
    });
    expect(denial.reason).toContain('kaboom');
    expect(fx.ran.boom).toBe(1);
    expect(auditShape(fx).map((r) => r.type)).toEqual(['call.requested', 'call.failed']);
  });

  it('tool that hangs past its timeout: the model sees ERR_GUARD_TOOL_TIMEOUT and the run goes on', async () => {
    const fx = createFixture();
    const seen = await harness.run(fx, [
      { id: 'call-slow', name: 'slow', args: {} },
      { id: 'call-after', name: 'add', args: { a: 1, b: 1 } },
    ]);
    expect(denialOf(seen.get('call-slow'))).toMatchObject({
      outcome: 'timeout',
      code: 'ERR_GUARD_TOOL_TIMEOUT',
      tool: 'slow',
    });
    expect(seen.get('call-after')).toBe('2');
  });

  it('parallel calls: each call gets its own result under its own call id', async () => {
    const fx = createFixture();
    const calls = Array.from({ length: 6 }, (_, i) => ({
      id: `par-${i}`,
      name: 'add' as const,
      args: { a: i, b: 100 },
    }));
    const seen = await harness.run(fx, calls);
    for (const [i, c] of calls.entries()) expect(seen.get(c.id)).toBe(String(i + 100));
    expect(fx.ran.add).toBe(6);
    const shape = auditShape(fx);
    for (const c of calls)
      expect(shape.filter((r) => r.callId === c.id).map((r) => r.type)).toEqual(['call.requested', 'call.completed']);
  });

  it('audit records have the same shape as direct guarded calls, and the log verifies', async () => {
    const fx = createFixture();
    const seen = await harness.run(fx, mixed);
    expect([...seen.keys()].sort()).toEqual(mixed.map((c) => c.id).sort());
    expect(auditShape(fx)).toEqual(await referenceShape());
    expect(verifyLog(fx.sink.text(), { trust: [fx.identity.id] }).ok).toBe(true);
  });
});

const withApprovals = harnesses.filter((h) => h.runWithApprovals !== undefined);

describe.each(withApprovals.map((h) => [h.name, h] as const))(
  "conformance: %s, the framework's own approval step",
  (_name, harness: Harness) => {
    afterEach(async () => {
      await harness.close?.();
    });

    it('approve some, reject others in one batch: rejected bodies never run, each call ends with one record', async () => {
      const fx = createFixture();
      const calls: ScriptedCall[] = ['fa-1', 'fa-2', 'fa-3', 'fa-4'].map((id, i) => ({
        id,
        name: 'pay',
        args: { invoice: `inv-${id}`, amount: i + 1 },
      }));
      const rejected = new Set(['fa-2', 'fa-4']);
      const seen = await (harness.runWithApprovals as NonNullable<Harness['runWithApprovals']>)(fx, calls, rejected);
      expect(fx.ran.pay).toBe(2);
      expect(seen.get('fa-1')).toBe('paid inv-fa-1');
      expect(seen.get('fa-3')).toBe('paid inv-fa-3');
      const reference = await referenceRefusal();
      for (const c of calls) {
        const end = terminalOf(fx, c.id);
        if (!rejected.has(c.id)) {
          expect(end.type).toBe('call.completed');
          continue;
        }
        // The model learns of the refusal, and the audit holds it as a refusal through the guard's approver would.
        expect(seen.get(c.id)).toBeTypeOf('string');
        expect(seen.get(c.id)).not.toContain('paid');
        expect(end.type).toBe('approval.refused');
        expect(end.data).toMatchObject({ approver: approverId, approvalCode: 'ERR_ATTESTATION_APPROVAL_REJECTED' });
        expect(Object.keys(end.data).sort()).toEqual(reference);
      }
      expect(verifyLog(fx.sink.text(), { trust: [fx.identity.id] }).ok).toBe(true);
    });
  },
);
