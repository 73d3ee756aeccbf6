import { describe, expect, it } from 'vitest';
import { ALICE, MALLORY } from '../test/helpers.js';
import { createTrustStore } from './trust-store.js';

describe('createTrustStore', () => {
  it('resolves a trusted did and its verification method id to a copy of the key', () => {
    const trust = createTrustStore([ALICE.id]);
    expect(trust.publicKeyFor(ALICE.id)).toEqual(ALICE.publicKey);
    expect(trust.publicKeyFor(ALICE.keyId)).toEqual(ALICE.publicKey);
    const key = trust.publicKeyFor(ALICE.id) as Uint8Array;
    key.fill(0);
    expect(trust.publicKeyFor(ALICE.id)).toEqual(ALICE.publicKey);
  });

  it('adds, lists, deletes', () => {
    const trust = createTrustStore();
    expect(trust.size).toBe(0);
    trust.add(ALICE.keyId); // a verification method id is normalised to the did
    trust.add(MALLORY.id);
    trust.add(ALICE.id);
    expect(trust.list()).toEqual([ALICE.id, MALLORY.id]);
    expect(trust.has(MALLORY.keyId)).toBe(true);
    expect(trust.delete(MALLORY.keyId)).toBe(true);
    expect(trust.delete(MALLORY.id)).toBe(false);
    expect(trust.has(MALLORY.id)).toBe(false);
    expect(trust.publicKeyFor(MALLORY.keyId)).toBeUndefined();
    expect(trust.size).toBe(1);
    expect(Object.isFrozen(trust)).toBe(true);
  });

  it.each([
    ['an unknown did', () => MALLORY.id],
    ['a fragment naming another key', () => `${ALICE.id}#${MALLORY.id.slice(8)}`],
    ['an empty fragment', () => `${ALICE.id}#`],
    ['a prefix of the did', () => ALICE.id.slice(0, -1)],
    ['a did with trailing space', () => `${ALICE.id} `],
    ['a number', () => 7],
    ['null', () => null],
    ['a very long string', () => `${ALICE.id}#${'z'.repeat(10_000)}`],
  ])('publicKeyFor(%s) is undefined, never a throw', (_, keyid) => {
    const trust = createTrustStore([ALICE.id]);
    expect(trust.publicKeyFor(keyid() as string)).toBeUndefined();
    expect(trust.has(keyid() as string)).toBe(false);
  });

  it.each([
    ['not a did', 'alice'],
    ['did:web', 'did:web:example.com'],
    ['bad base58', 'did:key:z0OIl'],
    ['a foreign fragment', `${ALICE.id}#${MALLORY.id.slice(8)}`],
    ['a secp256k1 did:key', 'did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme'],
  ])('add(%s) throws ERR_ATTESTATION_KEY_INVALID', (_, did) => {
    const trust = createTrustStore();
    expect(() => trust.add(did)).toThrow(expect.objectContaining({ code: 'ERR_ATTESTATION_KEY_INVALID' }));
    expect(trust.size).toBe(0);
  });

  it('add of a non-string throws TypeError', () => {
    expect(() => createTrustStore().add(1 as never)).toThrow(TypeError);
  });
});
