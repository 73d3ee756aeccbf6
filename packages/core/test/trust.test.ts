/**
 * Issue 4's threats, end to end through guard(): impersonation, escalation
 * through delegation, replay, an expired and a revoked credential. Each must be
 * refused before the tool runs, and audited with the code that says why.
 */
import { signCall } from '@agentguard/attestation';
import { createAuditLog, createMemorySink } from '@agentguard/audit';
import {
  createIdentity,
  createRevocationChecker,
  createRevocationList,
  createTrustAnchors,
  delegate,
  issueCredential,
} from '@agentguard/identity';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
// An attacker's tool: signs a delegation link without the widening check that delegate() applies.
import { signDelegationUnchecked } from '../../identity/src/delegation/delegation.js';
import { createGuard, type CredentialOptions, type GuardOptions } from '../src/index.js';
import type { PolicyDocument } from '@agentguard/policy';

const authority = createIdentity({ name: 'platform authority' });
const anchors = createTrustAnchors([authority.id]);
const policy: PolicyDocument = {
  version: 1,
  rules: [{ id: 'payments', effect: 'allow', tools: ['read_*', 'refund'] }],
};
const HOUR = 3_600_000;

async function credentialFor(
  agent: { id: `did:key:z${string}` },
  extra: Partial<Parameters<typeof issueCredential>[0]> = {},
) {
  return issueCredential({
    issuer: authority,
    subject: agent.id,
    name: 'support-agent',
    owner: 'payments-team',
    environment: 'prod',
    riskTier: 'high',
    tools: ['read_*', 'refund'],
    ...extra,
  });
}

function setup(
  identity: ReturnType<typeof createIdentity>,
  credentials?: CredentialOptions,
  more: Partial<GuardOptions> = {},
) {
  const sink = createMemorySink();
  const ag = createGuard({
    identity,
    policy,
    audit: createAuditLog({ sink }),
    ...(credentials === undefined ? {} : { credentials }),
    ...more,
  });
  const execute = vi.fn(() => 'refunded');
  const refund = ag.guard({ name: 'refund', schema: z.object({ amount: z.number() }), execute });
  const last = () => {
    const records = sink.lines.map((l) => JSON.parse(l) as { type: string; data?: Record<string, unknown> });
    return records.filter((r) => r.type.startsWith('call.')).at(-1);
  };
  return { refund, execute, last };
}

