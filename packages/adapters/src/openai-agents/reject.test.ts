import { type AuditSink, createAuditLog, createMemorySink, verifyLog } from '@agentguard/audit';
import { createGuard } from '@agentguard/core';
import { createIdentity } from '@agentguard/identity';
import { createApproval } from '@agentguard/attestation';
import { Agent, run, setTracingDisabled } from '@openai/agents';
import { assistantMessage, functionCall, ScriptedModel } from '@openai/agents/testing';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { rejectAgentsCall, toAgentsTools } from './index.js';
import type { PolicyDocument } from '@agentguard/policy';

setTracingDisabled(true);

const policy: PolicyDocument = {
  version: 1,
  rules: [{ id: 'pay-needs-human', effect: 'require_approval', tools: ['pay'], reason: 'payments need a human' }],
};
type Rec = { type: string; callId: string; data: Record<string, unknown> };

function setup(options: { signRejections?: boolean } = {}) {
  const human = createIdentity({ name: 'approver' });
  const identity = createIdentity({ name: 'agent' });
  const sink = createMemorySink();
  // A sink that can fail, as a full disk would.
  const disk = { down: false };
  const flaky: AuditSink = {
    write: async (lines) => {
      if (disk.down) throw new Error('EACCES: permission denied');
      await sink.write(lines);
    },
    close: () => sink.close(),
  };
  const ag = createGuard({
    identity,
    policy,
    audit: createAuditLog({ sink: flaky }),
    approvals: { approvers: [human.id] },
  });
  const ran: string[] = [];
  const pay = ag.guard({
    name: 'pay',
    schema: z.object({ invoice: z.string() }),
    execute: ({ invoice }) => {
      ran.push(invoice);
      return `paid ${invoice}`;
    },
  });
  const subject = (r: { callId: string; tool: string; args: unknown }) => ({
    callId: r.callId,
    tool: r.tool,
    args: r.args,
    policyHash: ag.policyHash,
  });
  const tools = toAgentsTools([pay], {
    approve: async (r) => createApproval(subject(r), { approver: human }),
    ...(options.signRejections === true
      ? { reject: async (r) => createApproval(subject(r), { approver: human, decision: 'reject' }) }
      : {}),
  });
  const ids = ['p1', 'p2', 'p3', 'p4'];
  const model = new ScriptedModel([
    ids.map((id) => functionCall('pay', { invoice: `INV-${id}` }, { callId: id })),
    [assistantMessage('done')],
  ]);
  const agent = new Agent({ name: 'payer', instructions: 'pay', model, tools });
  const records = () => sink.lines.map((l) => JSON.parse(l) as Rec).filter((r) => r.type !== 'checkpoint');
  return { agent, model, ran, records, sink, human, identity, disk };
}

function outputs(model: ScriptedModel): Map<string, string> {
  const seen = new Map<string, string>();
  const input = model.calls[1]?.request.input;
  for (const item of Array.isArray(input) ? input : []) {
    const i = item as { type?: string; callId?: string; output?: { text?: string } | string };
    if (i.type !== 'function_call_result' || i.callId === undefined) continue;
    seen.set(i.callId, typeof i.output === 'string' ? i.output : (i.output?.text ?? JSON.stringify(i.output)));
  }
  return seen;
}

describe('rejectAgentsCall(): a refusal through the Agents SDK is audited', () => {
  it('batch: approve some, reject others; each call ends with exactly one terminal record', async () => {
    const { agent, model, ran, records, sink, identity } = setup();
    const first = await run(agent, 'go');
    expect(first.interruptions).toHaveLength(4);
    const denials = await Promise.all(
      first.interruptions.map(async (item) => {
        const callId = (item.rawItem as { callId: string }).callId;
        if (callId === 'p1' || callId === 'p3') {
          first.state.approve(item);
          return undefined;
        }
        return rejectAgentsCall(first.state, item, callId === 'p4' ? { message: 'no, not this one' } : {});
      }),
    );
    expect(denials.filter(Boolean)).toMatchObject([
      { code: 'ERR_GUARD_APPROVAL_REFUSED', callId: 'p2' },
      { code: 'ERR_GUARD_APPROVAL_REFUSED', callId: 'p4', reason: 'approval refused: no, not this one' },
    ]);
    const second = await run(agent, first.state);
    expect(second.finalOutput).toBe('done');
    expect(ran.sort()).toEqual(['INV-p1', 'INV-p3']);
    const seen = outputs(model);
    expect(seen.get('p1')).toBe('paid INV-p1');
    // Without a message of the app's own, the model sees the Denial JSON, as for any other refusal.
    expect(JSON.parse(seen.get('p2') ?? '{}')).toMatchObject({ code: 'ERR_GUARD_APPROVAL_REFUSED', callId: 'p2' });
    expect(seen.get('p4')).toBe('no, not this one');
    for (const [id, end] of [
      ['p1', 'call.completed'],
      ['p2', 'approval.refused'],
      ['p3', 'call.completed'],
      ['p4', 'approval.refused'],
    ]) {
      const ends = records().filter(
        (r) => r.callId === id && ['call.completed', 'approval.refused', 'call.denied'].includes(r.type),
      );
      expect(ends.map((r) => r.type)).toEqual([end]);
    }
    expect(verifyLog(sink.text(), { trust: [identity.id] }).ok).toBe(true);
  });

  it("with the tool's reject function, the audit names the approver who refused", async () => {
    const { agent, records, human, ran } = setup({ signRejections: true });
    const first = await run(agent, 'go');
    for (const item of first.interruptions) await rejectAgentsCall(first.state, item);
    await run(agent, first.state);
    expect(ran).toEqual([]);
    const refused = records().filter((r) => r.type === 'approval.refused');
    expect(refused).toHaveLength(4);
    for (const r of refused)
      expect(r.data).toMatchObject({ approver: human.id, approvalCode: 'ERR_ATTESTATION_APPROVAL_REJECTED' });
  });

  it('rejects in the SDK even when the audit cannot write, and then throws ERR_GUARD_AUDIT_FAILED', async () => {
    const { agent, ran, disk } = setup();
    const first = await run(agent, 'go');
    const [item] = first.interruptions;
    if (item === undefined) throw new Error('expected an interruption');
    disk.down = true;
    await expect(rejectAgentsCall(first.state, item)).rejects.toMatchObject({ code: 'ERR_GUARD_AUDIT_FAILED' });
    disk.down = false;
    for (const other of first.interruptions.slice(1)) first.state.approve(other);
    await run(agent, first.state);
    expect(ran.sort()).toEqual(['INV-p2', 'INV-p3', 'INV-p4']);
  });

  it('refuses misuse', async () => {
    await expect(rejectAgentsCall({} as never, {} as never)).rejects.toThrow(TypeError);
  });
});
