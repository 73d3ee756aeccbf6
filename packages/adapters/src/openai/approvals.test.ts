import { describe, expect, it } from 'vitest';
import { approverId, createFixture, type Fixture, signAs } from '../../test/conformance/fixture.js';
import { createToolDispatcher } from './index.js';

const call = (id: string, name: string, args: unknown) => ({
  type: 'function_call',
  call_id: id,
  name,
  arguments: JSON.stringify(args),
});
const payArgs = { invoice: 'inv-1', amount: 5 };
const response = {
  output: [
    { type: 'message' },
    call('c1', 'add', { a: 2, b: 3 }),
    call('c2', 'pay', payArgs),
    call('c3', 'delete_user', { id: 'u1' }),
  ],
};
type Rec = { type: string; callId: string; data: Record<string, unknown> };
const records = (fx: Fixture, callId: string) =>
  fx.sink.lines.map((l) => JSON.parse(l) as Rec).filter((r) => r.callId === callId);

describe('createToolDispatcher: Responses approvals', () => {
  it('holds back the calls the policy sends to a human, and answers the others', async () => {
    const fx = createFixture();
    const dispatcher = createToolDispatcher(Object.values(fx.tools));
    const { outputs, pending } = await dispatcher.responsesWithApprovals(response);
    expect(outputs.map((o) => o.call_id)).toEqual(['c1', 'c3']);
    expect(outputs[0]?.output).toBe('5');
    expect(JSON.parse(outputs[1]?.output ?? '').code).toBe('ERR_GUARD_POLICY_DENIED');
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({ callId: 'c2', tool: 'pay', args: payArgs, reason: 'payments need a human' });
    expect(fx.ran.pay).toBeUndefined();
    expect(records(fx, 'c2')).toEqual([]); // decided only: nothing is written until it is answered
  });

  it("runs an approved call with the human's signed approval, verified by the guard", async () => {
    const fx = createFixture();
    const dispatcher = createToolDispatcher(Object.values(fx.tools));
    const { pending } = await dispatcher.responsesWithApprovals(response);
    const request = pending[0];
    if (request === undefined) throw new Error('expected a pending call');
    const approval = await signAs(fx, request, 'approve');
    const out = await dispatcher.answerApproval(request.item, { approved: true, approval });
    expect(out).toEqual({ type: 'function_call_output', call_id: 'c2', output: 'paid inv-1' });
    expect(fx.ran.pay).toBe(1);
    expect(records(fx, 'c2').at(-1)?.type).toBe('call.completed');
  });

  it('signs with the approve option, once per call id; without one an approved call stays refused', async () => {
    const fx = createFixture();
    let asked = 0;
    const dispatcher = createToolDispatcher(Object.values(fx.tools), {
      approve: (request) => {
        asked++;
        return signAs(fx, request, 'approve');
      },
    });
    const { pending } = await dispatcher.responsesWithApprovals(response);
    const item = pending[0]?.item ?? response.output[2];
    expect((await dispatcher.answerApproval(item as never, { approved: true })).output).toBe('paid inv-1');
    const again = await dispatcher.answerApproval(item as never, { approved: true });
    expect(JSON.parse(again.output).agentguard).toBe('refused');
    expect(asked).toBe(1);
    expect(fx.ran.pay).toBe(1);

    const bare = createToolDispatcher(Object.values(createFixture().tools));
    const refused = await bare.answerApproval(call('x1', 'pay', payArgs), { approved: true });
    expect(JSON.parse(refused.output).code).toBe('ERR_GUARD_APPROVAL_REQUIRED');
  });

  it('records a refusal (signed by the reject option) and keeps the call id refused', async () => {
    const fx = createFixture();
    const dispatcher = createToolDispatcher(Object.values(fx.tools), {
      reject: (request) => signAs(fx, request, 'reject'),
    });
    const { pending } = await dispatcher.responsesWithApprovals(response);
    const item = pending[0]?.item;
    if (item === undefined) throw new Error('expected a pending call');
    const out = await dispatcher.answerApproval(item, { approved: false, reason: 'not this vendor' });
    expect(JSON.parse(out.output)).toMatchObject({ code: 'ERR_GUARD_APPROVAL_REFUSED', tool: 'pay', callId: 'c2' });
    const refusal = records(fx, 'c2').find((r) => r.type === 'approval.refused');
    expect(refusal?.data.approver).toBe(approverId);
    const approval = await signAs(fx, { callId: 'c2', tool: 'pay', args: payArgs }, 'approve');
    const later = await dispatcher.answerApproval(item, { approved: true, approval });
    expect(JSON.parse(later.output).code).toBe('ERR_GUARD_APPROVAL_REFUSED');
    expect(fx.ran.pay).toBeUndefined();
  });

  it('refuses misuse with a TypeError, and an unknown tool with a Denial', async () => {
    const fx = createFixture();
    const dispatcher = createToolDispatcher(Object.values(fx.tools));
    await expect(dispatcher.answerApproval({ type: 'message' }, { approved: true })).rejects.toThrow(TypeError);
    await expect(dispatcher.answerApproval(call('c9', 'pay', {}), {} as never)).rejects.toThrow(TypeError);
    const unknown = await dispatcher.answerApproval(call('c9', 'nope', {}), { approved: true });
    expect(JSON.parse(unknown.output).reason).toContain('no guarded tool');
    expect(() => createToolDispatcher([], { approve: 1 as never })).toThrow(TypeError);
  });
});
