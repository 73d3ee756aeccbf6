import { createAuditLog, createMemorySink } from '@agentguard/audit';
import { createGuard } from '@agentguard/core';
import { createIdentity } from '@agentguard/identity';
import { createApproval } from '@agentguard/attestation';
import { ToolMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { Command, MemorySaver } from '@langchain/langgraph';
import { createAgent, FakeToolCallingModel } from 'langchain';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type ApprovalInterrupt,
  approvalInterrupts,
  createGuardMiddleware,
  isApprovalInterrupt,
  type RejectDecision,
} from './index.js';
import type { PolicyDocument } from '@agentguard/policy';

const policy: PolicyDocument = {
  version: 1,
  rules: [{ id: 'pay-needs-human', effect: 'require_approval', tools: ['pay'], reason: 'payments need a human' }],
};

function setup(options: { signRejections?: boolean } = {}) {
  const human = createIdentity({ name: 'approver' });
  const sink = createMemorySink();
  const ag = createGuard({
    identity: createIdentity({ name: 'agent' }),
    policy,
    audit: createAuditLog({ sink }),
    approvals: { approvers: [human.id] },
  });
  const paid: string[] = [];
  const pay = tool(
    async ({ invoice }: { invoice: string }) => {
      paid.push(invoice);
      return `paid ${invoice}`;
    },
    { name: 'pay', description: 'Pay an invoice', schema: z.object({ invoice: z.string() }) },
  );
  const model = new FakeToolCallingModel({
    toolCalls: [
      [
        { name: 'pay', args: { invoice: 'INV-1' }, id: 'p1' },
        { name: 'pay', args: { invoice: 'INV-2' }, id: 'p2' },
        { name: 'pay', args: { invoice: 'INV-3' }, id: 'p3' },
      ],
      [],
    ],
  });
  const agent = createAgent({
    model,
    tools: [pay],
    middleware: [
      createGuardMiddleware(ag, {
        approvals: 'interrupt',
        ...(options.signRejections === true
          ? {
              reject: (r) =>
                createApproval(
                  { callId: r.callId, tool: r.tool, args: r.args, policyHash: ag.policyHash },
                  { approver: human, decision: 'reject', ...(r.reason === undefined ? {} : { reason: r.reason }) },
                ),
            }
          : {}),
      }),
    ],
    checkpointer: new MemorySaver(),
  });
  return { human, agent, paid, sink, ag };
}

type Rec = { type: string; callId: string; data: Record<string, unknown> };
const records = (sink: ReturnType<typeof createMemorySink>) =>
  sink.lines.map((l) => JSON.parse(l) as Rec).filter((r) => r.type !== 'checkpoint');

