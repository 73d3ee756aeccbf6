import { describe, expect, it } from 'vitest';
import { createTrustAnchors } from '../trust/anchors.js';
import { issueCredential } from './credential.js';
import { createCredentialGate } from './gate.js';
import { delegate } from '../delegation/delegation.js';
import { createIdentity } from '../key/identity.js';
import { createRevocationChecker, createRevocationList } from '../revocation/revocation.js';

const NOW = Date.parse('2026-07-01T00:00:00Z');
const authority = createIdentity();
const agent = createIdentity();
const helper = createIdentity();
const anchors = createTrustAnchors([authority.id]);
const issue = (extra: { maxCalls?: number; jti?: string } = {}) =>
  issueCredential({
    issuer: authority,
    subject: agent.id,
    name: 'a',
    owner: 'o',
    environment: 'e',
    riskTier: 'high',
    tools: ['fs.*'],
    args: { path: { prefix: ['/data'] } },
    nowMs: NOW,
    ttlMs: 3_600_000,
    ...extra,
  });
const call = { agent: agent.id, tool: 'fs.read', args: { path: '/data/a' }, required: true };

describe('createCredentialGate', () => {
  it('requires a credential only when told to', async () => {
    const gate = createCredentialGate({ anchors, clock: () => NOW });
    expect(await gate.check({ ...call, required: false })).toEqual({ ok: true, presented: false });
    expect(await gate.check(call)).toMatchObject({ ok: false, code: 'ERR_IDENTITY_CREDENTIAL_REQUIRED' });
  });

  it('binds the chain to the signing agent and checks the call against the rights', async () => {
    const gate = createCredentialGate({ anchors, clock: () => NOW });
    const chain = await issue();
    expect(await gate.check({ ...call, chain })).toMatchObject({
      ok: true,
      presented: true,
      riskTier: 'high',
      calls: 0,
    });
    expect(await gate.check({ ...call, chain, agent: helper.id })).toMatchObject({
      code: 'ERR_IDENTITY_HOLDER_MISMATCH',
    });
    expect(await gate.check({ ...call, chain, tool: 'http.get' })).toMatchObject({
      code: 'ERR_IDENTITY_CREDENTIAL_DENIED',
    });
    expect(await gate.check({ ...call, chain, args: { path: '/etc/passwd' } })).toMatchObject({
      code: 'ERR_IDENTITY_CREDENTIAL_DENIED',
    });
    expect(await gate.check({ ...call, chain, args: {} })).toMatchObject({ code: 'ERR_IDENTITY_CREDENTIAL_DENIED' });
    expect(await gate.check({ ...call, chain, scopes: ['admin'] })).toMatchObject({
      code: 'ERR_IDENTITY_CREDENTIAL_DENIED',
    });
    const late = createCredentialGate({ anchors, clock: () => NOW + 3_700_000 });
    expect(await late.check({ ...call, chain })).toMatchObject({ code: 'ERR_IDENTITY_EXPIRED' });
  });

  it('counts calls against every budget in the chain, so sibling delegations cannot multiply calls', async () => {
    const gate = createCredentialGate({ anchors, clock: () => NOW });
    const root = await issue({ maxCalls: 3 });
    // The agent delegates to a helper twice, each link claiming the full budget of 3.
    const l1 = await delegate({ delegator: agent, parent: root, delegatee: helper.id, tools: ['fs.read'], nowMs: NOW });
    const l2 = await delegate({ delegator: agent, parent: root, delegatee: helper.id, tools: ['fs.read'], nowMs: NOW });
    const viaHelper = { ...call, agent: helper.id };
    expect(await gate.check({ ...viaHelper, chain: [root, l1] })).toMatchObject({ ok: true, calls: 1 });
    expect(await gate.check({ ...viaHelper, chain: [root, l2] })).toMatchObject({ ok: true, calls: 2 });
    expect(await gate.check({ ...call, chain: root })).toMatchObject({ ok: true, calls: 3 });
    expect(await gate.check({ ...viaHelper, chain: [root, l1] })).toMatchObject({
      code: 'ERR_IDENTITY_CALL_BUDGET_EXCEEDED',
    });
    expect(await gate.check({ ...call, chain: root })).toMatchObject({ code: 'ERR_IDENTITY_CALL_BUDGET_EXCEEDED' });
  });

  it('fails closed when the budget table is full, and checks revocation on every call', async () => {
    const full = createCredentialGate({ anchors, clock: () => NOW, maxBudgets: 1 });
    expect(await full.check({ ...call, chain: await issue({ maxCalls: 5 }) })).toMatchObject({ ok: true });
    expect(await full.check({ ...call, chain: await issue({ maxCalls: 5 }) })).toMatchObject({
      code: 'ERR_IDENTITY_CALL_BUDGET_EXCEEDED',
    });
    const chain = await issue({ jti: 'gate-revoked-1' });
    const list = await createRevocationList({ issuer: authority, seq: 1, revoked: ['gate-revoked-1'], nowMs: NOW });
    const gate = createCredentialGate({
      anchors,
      clock: () => NOW,
      revocation: createRevocationChecker({ anchors, source: list, clock: () => NOW }),
    });
    expect(await gate.check({ ...call, chain })).toMatchObject({ code: 'ERR_IDENTITY_REVOKED' });
  });
});