describe('identity and trust through guard()', () => {
  it('a valid credential lets the call through', async () => {
    const agent = createIdentity();
    const { refund, execute } = setup(agent, { anchors, chain: await credentialFor(agent) });
    await expect(refund({ amount: 5 })).resolves.toBe('refunded');
    expect(execute).toHaveBeenCalledOnce();
  });

  it('refuses a call with no credential when anchors are configured', async () => {
    const agent = createIdentity();
    const { refund, execute, last } = setup(agent, { anchors });
    await expect(refund({ amount: 5 })).rejects.toMatchObject({ code: 'ERR_GUARD_CREDENTIAL_REJECTED' });
    expect(execute).not.toHaveBeenCalled();
    expect(last()?.data?.credentialCode).toBe('ERR_IDENTITY_CREDENTIAL_REQUIRED');
  });

  it("a custom anchor store's failure of its own naming is recorded with identity's code, not lost", async () => {
    const agent = createIdentity();
    const directoryDown = {
      ids: anchors.ids,
      has: anchors.has,
      resolve: () => ({ ok: false, code: 'ERR_MY_DIRECTORY_DOWN', reason: 'directory down' }),
    } as unknown as typeof anchors;
    const { refund, execute, last } = setup(agent, { anchors: directoryDown, chain: await credentialFor(agent) });
    // Refused for the credential (not ERR_GUARD_AUDIT_FAILED): the refusal record keeps the record contract.
    await expect(refund({ amount: 5 })).rejects.toMatchObject({ code: 'ERR_GUARD_CREDENTIAL_REJECTED' });
    expect(execute).not.toHaveBeenCalled();
    expect(last()?.type).toBe('call.denied');
    expect(last()?.data?.credentialCode).toBe('ERR_IDENTITY_ISSUER_UNTRUSTED');
  });

  it('impersonation: a stranger presenting another agent’s credential is refused', async () => {
    const agent = createIdentity();
    const stranger = createIdentity();
    const { refund, execute, last } = setup(stranger, { anchors, chain: await credentialFor(agent) });
    await expect(refund({ amount: 5 })).rejects.toMatchObject({ code: 'ERR_GUARD_CREDENTIAL_REJECTED' });
    expect(execute).not.toHaveBeenCalled();
    expect(last()?.data?.credentialCode).toBe('ERR_IDENTITY_HOLDER_MISMATCH');
  });

  it('impersonation: a call envelope signed by an unknown key is refused', async () => {
    const server = createIdentity({ name: 'tool server' });
    const stranger = createIdentity();
    const { refund, execute, last } = setup(server);
    const { envelope } = await signCall({
      signer: stranger,
      callId: 'x1',
      tool: 'refund',
      args: { amount: 5 },
      policyHash: 'sha256:00',
    });
    await expect(refund({ amount: 5 }, { envelope })).rejects.toMatchObject({ code: 'ERR_GUARD_ENVELOPE_REJECTED' });
    expect(execute).not.toHaveBeenCalled();
    expect(last()?.data?.envelopeCode).toBe('ERR_ATTESTATION_KEY_UNTRUSTED');
  });

  it('escalation: a delegation link that widens the tools is refused', async () => {
    const parent = createIdentity();
    const child = createIdentity();
    const cred = await credentialFor(parent, { tools: ['read_*'] });
    const now = Math.floor(Date.now() / 1000);
    const widened = await signDelegationUnchecked({
      delegator: parent,
      parent: cred,
      claims: {
        sub: child.id,
        jti: 'escalate-1',
        iat: now,
        nbf: now,
        exp: now + 600,
        tools: ['*'],
        scopes: [],
      },
    });
    const { refund, execute, last } = setup(child, { anchors, chain: [cred, widened] });
    await expect(refund({ amount: 5 })).rejects.toMatchObject({ code: 'ERR_GUARD_CREDENTIAL_REJECTED' });
    expect(execute).not.toHaveBeenCalled();
    expect(last()?.data?.credentialCode).toBe('ERR_IDENTITY_DELEGATION_WIDENS');
  });

  it('a proper delegation narrows: the sub-agent may call what was delegated and nothing else', async () => {
    const parent = createIdentity();
    const child = createIdentity();
    const cred = await credentialFor(parent);
    const link = await delegate({ delegator: parent, parent: cred, delegatee: child.id, tools: ['read_*'] });
    const { refund, execute, last } = setup(child, { anchors, chain: [cred, link] });
    await expect(refund({ amount: 5 })).rejects.toMatchObject({ code: 'ERR_GUARD_CREDENTIAL_REJECTED' });
    expect(execute).not.toHaveBeenCalled();
    expect(last()?.data?.credentialCode).toBe('ERR_IDENTITY_CREDENTIAL_DENIED');
  });

  it('replay: the same signed call presented twice is refused the second time', async () => {
    const server = createIdentity({ name: 'tool server' });
    const caller = createIdentity({ name: 'remote agent' });
    const { createTrustStore } = await import('@agentguard/attestation');
    const { refund, execute, last } = setup(server, undefined, { trust: createTrustStore([caller.id]) });
    const { envelope } = await signCall({
      signer: caller,
      callId: 'r1',
      tool: 'refund',
      args: { amount: 5 },
      policyHash: 'sha256:00',
    });
    await expect(refund({ amount: 5 }, { envelope })).resolves.toBe('refunded');
    await expect(refund({ amount: 5 }, { envelope })).rejects.toMatchObject({ code: 'ERR_GUARD_ENVELOPE_REJECTED' });
    expect(execute).toHaveBeenCalledOnce();
    expect(last()?.data?.envelopeCode).toBe('ERR_ATTESTATION_REPLAY');
  });

  it('an expired credential is refused', async () => {
    const agent = createIdentity();
    const chain = await credentialFor(agent, { nowMs: Date.now() - 3 * HOUR, ttlMs: HOUR });
    const { refund, execute, last } = setup(agent, { anchors, chain });
    await expect(refund({ amount: 5 })).rejects.toMatchObject({ code: 'ERR_GUARD_CREDENTIAL_REJECTED' });
    expect(execute).not.toHaveBeenCalled();
    expect(String(last()?.data?.credentialCode)).toMatch(/EXPIRED/);
  });

  it('check() asked again after the credential was revoked refuses, as the run would (not the kept answer)', async () => {
    const agent = createIdentity();
    const chain = await credentialFor(agent);
    let revoked = false;
    const revocation = {
      check: async () =>
        revoked
          ? ({ ok: false, code: 'ERR_IDENTITY_REVOKED', reason: 'revoked meanwhile' } as const)
          : ({ ok: true } as const),
    };
    const { refund, execute } = setup(agent, { anchors, chain, revocation });
    expect(await refund.check({ amount: 5 }, { callId: 'call-r1' })).toMatchObject({ effect: 'allow' });
    revoked = true;
    expect(await refund.check({ amount: 5 }, { callId: 'call-r1' })).toMatchObject({
      effect: 'deny',
      code: 'ERR_GUARD_CREDENTIAL_REJECTED',
    });
    await expect(refund({ amount: 5 }, { callId: 'call-r1' })).rejects.toMatchObject({
      code: 'ERR_GUARD_CREDENTIAL_REJECTED',
    });
    expect(execute).not.toHaveBeenCalled();
  });

  it('a revoked credential is refused', async () => {
    const agent = createIdentity();
    const chain = await credentialFor(agent, { jti: 'cred-to-revoke-1' });
    const list = await createRevocationList({ issuer: authority, seq: 1, revoked: ['cred-to-revoke-1'] });
    const revocation = createRevocationChecker({ anchors, source: list });
    const { refund, execute, last } = setup(agent, { anchors, chain, revocation });
    await expect(refund({ amount: 5 })).rejects.toMatchObject({ code: 'ERR_GUARD_CREDENTIAL_REJECTED' });
    expect(execute).not.toHaveBeenCalled();
    expect(last()?.data?.credentialCode).toBe('ERR_IDENTITY_REVOKED');
  });
});