describe("createGuardMiddleware({ approvals: 'interrupt' })", () => {
  it('pauses parallel calls as a batch of interrupts and resumes each with its signed approval, verified by the guard', async () => {
    const { human, agent, paid } = setup();
    const config = { configurable: { thread_id: 'approvals-1' } };
    const first = await agent.invoke({ messages: [{ role: 'user', content: 'pay all three' }] }, config);
    const asks = approvalInterrupts(first);
    expect(asks.map((i) => i.value.callId).sort()).toEqual(['p1', 'p2', 'p3']);
    expect(asks[0]?.value).toMatchObject({
      agentguard: 'approval_required',
      tool: 'pay',
      reason: 'payments need a human',
    });
    expect(paid).toEqual([]);

    // p1: approved by the trusted human; p2: "approved" by a key the guard does not trust; p3: refused.
    const forger = createIdentity({ name: 'forger' });
    const answer = async (ask: ApprovalInterrupt) => {
      const subject = { callId: ask.callId, tool: ask.tool, args: ask.args, policyHash: ask.policyHash };
      if (ask.callId === 'p1') return createApproval(subject, { approver: human });
      if (ask.callId === 'p2') return createApproval(subject, { approver: forger });
      return createApproval(subject, { approver: human, decision: 'reject' });
    };
    const resume = Object.fromEntries(await Promise.all(asks.map(async (i) => [i.id, await answer(i.value)] as const)));
    const second = await agent.invoke(new Command({ resume }), config);

    expect(paid).toEqual(['INV-1']);
    const results = new Map(
      second.messages
        .filter((m) => ToolMessage.isInstance(m))
        .map((m) => [(m as ToolMessage).tool_call_id, String(m.content)]),
    );
    expect(results.get('p1')).toBe('paid INV-1');
    expect(JSON.parse(results.get('p2') ?? '')).toMatchObject({ code: 'ERR_GUARD_APPROVAL_REFUSED', callId: 'p2' });
    expect(JSON.parse(results.get('p3') ?? '')).toMatchObject({ code: 'ERR_GUARD_APPROVAL_REFUSED', callId: 'p3' });
  });

  it('a reject decision on resume is audited: approve some, reject others, one terminal record per call', async () => {
    const { human, agent, paid, sink } = setup();
    const config = { configurable: { thread_id: 'approvals-2' } };
    const first = await agent.invoke({ messages: [{ role: 'user', content: 'pay all three' }] }, config);
    const asks = approvalInterrupts(first);
    // p1: approved; p2: LangChain's own reject decision (unsigned); p3: a reject carrying the human's signature.
    const answer = async (ask: ApprovalInterrupt): Promise<unknown> => {
      const subject = { callId: ask.callId, tool: ask.tool, args: ask.args, policyHash: ask.policyHash };
      if (ask.callId === 'p1') return createApproval(subject, { approver: human });
      if (ask.callId === 'p2') return { type: 'reject', message: 'wrong vendor' } satisfies RejectDecision;
      return { type: 'reject', approval: await createApproval(subject, { approver: human, decision: 'reject' }) };
    };
    const resume = Object.fromEntries(await Promise.all(asks.map(async (i) => [i.id, await answer(i.value)] as const)));
    const second = await agent.invoke(new Command({ resume }), config);
    expect(paid).toEqual(['INV-1']);
    const results = new Map(
      second.messages
        .filter((m) => ToolMessage.isInstance(m))
        .map((m) => [(m as ToolMessage).tool_call_id, String(m.content)]),
    );
    expect(JSON.parse(results.get('p2') ?? '')).toMatchObject({
      code: 'ERR_GUARD_APPROVAL_REFUSED',
      reason: 'approval refused: wrong vendor',
    });
    expect(JSON.parse(results.get('p3') ?? '')).toMatchObject({ code: 'ERR_GUARD_APPROVAL_REFUSED', callId: 'p3' });
    const all = records(sink);
    for (const [id, end] of [
      ['p1', 'call.completed'],
      ['p2', 'approval.refused'],
      ['p3', 'approval.refused'],
    ]) {
      const ends = all.filter(
        (r) => r.callId === id && ['call.completed', 'approval.refused', 'call.denied'].includes(r.type),
      );
      expect(ends.map((r) => r.type)).toEqual([end]);
    }
    const refused = new Map(all.filter((r) => r.type === 'approval.refused').map((r) => [r.callId, r.data]));
    expect(refused.get('p2')?.approver).toBeUndefined();
    expect(refused.get('p3')).toMatchObject({ approver: human.id, approvalCode: 'ERR_ATTESTATION_APPROVAL_REJECTED' });
  });

  it("the middleware's reject option signs a bare reject decision, so the audit names the approver", async () => {
    const { human, agent, paid, sink } = setup({ signRejections: true });
    const config = { configurable: { thread_id: 'approvals-3' } };
    const first = await agent.invoke({ messages: [{ role: 'user', content: 'pay' }] }, config);
    const no: RejectDecision = { type: 'reject', message: 'over budget' };
    const resume = Object.fromEntries(approvalInterrupts(first).map((i) => [i.id, no]));
    await agent.invoke(new Command({ resume }), config);
    expect(paid).toEqual([]);
    const refused = records(sink).filter((r) => r.type === 'approval.refused');
    expect(refused.map((r) => r.callId).sort()).toEqual(['p1', 'p2', 'p3']);
    for (const r of refused) {
      expect(r.data).toMatchObject({ approver: human.id, reason: 'approval refused: over budget' });
    }
  });

  it('approvalInterrupts keeps only complete guard interrupts that can be resumed by id', () => {
    const ask: ApprovalInterrupt = {
      agentguard: 'approval_required',
      tool: 'pay',
      callId: 'c1',
      args: { amount: 1 },
      reason: 'payments need a human',
      ruleId: null,
      policyHash: 'sha256:00',
    };
    const result = {
      __interrupt__: [
        { id: 'i1', value: ask },
        { id: 'i2', value: { actionRequests: [], reviewConfigs: [] } }, // LangChain's own human-in-the-loop
        { value: ask }, // no id: cannot be resumed by id
        { id: 'i4', value: { ...ask, policyHash: 7 } },
        { id: 'i5', value: { ...ask, ruleId: 'r1' } },
        null,
      ],
    };
    expect(approvalInterrupts(result)).toEqual([
      { id: 'i1', value: ask },
      { id: 'i5', value: { ...ask, ruleId: 'r1' } },
    ]);
    for (const none of [undefined, null, {}, { __interrupt__: 'x' }, 'text'])
      expect(approvalInterrupts(none)).toEqual([]);
    const { args: _args, ...withoutArgs } = ask;
    expect([ask, withoutArgs, { ...ask, agentguard: 'other' }, null, 1].map(isApprovalInterrupt)).toEqual([
      true,
      false,
      false,
      false,
      false,
    ]);
  });

  it('refuses misuse of the approvals option', () => {
    expect(() => createGuardMiddleware({ guard: () => undefined } as never, { approvals: 'ask' as never })).toThrow(
      TypeError,
    );
    expect(() => createGuardMiddleware({ guard: () => undefined } as never, { reject: 'sign' as never })).toThrow(
      TypeError,
    );
  });
});
