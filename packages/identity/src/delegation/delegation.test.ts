import { describe, expect, it } from 'vitest';
import { createTrustAnchors } from '../trust/anchors.js';
import { issueCredential } from '../credential/credential.js';
import type { RevocationChecker } from '../credential/options.js';
import { delegate, signDelegationUnchecked } from './delegation.js';
import { createChainCache, verifyChain } from './chain.js';
import { rightsAllow } from './rights.js';
import { createIdentity } from '../key/identity.js';

const NOW = Date.parse('2026-05-01T00:00:00Z');
const HOUR = 3_600_000;
const authority = createIdentity();
const anchors = createTrustAnchors([authority.id]);
const [a, b, c, d, e, f] = Array.from({ length: 6 }, () => createIdentity());
if (a === undefined || b === undefined || c === undefined || d === undefined || e === undefined || f === undefined) {
  throw new Error('identities');
}

const root = () =>
  issueCredential({
    issuer: authority,
    subject: a.id,
    name: 'orchestrator',
    owner: 'ops',
    environment: 'prod',
    riskTier: 'high',
    tools: ['fs.*', 'http.get'],
    scopes: ['read', 'write'],
    args: { path: { prefix: ['/data'] }, size: { max: 1000 } },
    maxCalls: 100,
    nowMs: NOW,
    ttlMs: 10 * HOUR,
  });

const o = { anchors, nowMs: NOW + 1000 };

