/**
 * Invariant: an approval runs a call only when a trusted approver OTHER than the caller signed it, bound to
 * the value that runs. The calling agent's own key, any key of its delegation chain and the guard's own key
 * never approve, whatever `approvers` lists (refused with `ERR_ATTESTATION_APPROVAL_SELF_SIGNED`).
 */
import { signCall, createApproval, createTrustStore, verifyApproval } from '@agentguard/attestation';
import { createAuditLog, createMemorySink } from '@agentguard/audit';
import { type ApprovalOptions, createGuard, type CredentialOptions } from '@agentguard/core';
import { createIdentity, createTrustAnchors, delegate, issueCredential } from '@agentguard/identity';
import { createPolicyEngine, createMemoryStateStore } from '@agentguard/policy';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FUZZ_RUNS, fuzzParams } from './fuzz.js';

const authority = createIdentity({ name: 'authority' });
const anchors = createTrustAnchors([authority.id]);
const boss = createIdentity({ name: 'boss (delegator)' });
const alice = createIdentity({ name: 'alice (approver)' });
const policy = { version: 1, rules: [{ id: 'human', effect: 'require_approval', tools: ['refund'] }] };
type Signer = ReturnType<typeof createIdentity>;

async function chainFor(agent: Signer): Promise<string[]> {
  const cred = await issueCredential({
    issuer: authority,
    subject: boss.id,
    name: 'boss',
    owner: 'payments',
    environment: 'prod',
    riskTier: 'low',
    tools: ['refund'],
  });
  return [cred, await delegate({ delegator: boss, parent: cred, delegatee: agent.id, tools: ['refund'] })];
}

function setup(agent: Signer, approvals: Partial<ApprovalOptions>, credentials?: CredentialOptions) {
  const sink = createMemorySink();
  const engine = createPolicyEngine(policy);
  const ag = createGuard({
    identity: agent,
    policy: engine,
    audit: createAuditLog({ sink }),
    approvals: { approvers: [agent.id, boss.id, alice.id], ...approvals },
    ...(credentials === undefined ? {} : { credentials }),
  });
  let runs = 0;
  const tool = ag.guard({
    name: 'refund',
    schema: z.object({ amount: z.number() }),
    execute: () => {
      runs++;
      return 'refunded';
    },
  });
  const approve = (by: Signer, callId: string, decision: 'approve' | 'reject' = 'approve') =>
    createApproval(
      { callId, tool: 'refund', args: { amount: 5 }, policyHash: engine.hash },
      { approver: by, decision },
    );
  const records = () => sink.lines.map((l) => JSON.parse(l) as { type: string; data: Record<string, unknown> });
  return { tool, approve, records, runs: () => runs, engine };
}

