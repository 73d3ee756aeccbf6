import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createTrustAnchors, type TrustAnchors } from '../trust/anchors.js';
import { fromBase64Url, fromUtf8, toBase64Url, utf8 } from '@agentguard/statement';
import { CREDENTIAL_TYP, inspectCredential, issueCredential, verifyCredential } from './credential.js';
import type { RevocationChecker } from './options.js';
import { createIdentity } from '../key/identity.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const authority = createIdentity({ name: 'authority' });
const agent = createIdentity({ name: 'agent' });
const anchors = createTrustAnchors([authority.id]);

function issue(extra: Partial<Parameters<typeof issueCredential>[0]> = {}) {
  return issueCredential({
    issuer: authority,
    subject: agent.id,
    name: 'billing-agent',
    owner: 'team-billing',
    environment: 'prod',
    riskTier: 'high',
    tools: ['invoice.*', 'search'],
    scopes: ['read:invoices'],
    args: { amount: { max: 100 } },
    maxCalls: 10,
    nowMs: NOW,
    ttlMs: 3_600_000,
    ...extra,
  });
}

/** Signs arbitrary header/payload JSON text with `signer`, bypassing our own checks. */
async function forge(header: string, payload: string, signer = authority): Promise<string> {
  const input = `${toBase64Url(utf8(header))}.${toBase64Url(utf8(payload))}`;
  return `${input}.${toBase64Url(await signer.sign(utf8(input)))}`;
}

function parts(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [h, p] = token.split('.') as [string, string];
  return { header: JSON.parse(fromUtf8(fromBase64Url(h))), payload: JSON.parse(fromUtf8(fromBase64Url(p))) };
}