describe('delegate / verifyChain', () => {
  it('narrows link by link; the effective rights are the intersection', async () => {
    const cred = await root();
    const l1 = await delegate({
      delegator: a,
      parent: cred,
      delegatee: b.id,
      tools: ['fs.read', 'fs.list'],
      scopes: ['read'],
      args: { path: { prefix: ['/data/reports'] }, size: { max: 500 } },
      maxCalls: 10,
      nowMs: NOW,
      ttlMs: 2 * HOUR,
    });
    const l2 = await delegate({ delegator: b, parent: l1, delegatee: c.id, tools: ['fs.read'], nowMs: NOW });
    const r = await verifyChain([cred, l1, l2], o);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.subject).toBe(c.id);
    expect(r.root.name).toBe('orchestrator');
    expect(r.rights).toMatchObject({
      tools: ['fs.read'],
      scopes: [],
      maxCalls: 10,
      exp: Math.floor((NOW + 2 * HOUR) / 1000),
    });
    const at = (NOW + 5000) / 1000;
    expect(rightsAllow(r.rights, { tool: 'fs.read', args: { path: '/data/reports/q1.csv', size: 10 }, at })).toBe(true);
    expect(rightsAllow(r.rights, { tool: 'fs.read', args: { path: '/data/secrets', size: 10 }, at })).toBe(false);
    expect(rightsAllow(r.rights, { tool: 'fs.write', args: { path: '/data/reports/x', size: 10 }, at })).toBe(false);
    expect(rightsAllow(r.rights, { tool: 'fs.read', args: { path: '/data/reports/x', size: 501 }, at })).toBe(false);
  });

  it.each([
    ['tools', { tools: ['fs.*', 'http.*'] }],
    ['scopes', { tools: ['fs.read'], scopes: ['admin'] }],
    ['args.size.max', { tools: ['fs.read'], args: { path: { prefix: ['/data'] }, size: { max: 1001 } } }],
    ['args.path.prefix', { tools: ['fs.read'], args: { path: { prefix: ['/'] }, size: { max: 10 } } }],
    ['args.path', { tools: ['fs.read'], args: { size: { max: 10 } } }],
    ['maxCalls', { tools: ['fs.read'], maxCalls: 101 }],
    ['exp', { tools: ['fs.read'], ttlMs: 11 * HOUR }],
  ])('delegate() refuses to widen %s', async (field, change) => {
    const cred = await root();
    await expect(
      delegate({ delegator: a, parent: cred, delegatee: b.id, nowMs: NOW, ...change }),
    ).rejects.toMatchObject({
      code: 'ERR_IDENTITY_DELEGATION_WIDENS',
      message: expect.stringContaining(`"${field}"`),
    });
  });

  it('verifyChain names the widening field of a hand-forged link', async () => {
    const cred = await root();
    const forged = await signDelegationUnchecked({
      delegator: a,
      parent: cred,
      claims: {
        sub: b.id,
        jti: 'forged-link-1',
        iat: NOW / 1000,
        nbf: NOW / 1000,
        exp: NOW / 1000 + 60,
        tools: ['*'],
        scopes: [],
      },
    });
    expect(await verifyChain([cred, forged], o)).toMatchObject({
      code: 'ERR_IDENTITY_DELEGATION_WIDENS',
      field: 'tools',
      index: 1,
    });
  });

  it('rejects broken signatures, wrong delegators, spliced links, expiry, revocation and depth', async () => {
    const cred = await root();
    const l1 = await delegate({
      delegator: a,
      parent: cred,
      delegatee: b.id,
      tools: ['fs.read'],
      nowMs: NOW,
      ttlMs: HOUR,
    });
    const [h, p, s] = l1.split('.') as [string, string, string];
    const badSig = `${h}.${p}.${s[0] === 'A' ? 'B' : 'A'}${s.slice(1)}`;
    expect(await verifyChain([cred, badSig], o)).toMatchObject({ code: 'ERR_IDENTITY_SIGNATURE_INVALID', index: 1 });
    const stolen = await signDelegationUnchecked({
      delegator: d,
      parent: cred,
      claims: {
        sub: b.id,
        jti: 'stolen-link-1',
        iat: NOW / 1000,
        nbf: NOW / 1000,
        exp: NOW / 1000 + 60,
        tools: ['fs.read'],
        scopes: [],
      },
    });
    expect(await verifyChain([cred, stolen], o)).toMatchObject({ code: 'ERR_IDENTITY_CHAIN_BROKEN', index: 1 });
    const other = await root(); // a second credential for the same agent: l1 is not its child
    expect(await verifyChain([other, l1], o)).toMatchObject({ code: 'ERR_IDENTITY_CHAIN_BROKEN', index: 1 });
    expect(await verifyChain([l1], o)).toMatchObject({ code: 'ERR_IDENTITY_TOKEN_MALFORMED', index: 0 });
    expect(await verifyChain([cred, l1], { ...o, nowMs: NOW + 2 * HOUR })).toMatchObject({
      code: 'ERR_IDENTITY_EXPIRED',
      index: 1,
    });
    const revokeB: RevocationChecker = {
      check: async (q) =>
        q.keys.includes(b.id) ? { ok: false, code: 'ERR_IDENTITY_REVOKED', reason: 'b revoked' } : { ok: true },
    };
    expect(await verifyChain([cred, l1], { ...o, revocation: revokeB })).toMatchObject({
      code: 'ERR_IDENTITY_REVOKED',
      index: 1,
    });
    let chain = [cred];
    const agents = [a, b, c, d, e, f];
    for (let i = 0; i < 5; i++) {
      const from = agents[i] as typeof a;
      const to = agents[i + 1] as typeof a;
      chain = [
        ...chain,
        await delegate({
          delegator: from,
          parent: chain.at(-1) as string,
          delegatee: to.id,
          tools: ['fs.read'],
          nowMs: NOW,
        }),
      ];
    }
    expect(await verifyChain(chain.slice(0, 5), o)).toMatchObject({ ok: true });
    expect(await verifyChain(chain, o)).toMatchObject({ code: 'ERR_IDENTITY_CHAIN_TOO_DEEP' });
    expect(await verifyChain(chain, { ...o, maxDepth: 5 })).toMatchObject({ ok: true });
    expect(await verifyChain([], o)).toMatchObject({ code: 'ERR_IDENTITY_CHAIN_BROKEN' });
    await expect(verifyChain(chain, { ...o, maxDepth: -1 })).rejects.toThrow(RangeError);
  });

  it('caches the static part by chain hash but re-checks time and revocation on every call', async () => {
    const cred = await root();
    const l1 = await delegate({
      delegator: a,
      parent: cred,
      delegatee: b.id,
      tools: ['fs.read'],
      nowMs: NOW,
      ttlMs: HOUR,
    });
    const cache = createChainCache({ maxEntries: 2 });
    expect(await verifyChain([cred, l1], { ...o, cache })).toMatchObject({ ok: true, cached: false });
    expect(await verifyChain([cred, l1], { ...o, cache })).toMatchObject({ ok: true, cached: true });
    expect(cache.size).toBe(1);
    expect(await verifyChain([cred, l1], { ...o, cache, nowMs: NOW + HOUR + 61_000 })).toMatchObject({
      code: 'ERR_IDENTITY_EXPIRED',
    });
    const all: RevocationChecker = {
      check: async () => ({ ok: false, code: 'ERR_IDENTITY_REVOKED', reason: 'all revoked' }),
    };
    expect(await verifyChain([cred, l1], { ...o, cache, revocation: all })).toMatchObject({
      code: 'ERR_IDENTITY_REVOKED',
      index: 0,
    });
    // A failure is never cached: a bad chain costs its full check every time.
    const [h, p] = l1.split('.') as [string, string];
    await verifyChain([cred, `${h}.${p}.${'A'.repeat(86)}`], { ...o, cache });
    expect(cache.size).toBe(1);
    await verifyChain([cred], { ...o, cache });
    await verifyChain([await root()], { ...o, cache });
    expect(cache.size).toBe(2);
  });
});
