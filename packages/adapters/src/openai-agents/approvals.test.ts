import { createAuditLog, createMemorySink } from '@agentguard/audit';
import { createGuard } from '@agentguard/core';
import { createIdentity } from '@agentguard/identity';
import { createApproval } from '@agentguard/attestation';
import { Agent, RunState, run, setTracingDisabled } from '@openai/agents';
import { assistantMessage, functionCall, ScriptedModel } from '@openai/agents/testing';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { toAgentsTools } from './index.js';
import type { PolicyDocument } from '@agentguard/policy';

setTracingDisabled(true);

const policy: PolicyDocument = {
  version: 1,
  rules: [
    { id: 'pay-needs-human', effect: 'require_approval', tools: ['pay'], reason: 'payments need a human' },
    { id: 'no-delete', effect: 'deny', tools: ['delete_user'], reason: 'deleting users is not allowed' },
  ],
};

function setup() {
  const human = createIdentity({ name: 'approver' });
  const sink = createMemorySink();
  const ag = createGuard({
    identity: createIdentity({ name: 'agent' }),
    policy,
    audit: createAuditLog({ sink }),
    approvals: { approvers: [human.id] },
  });
  const ran: string[] = [];
  const pay = ag.guard({
    name: 'pay',
    description: 'Pay an invoice',
    schema: z.object({ invoice: z.string() }),
    execute: ({ invoice }) => {
      ran.push(invoice);
      return `paid ${invoice}`;
    },
  });
  const del = ag.guard({
    name: 'delete_user',
    schema: z.object({ id: z.string() }),
    execute: ({ id }) => {
      ran.push(`delete ${id}`);
      return 'deleted';
    },
  });
  const signed: string[] = [];
  const tools = toAgentsTools([pay, del], {
    approve: async (r) => {
      signed.push(r.callId);
      return createApproval(
        { callId: r.callId, tool: r.tool, args: r.args, policyHash: ag.policyHash },
        { approver: human, decision: 'approve' },
      );
    },
  });
  const model = new ScriptedModel([
    [
      functionCall('pay', { invoice: 'INV-1' }, { callId: 'p1' }),
      functionCall('delete_user', { id: 'u1' }, { callId: 'd1' }),
    ],
    [assistantMessage('done')],
    [assistantMessage('done again')],
  ]);
  const agent = new Agent({ name: 'payer', instructions: 'pay', model, tools });
  return { agent, model, ran, signed, sink };
}

function toolOutputs(model: ScriptedModel): Map<string, string> {
  const seen = new Map<string, string>();
  const input = model.calls[1]?.request.input;
  for (const item of Array.isArray(input) ? input : []) {
    const i = item as { type?: string; callId?: string; output?: { text?: string } | string };
    if (i.type !== 'function_call_result' || i.callId === undefined) continue;
    seen.set(i.callId, typeof i.output === 'string' ? i.output : (i.output?.text ?? JSON.stringify(i.output)));
  }
  return seen;
}

describe('toAgentsTools({ approve }): require_approval through needsApproval and interruptions', () => {
  it('interrupts only the call needing approval; a denied call is never put to a human', async () => {
    const { agent, ran } = setup();
    const first = await run(agent, 'go');
    expect(first.interruptions.map((i) => i.rawItem)).toMatchObject([{ callId: 'p1', name: 'pay' }]);
    expect(ran).toEqual([]);
  });

  it('approval granted: state.approve() makes the server sign, the guard verifies, the tool runs', async () => {
    const { agent, model, ran, signed, sink } = setup();
    const first = await run(agent, 'go');
    for (const item of first.interruptions) first.state.approve(item);
    const second = await run(agent, first.state);
    expect(second.finalOutput).toBe('done');
    expect(signed).toEqual(['p1']);
    expect(ran).toEqual(['INV-1']);
    const out = toolOutputs(model);
    expect(out.get('p1')).toBe('paid INV-1');
    expect(JSON.parse(out.get('d1') ?? '{}')).toMatchObject({ code: 'ERR_GUARD_POLICY_DENIED', ruleId: 'no-delete' });
    const types = sink.lines.map((line) => (JSON.parse(line) as { type?: string }).type);
    expect(types).toContain('approval.granted');
  });

  it('approval refused: state.reject() means the tool never runs and nothing is signed', async () => {
    const { agent, model, ran, signed } = setup();
    const first = await run(agent, 'go');
    for (const item of first.interruptions) first.state.reject(item, { message: 'refused by a human' });
    await run(agent, first.state);
    expect(signed).toEqual([]);
    expect(ran).toEqual([]);
    expect(toolOutputs(model).get('p1')).toBe('refused by a human');
  });

  it('an approved state resumed twice gets no second signature: the tool runs once', async () => {
    const { agent, ran, signed } = setup();
    const first = await run(agent, 'go');
    for (const item of first.interruptions) first.state.approve(item);
    const saved = first.state.toString();
    await run(agent, await RunState.fromString(agent, saved));
    await run(agent, await RunState.fromString(agent, saved));
    expect(signed).toEqual(['p1']);
    expect(ran).toEqual(['INV-1']);
  });
});
