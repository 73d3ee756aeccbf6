import { describe, expect, it } from 'vitest';
import { createTrustAnchors, keyIdOf } from './anchors.js';
import { issueCredential, verifyCredential } from '../credential/credential.js';
import { createIdentity } from '../key/identity.js';
import { createKeySet } from './rotation.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-01-01T00:00:00Z');
const agent = createIdentity();
const oldKey = createIdentity();
const newKey = createIdentity();

function setup(clock: { t: number }) {
  const keys = createKeySet({
    id: 'did:web:authority.example',
    keys: [
      { signer: oldKey, notBefore: T0, notAfter: T0 + 30 * DAY },
      { signer: newKey, notBefore: T0 + 20 * DAY },
    ],
    clock: () => clock.t,
  });
  return { keys, anchors: createTrustAnchors([keys.anchor()]) };
}

function issue(signer: Parameters<typeof issueCredential>[0]['issuer'], now: number) {
  return issueCredential({
    issuer: signer,
    issuerId: 'did:web:authority.example',
    subject: agent.id,
    name: 'a',
    owner: 'o',
    environment: 'test',
    riskTier: 'low',
    tools: ['*'],
    nowMs: now,
    ttlMs: 60 * DAY,
  });
}

describe('trust anchors and key rotation', () => {
  it('signs with the newest valid key and lets the old key verify until its end date', async () => {
    const clock = { t: T0 + DAY };
    const { keys, anchors } = setup(clock);
    expect(keys.current().keyId).toBe(keyIdOf(oldKey.id));
    const early = await issue(keys.current(), clock.t);
    clock.t = T0 + 25 * DAY; // overlap: new key signs, old tokens still verify
    expect(keys.current().keyId).toBe(keyIdOf(newKey.id));
    const late = await issue(keys.current(), clock.t);
    expect((await verifyCredential(early, { anchors, nowMs: clock.t })).ok).toBe(true);
    expect((await verifyCredential(late, { anchors, nowMs: clock.t })).ok).toBe(true);
    clock.t = T0 + 30 * DAY; // old key ended: its tokens stop verifying, the new key's do not
    expect(await verifyCredential(early, { anchors, nowMs: clock.t })).toMatchObject({
      code: 'ERR_IDENTITY_KEY_RETIRED',
    });
    expect((await verifyCredential(late, { anchors, nowMs: clock.t })).ok).toBe(true);
  });

  it('never signs with a key after its end date, even through a signer handed out earlier', async () => {
    const clock = { t: T0 + DAY };
    const only = createKeySet({ keys: [{ signer: oldKey, notAfter: T0 + 2 * DAY }], clock: () => clock.t });
    const signer = only.current();
    clock.t = T0 + 2 * DAY;
    await expect(signer.sign(new Uint8Array(1))).rejects.toMatchObject({ code: 'ERR_IDENTITY_KEY_RETIRED' });
    expect(() => only.current()).toThrow(expect.objectContaining({ code: 'ERR_IDENTITY_KEY_RETIRED' }));
  });

  it('refuses a token whose iat lies after its key ended (backdated verification time)', async () => {
    const anchors = createTrustAnchors([{ keys: [{ key: oldKey.id, notAfter: T0 + 10 * DAY }] }]);
    // The raw key signs on day 11, past its end; a verifier whose clock says day 5 still refuses.
    const token = await issueCredential({
      issuer: oldKey,
      subject: agent.id,
      name: 'a',
      owner: 'o',
      environment: 't',
      riskTier: 'low',
      tools: ['x'],
      nowMs: T0 + 11 * DAY,
      notBefore: T0,
    });
    expect(await verifyCredential(token, { anchors, nowMs: T0 + 5 * DAY, clockSkewMs: 0 })).toMatchObject({
      code: 'ERR_IDENTITY_KEY_RETIRED',
    });
  });

  it('resolves anchors by issuer, key id and window, with typed failures', () => {
    const anchors = createTrustAnchors([
      oldKey.id,
      { id: 'did:web:b.example', notAfter: T0, keys: [{ key: newKey.publicJwk(), notBefore: T0 - DAY }] },
    ]);
    expect(anchors.ids).toEqual(['did:web:b.example', oldKey.id].sort());
    expect(anchors.resolve(oldKey.id, oldKey.keyId, T0)).toMatchObject({ ok: true });
    expect(anchors.resolve('did:web:nobody', oldKey.keyId, T0)).toMatchObject({
      code: 'ERR_IDENTITY_ISSUER_UNTRUSTED',
    });
    expect(anchors.resolve(oldKey.id, newKey.keyId, T0)).toMatchObject({ code: 'ERR_IDENTITY_KEY_UNKNOWN' });
    expect(anchors.resolve('did:web:b.example', newKey.keyId, T0 - 2 * DAY)).toMatchObject({
      code: 'ERR_IDENTITY_NOT_YET_VALID',
    });
    expect(anchors.resolve('did:web:b.example', newKey.keyId, T0)).toMatchObject({
      code: 'ERR_IDENTITY_ISSUER_UNTRUSTED',
    });
    expect(() => createTrustAnchors([oldKey.id, oldKey.id])).toThrow(RangeError);
    expect(() => createTrustAnchors([{ keys: [] }])).toThrow(TypeError);
    expect(() => createTrustAnchors(['did:key:zNotAKey' as `did:key:z${string}`])).toThrow(
      expect.objectContaining({ code: 'ERR_IDENTITY_DID_INVALID' }),
    );
    expect(() => createTrustAnchors([{ id: 'not a did', keys: [oldKey.id] }])).toThrow(TypeError);
  });
});
