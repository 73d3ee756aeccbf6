import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createTrustAnchors } from '../trust/anchors.js';
import { fromBase64Url, fromUtf8, utf8 } from '@agentguard/statement';
import { issueCredential, verifyCredential } from './credential.js';
import { delegate } from '../delegation/delegation.js';
import { verifyChain } from '../delegation/chain.js';
import { verify } from '../ed25519/ed25519.js';
import { createIdentity, identityFromJwk } from '../key/identity.js';
import { createRevocationChecker, createRevocationList } from '../revocation/revocation.js';

// RFC 8037 Appendix A.1 (private key) and A.4 (the JWS it signs with `alg: "EdDSA"`), transcribed from
// https://www.rfc-editor.org/rfc/rfc8037#appendix-A (also used in jwk.test.ts).
const A1 = {
  kty: 'OKP',
  crv: 'Ed25519',
  d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A',
  x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
} as const;
const A4_JWS =
  'eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.' +
  'hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg';

const NOW = Date.parse('2026-03-01T00:00:00Z');
const authority = identityFromJwk(A1, { name: 'rfc8037-a1' });
const anchors = createTrustAnchors([authority.id]);
const agent = createIdentity({ name: 'agent', secretKey: new Uint8Array(32).fill(1) });

/** An independent verifier: node:crypto (OpenSSL) Ed25519 over the JWS signing input, key from the public JWK. */
function independentlyVerifies(token: string, jwk: { readonly kty: string; readonly crv: string; readonly x: string }) {
  const [h, p, s] = token.split('.') as [string, string, string];
  const key = createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: 'jwk' });
  return nodeVerify(null, Buffer.from(`${h}.${p}`, 'ascii'), key, Buffer.from(s, 'base64url'));
}

function headerOf(token: string): unknown {
  return JSON.parse(fromUtf8(fromBase64Url(token.split('.')[0] as string)));
}

const credentialOptions = {
  issuer: authority,
  subject: agent.id,
  name: 'billing',
  owner: 'team-billing',
  environment: 'prod',
  riskTier: 'high',
  tools: ['invoice.*'],
  nowMs: NOW,
  jti: 'cred-eddsa-0001',
} as const;

describe('JWS alg: Ed25519 (RFC 9864) by default, EdDSA (RFC 8037) on request', () => {
  it('RFC 8037 A.4: the known-answer JWS verifies under node:crypto and under our strict verify', () => {
    expect(headerOf(A4_JWS)).toEqual({ alg: 'EdDSA' });
    expect(independentlyVerifies(A4_JWS, A1)).toBe(true);
    const [h, p, s] = A4_JWS.split('.') as [string, string, string];
    expect(verify(fromBase64Url(s), utf8(`${h}.${p}`), authority.publicKey)).toBe(true);
  });

  it('issues credentials with alg Ed25519 unless EdDSA is asked for; both verify here and under node:crypto', async () => {
    const plain = await issueCredential(credentialOptions);
    const eddsa = await issueCredential({ ...credentialOptions, alg: 'EdDSA' });
    expect(headerOf(plain)).toEqual({ alg: 'Ed25519', kid: authority.keyId, typ: 'agentguard-credential+jwt' });
    expect(headerOf(eddsa)).toEqual({ alg: 'EdDSA', kid: authority.keyId, typ: 'agentguard-credential+jwt' });
    // Same claims, different header: the payload segments are identical.
    expect(eddsa.split('.')[1]).toBe(plain.split('.')[1]);
    for (const token of [plain, eddsa]) {
      expect(independentlyVerifies(token, A1)).toBe(true);
      const r = await verifyCredential(token, { anchors, nowMs: NOW });
      expect(r.ok).toBe(true);
    }
  });

  it('issues delegation links and revocation lists with EdDSA, accepted by the chain verifier and the checker', async () => {
    const credential = await issueCredential({ ...credentialOptions, alg: 'EdDSA' });
    const sub = createIdentity({ name: 'sub', secretKey: new Uint8Array(32).fill(2) });
    const link = await delegate({
      delegator: agent,
      parent: credential,
      delegatee: sub.id,
      tools: ['invoice.read'],
      nowMs: NOW,
      jti: 'link-eddsa-0001',
      alg: 'EdDSA',
    });
    expect(headerOf(link)).toMatchObject({ alg: 'EdDSA', typ: 'agentguard-delegation+jwt' });
    expect(independentlyVerifies(link, agent.publicJwk())).toBe(true);
    expect((await verifyChain([credential, link], { anchors, nowMs: NOW })).ok).toBe(true);

    const list = await createRevocationList({
      issuer: authority,
      seq: 1,
      revoked: ['cred-eddsa-0001'],
      nowMs: NOW,
      alg: 'EdDSA',
    });
    expect(headerOf(list)).toMatchObject({ alg: 'EdDSA', typ: 'agentguard-revocation+jwt' });
    expect(independentlyVerifies(list, A1)).toBe(true);
    const revocation = createRevocationChecker({ anchors, source: list, clock: () => NOW });
    expect(await verifyCredential(credential, { anchors, nowMs: NOW, revocation })).toMatchObject({
      code: 'ERR_IDENTITY_REVOKED',
    });
  });

  it('refuses any other alg option with a RangeError before signing', async () => {
    for (const alg of ['none', 'HS256', 'ES256', 'ed25519', 'Ed448', '', 1, null]) {
      const bad = { ...credentialOptions, alg } as unknown as Parameters<typeof issueCredential>[0];
      await expect(issueCredential(bad)).rejects.toBeInstanceOf(RangeError);
      await expect(
        createRevocationList({ issuer: authority, seq: 1, nowMs: NOW, alg } as unknown as Parameters<
          typeof createRevocationList
        >[0]),
      ).rejects.toBeInstanceOf(RangeError);
    }
  });
});