describe('issueCredential / verifyCredential', () => {
  it('round-trips: binds the agent key, name, tier and rights to a trusted authority', async () => {
    const token = await issue();
    const { header } = parts(token);
    expect(header).toEqual({ alg: 'Ed25519', typ: CREDENTIAL_TYP, kid: authority.keyId });
    const r = await verifyCredential(token, { anchors, nowMs: NOW + 1000 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.credential.subject).toBe(agent.id);
    expect(r.credential.publicKey).toEqual(agent.publicKey);
    expect(r.credential.riskTier).toBe('high');
    expect(r.credential.claims.cnf.jwk.x).toBe(agent.publicJwk().x);
    expect(r.credential.rights).toMatchObject({
      tools: ['invoice.*', 'search'],
      maxCalls: 10,
      args: { amount: { max: 100 } },
    });
    expect(inspectCredential(token).claims.name).toBe('billing-agent');
  });

  it('accepts the older alg "EdDSA" on input', async () => {
    const { payload } = parts(await issue());
    const token = await forge(
      JSON.stringify({ alg: 'EdDSA', typ: CREDENTIAL_TYP, kid: authority.keyId }),
      JSON.stringify(payload),
    );
    expect((await verifyCredential(token, { anchors, nowMs: NOW })).ok).toBe(true);
  });

  it.each([
    ['none', { alg: 'none' }, 'ERR_IDENTITY_ALG_UNSUPPORTED'],
    ['HS256 (alg confusion)', { alg: 'HS256' }, 'ERR_IDENTITY_ALG_UNSUPPORTED'],
    ['ES256', { alg: 'ES256' }, 'ERR_IDENTITY_ALG_UNSUPPORTED'],
    ['lower-case ed25519', { alg: 'ed25519' }, 'ERR_IDENTITY_ALG_UNSUPPORTED'],
    ['wrong typ', { typ: 'JWT' }, 'ERR_IDENTITY_TOKEN_MALFORMED'],
    ['embedded jwk header', { jwk: agent.publicJwk() }, 'ERR_IDENTITY_TOKEN_MALFORMED'],
    ['crit header', { crit: ['exp'] }, 'ERR_IDENTITY_TOKEN_MALFORMED'],
    ['unknown kid', { kid: agent.keyId }, 'ERR_IDENTITY_KEY_UNKNOWN'],
  ])('refuses a header with %s', async (_label, change, code) => {
    const { payload } = parts(await issue());
    const header = { alg: 'Ed25519', typ: CREDENTIAL_TYP, kid: authority.keyId, ...change };
    const r = await verifyCredential(await forge(JSON.stringify(header), JSON.stringify(payload)), {
      anchors,
      nowMs: NOW,
    });
    expect(r).toMatchObject({ ok: false, code });
  });

  it('refuses unknown issuers, foreign signatures, unknown claims and a cnf for another key', async () => {
    const stranger = createIdentity();
    const foreign = await issueCredential({
      issuer: stranger,
      subject: agent.id,
      name: 'x',
      owner: 'x',
      environment: 'x',
      riskTier: 'low',
      tools: ['a'],
      nowMs: NOW,
    });
    expect(await verifyCredential(foreign, { anchors, nowMs: NOW })).toMatchObject({
      code: 'ERR_IDENTITY_ISSUER_UNTRUSTED',
    });
    const { header, payload } = parts(await issue());
    // Claims naming the trusted authority but signed by a stranger.
    const impostor = await forge(JSON.stringify(header), JSON.stringify(payload), stranger);
    expect(await verifyCredential(impostor, { anchors, nowMs: NOW })).toMatchObject({
      code: 'ERR_IDENTITY_SIGNATURE_INVALID',
    });
    const extra = await forge(JSON.stringify(header), JSON.stringify({ ...payload, admin: true }));
    expect(await verifyCredential(extra, { anchors, nowMs: NOW })).toMatchObject({
      code: 'ERR_IDENTITY_CLAIMS_INVALID',
    });
    const cnf = { jwk: stranger.publicJwk() };
    const swapped = await forge(JSON.stringify(header), JSON.stringify({ ...payload, cnf }));
    expect(await verifyCredential(swapped, { anchors, nowMs: NOW })).toMatchObject({
      code: 'ERR_IDENTITY_CLAIMS_INVALID',
    });
  });

  it('checks the validity window with a bounded skew (30 s by default, as everywhere)', async () => {
    const token = await issue();
    expect(await verifyCredential(token, { anchors, nowMs: NOW + 3_600_000 + 30_000 })).toMatchObject({
      code: 'ERR_IDENTITY_EXPIRED',
    });
    expect((await verifyCredential(token, { anchors, nowMs: NOW + 3_600_000 + 29_000 })).ok).toBe(true);
    expect((await verifyCredential(token, { anchors, nowMs: NOW + 3_600_000, clockSkewMs: 0 })).ok).toBe(false);
    expect(await verifyCredential(token, { anchors, nowMs: NOW - 31_000 })).toMatchObject({
      code: 'ERR_IDENTITY_NOT_YET_VALID',
    });
    expect((await verifyCredential(token, { anchors, nowMs: NOW - 29_000 })).ok).toBe(true);
    expect((await verifyCredential(token, { anchors, nowMs: NOW - 59_000, clockSkewMs: 60_000 })).ok).toBe(true);
    await expect(verifyCredential(token, { anchors, clockSkewMs: 300_001 })).rejects.toThrow(RangeError);
    await expect(verifyCredential(token, { anchors, clockSkewMs: -1 })).rejects.toThrow(RangeError);
  });

  it("reads a custom anchor store's answer as untrusted input", async () => {
    const token = await issue();
    const store = (resolve: () => unknown): TrustAnchors => ({
      ids: anchors.ids,
      has: anchors.has,
      resolve: resolve as TrustAnchors['resolve'],
    });
    // What the built-in store answers passes through a custom one unchanged.
    const relay = store(() => anchors.resolve(authority.id, authority.keyId, NOW));
    expect((await verifyCredential(token, { anchors: relay, nowMs: NOW })).ok).toBe(true);
    const retired = { ok: false, code: 'ERR_IDENTITY_KEY_RETIRED', reason: 'rotated out' };
    expect(await verifyCredential(token, { anchors: store(() => retired), nowMs: NOW })).toMatchObject(retired);
    // Anything else is a failure to show the issuer trusted: never a pass, never a code of the store's choosing.
    for (const [i, answer] of [
      undefined,
      null,
      'ok',
      {},
      { ok: 'true' },
      { ok: true },
      { ok: true, anchorId: authority.id, key: { publicKey: new Uint8Array(31) } },
      { ok: true, anchorId: authority.id, key: { publicKey: Array.from(authority.publicKey) } },
      { ok: false, code: 'ERR_MY_DIRECTORY_DOWN', reason: 'no' },
      { ok: false, code: 'ERR_IDENTITY_SIGNATURE_INVALID', reason: 'no' },
      {
        get ok() {
          throw new Error('getter');
        },
      },
    ].entries()) {
      const result = await verifyCredential(token, { anchors: store(() => answer), nowMs: NOW });
      expect(result, `answer ${i}`).toMatchObject({ ok: false, code: 'ERR_IDENTITY_ISSUER_UNTRUSTED' });
    }
    // An answer that changes between reads, a key whose methods throw, a thrown Proxy: read once, copied, refused.
    let reads = 0;
    const flips = {
      get ok() {
        return reads++ === 0;
      },
      anchorId: authority.id,
      key: { publicKey: new Uint8Array(32) },
      code: 'ERR_MY_CODE',
      reason: 'r',
    };
    const result = await verifyCredential(token, { anchors: store(() => flips), nowMs: NOW });
    expect(result).toMatchObject({ ok: false, code: 'ERR_IDENTITY_SIGNATURE_INVALID' });
    class Hostile extends Uint8Array {
      override slice(): Uint8Array<ArrayBuffer> {
        throw Object.assign(Object.create(Error.prototype), { code: 'ERR_MY_CODE3', message: 'x' });
      }
    }
    const subclass = { ok: true, anchorId: authority.id, key: { publicKey: new Hostile(authority.publicKey) } };
    expect((await verifyCredential(token, { anchors: store(() => subclass), nowMs: NOW })).ok).toBe(true);
    const proxy: object = new Proxy(
      {},
      {
        getPrototypeOf() {
          throw proxy;
        },
      },
    );
    const throwsProxy = store(() => {
      throw proxy;
    });
    expect(await verifyCredential(token, { anchors: throwsProxy, nowMs: NOW })).toMatchObject({
      ok: false,
      code: 'ERR_IDENTITY_ISSUER_UNTRUSTED',
    });
    const throws = store(() => {
      throw new Error('directory down');
    });
    expect(await verifyCredential(token, { anchors: throws, nowMs: NOW })).toMatchObject({
      ok: false,
      code: 'ERR_IDENTITY_ISSUER_UNTRUSTED',
      reason: 'the trust anchors failed: directory down',
    });
  });

  it('consults revocation on every verification and fails closed', async () => {
    const token = await issue({ jti: 'credential-0001' });
    const seen: string[][] = [];
    const revokeJti: RevocationChecker = {
      check: async (q) => {
        seen.push([q.jti, ...q.keys]);
        return q.jti === 'credential-0001'
          ? { ok: false, code: 'ERR_IDENTITY_REVOKED', reason: 'revoked' }
          : { ok: true };
      },
    };
    expect(await verifyCredential(token, { anchors, nowMs: NOW, revocation: revokeJti })).toMatchObject({
      code: 'ERR_IDENTITY_REVOKED',
    });
    expect(seen).toEqual([['credential-0001', authority.keyId, agent.id]]);
    const broken: RevocationChecker = {
      check: async () => {
        throw new Error('list server down');
      },
    };
    expect(await verifyCredential(token, { anchors, nowMs: NOW, revocation: broken })).toMatchObject({
      code: 'ERR_IDENTITY_REVOCATION_UNAVAILABLE',
    });
    // A custom checker's answer is untrusted input: only a well-formed verdict counts, and only its two codes.
    for (const answer of [
      undefined,
      null,
      'ok',
      {},
      { ok: 'true' },
      { ok: false, code: 'revoked by admin', reason: 'no' },
      { ok: false, code: 'ERR_IDENTITY_SIGNATURE_INVALID', reason: 'no' },
      {
        get ok() {
          throw new Error('getter');
        },
      },
    ]) {
      const odd = { check: async () => answer } as unknown as RevocationChecker;
      expect(await verifyCredential(token, { anchors, nowMs: NOW, revocation: odd })).toMatchObject({
        ok: false,
        code: 'ERR_IDENTITY_REVOCATION_UNAVAILABLE',
      });
    }
    const revokedNoReason = { check: async () => ({ ok: false, code: 'ERR_IDENTITY_REVOKED' }) };
    expect(
      await verifyCredential(token, {
        anchors,
        nowMs: NOW,
        revocation: revokedNoReason as unknown as RevocationChecker,
      }),
    ).toMatchObject({ code: 'ERR_IDENTITY_REVOKED' });
  });

  it('refuses to issue claims that would not verify', async () => {
    await expect(issue({ tools: ['bad glob!'] })).rejects.toMatchObject({ code: 'ERR_IDENTITY_CLAIMS_INVALID' });
    await expect(issue({ name: '' })).rejects.toMatchObject({ code: 'ERR_IDENTITY_CLAIMS_INVALID' });
    await expect(issue({ riskTier: 'extreme' as never })).rejects.toMatchObject({
      code: 'ERR_IDENTITY_CLAIMS_INVALID',
    });
  });

  it('property: changing any character of a valid token never verifies as a different credential', async () => {
    const token = await issue();
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
    await fc.assert(
      fc.asyncProperty(fc.nat(token.length - 1), fc.constantFrom(...alphabet), async (i, c) => {
        fc.pre(token[i] !== c);
        const changed = `${token.slice(0, i)}${c}${token.slice(i + 1)}`;
        const r = await verifyCredential(changed, { anchors, nowMs: NOW });
        expect(r.ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('property: any valid claim set round-trips through issue and verify unchanged', async () => {
    // Printable ASCII and a few non-ASCII letters: no control characters, no lone surrogates.
    const text = fc.string({ unit: fc.constantFrom(...'abc XYZ-_.:/éü€'.split('')), minLength: 1, maxLength: 40 });
    const glob = fc.stringMatching(/^[a-z][a-z.*]{0,10}$/).filter((g) => !g.includes('**'));
    await fc.assert(
      fc.asyncProperty(
        text,
        text,
        fc.constantFrom('low', 'medium', 'high'),
        fc.uniqueArray(glob, { minLength: 1, maxLength: 4 }),
        fc.uniqueArray(fc.stringMatching(/^[a-z:]{1,12}$/), { maxLength: 3 }),
        fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }),
        async (name, owner, riskTier, tools, scopes, maxCalls) => {
          const token = await issueCredential({
            issuer: authority,
            subject: agent.id,
            name,
            owner,
            environment: 'e',
            riskTier,
            tools,
            scopes,
            args: { n: { max: 5, oneOf: [1, 'x', true] } },
            nowMs: NOW,
            ...(maxCalls === undefined ? {} : { maxCalls }),
          });
          const r = await verifyCredential(token, { anchors, nowMs: NOW });
          expect(r.ok).toBe(true);
          if (!r.ok) return;
          expect({ ...r.credential.claims }).toMatchObject({ name, owner, riskTier, tools, scopes });
          expect(r.credential.rights.maxCalls).toBe(maxCalls);
        },
      ),
      { numRuns: 100 },
    );
  });
});