describe('self-approval', () => {
  it("the agent's own key, listed among approvers, cannot approve its call", async () => {
    const agent = createIdentity({ name: 'agent' });
    const { tool, approve, records, runs } = setup(agent, {});
    await tool.safeRun({ amount: 5 }, { callId: 'c-1' });
    const outcome = await tool.safeRun({ amount: 5 }, { callId: 'c-1', approval: await approve(agent, 'c-1') });
    expect(outcome).toMatchObject({ ok: false, denial: { code: 'ERR_GUARD_APPROVAL_REFUSED' } });
    expect(runs()).toBe(0);
    const refused = records().find((r) => r.type === 'approval.refused');
    expect(refused?.data.approvalCode).toBe('ERR_ATTESTATION_APPROVAL_SELF_SIGNED');
  });

  it('an approver callback that self-signs with the agent key is refused too', async () => {
    const agent = createIdentity({ name: 'agent' });
    const engine = createPolicyEngine(policy);
    const { tool, runs } = setup(agent, {
      approver: (req) =>
        createApproval(
          { callId: req.callId, tool: req.tool, args: req.args, policyHash: engine.hash },
          { approver: agent },
        ),
    });
    expect(await tool.safeRun({ amount: 5 })).toMatchObject({
      ok: false,
      denial: { code: 'ERR_GUARD_APPROVAL_REFUSED' },
    });
    expect(runs()).toBe(0);
  });

  it('a delegator key of the agent chain cannot approve its call', async () => {
    const agent = createIdentity({ name: 'agent' });
    const { tool, approve, records, runs } = setup(agent, {}, { anchors, chain: await chainFor(agent) });
    await tool.safeRun({ amount: 5 }, { callId: 'd-1' });
    const outcome = await tool.safeRun({ amount: 5 }, { callId: 'd-1', approval: await approve(boss, 'd-1') });
    expect(outcome).toMatchObject({ ok: false, denial: { code: 'ERR_GUARD_APPROVAL_REFUSED' } });
    expect(runs()).toBe(0);
    expect(records().find((r) => r.type === 'approval.refused')?.data.approvalCode).toBe(
      'ERR_ATTESTATION_APPROVAL_SELF_SIGNED',
    );
    // A real approver still can.
    await tool.safeRun({ amount: 5 }, { callId: 'd-2' });
    expect(await tool.safeRun({ amount: 5 }, { callId: 'd-2', approval: await approve(alice, 'd-2') })).toMatchObject({
      ok: true,
    });
  });

  it('a remote agent (incoming envelope) cannot approve its own call, nor can the guard key', async () => {
    const server = createIdentity({ name: 'tool server' });
    const remote = createIdentity({ name: 'remote agent' });
    const sink = createMemorySink();
    const engine = createPolicyEngine(policy);
    const { createTrustStore } = await import('@agentguard/attestation');
    const ag = createGuard({
      identity: server,
      policy: engine,
      audit: createAuditLog({ sink }),
      trust: createTrustStore([server.id, remote.id]),
      approvals: { approvers: [server.id, remote.id] },
    });
    let runs = 0;
    const tool = ag.guard({ name: 'refund', schema: z.object({ amount: z.number() }), execute: () => runs++ });
    for (const [by, callId] of [
      [remote, 'e-1'],
      [server, 'e-2'],
    ] as const) {
      const envelope = async () =>
        (await signCall({ signer: remote, callId, tool: 'refund', args: { amount: 5 }, policyHash: engine.hash }))
          .envelope;
      await tool.safeRun({ amount: 5 }, { callId, envelope: await envelope() });
      const approval = await createApproval(
        { callId, tool: 'refund', args: { amount: 5 }, policyHash: engine.hash },
        { approver: by },
      );
      const outcome = await tool.safeRun({ amount: 5 }, { callId, envelope: await envelope(), approval });
      expect(outcome).toMatchObject({ ok: false, denial: { code: 'ERR_GUARD_APPROVAL_REFUSED' } });
    }
    expect(runs).toBe(0);
  });

  it("refuse(): the agent's self-signed rejection is recorded without naming it as the approver", async () => {
    const agent = createIdentity({ name: 'agent' });
    const { tool, approve, records } = setup(agent, {});
    await tool.refuse({ amount: 5 }, { callId: 'f-1', approval: await approve(agent, 'f-1', 'reject') });
    const refused = records().find((r) => r.type === 'approval.refused');
    expect(refused?.data.approver).toBeUndefined();
    expect(refused?.data.approvalCode).toBe('ERR_ATTESTATION_APPROVAL_SELF_SIGNED');
  });

  it('verifyApproval refuses an excluded approver even when trusted, and consumes no nonce', async () => {
    const agent = createIdentity({ name: 'agent' });
    const subject = { callId: 'v-1', tool: 'refund', args: {}, policyHash: `sha256:${'0'.repeat(64)}` };
    const approval = await createApproval(subject, { approver: agent });
    const nonceStore = createMemoryStateStore();
    const options = { approvers: createTrustStore([agent.id]), nonceStore };
    expect(await verifyApproval(approval, subject, { ...options, excludedApprovers: [agent.id] })).toMatchObject({
      ok: false,
      code: 'ERR_ATTESTATION_APPROVAL_SELF_SIGNED',
    });
    expect(await verifyApproval(approval, subject, options)).toMatchObject({ ok: true });
  });

  it('fuzz: whoever is listed as approver, a call runs only on an approval by a key outside its chain', async () => {
    const agent = createIdentity({ name: 'agent' });
    const others = [alice, createIdentity({ name: 'bob' })];
    const { tool, approve, runs } = setup(
      agent,
      { approvers: [agent.id, boss.id, ...others.map((o) => o.id)] },
      { anchors, chain: await chainFor(agent) },
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('agent', 'boss', 'alice', 'bob'), fc.boolean(), async (who, inline) => {
        const signer = { agent, boss, alice: others[0], bob: others[1] }[who] as Signer;
        const callId = `fz-${n++}`;
        const before = runs();
        if (!inline) await tool.safeRun({ amount: 5 }, { callId });
        const outcome = await tool.safeRun({ amount: 5 }, { callId, approval: await approve(signer, callId) });
        const allowed = who === 'alice' || who === 'bob';
        expect(outcome.ok).toBe(allowed);
        expect(runs() - before).toBe(allowed ? 1 : 0);
      }),
      fuzzParams(Math.ceil(FUZZ_RUNS / 4)),
    );
  });
});
