import { describe, expect, it } from 'vitest';
import { fromHex, utf8 } from '@agentguard/statement';
import { didToPublicKey } from './did-key.js';
import { verify } from '../ed25519/ed25519.js';
import { IdentityError } from '../errors.js';
import { createIdentity, identityFromJwk, isInProcessIdentity, type Signer } from './identity.js';

// did:key test vector (w3c-ccg/did-method-key, test-vectors/ed25519-x25519.json): seed 0x00..01.
const SEED = fromHex('0000000000000000000000000000000000000000000000000000000000000001');
const DID = 'did:key:z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG';

describe('createIdentity', () => {
  it('derives the did:key id, key id and JWKs from the secret key', async () => {
    const agent = createIdentity({ secretKey: SEED, name: 'billing' });
    expect(agent.id).toBe(DID);
    expect(agent.keyId).toBe(`${DID}#${DID.slice('did:key:'.length)}`);
    expect(agent.name).toBe('billing');
    expect(agent.publicKey).toEqual(didToPublicKey(DID));
    expect(agent.publicJwk().kid).toBe(agent.keyId);
    const message = utf8('call');
    expect(verify(await agent.sign(message), message, agent.publicKey)).toBe(true);
  });

  it('keeps the secret out of properties and JSON, and is frozen', () => {
    const agent = createIdentity({ secretKey: SEED });
    expect(Object.isFrozen(agent)).toBe(true);
    expect(JSON.stringify(agent)).toBe(JSON.stringify({ id: DID, name: DID, keyId: agent.keyId }));
    expect(JSON.stringify(agent)).not.toContain(agent.exportPrivateJwk().d);
    // The exposed public key is a copy.
    agent.publicKey.fill(0);
    expect(agent.publicKey).toEqual(didToPublicKey(DID));
  });

  it('copies the caller-owned secret key', async () => {
    const secretKey = SEED.slice();
    const agent = createIdentity({ secretKey });
    secretKey.fill(9);
    const message = utf8('m');
    expect(verify(await agent.sign(message), message, didToPublicKey(DID))).toBe(true);
  });

  it('round-trips through the private JWK', async () => {
    const agent = createIdentity({ name: 'a' });
    const again = identityFromJwk(JSON.parse(JSON.stringify(agent.exportPrivateJwk())), { name: 'a' });
    expect(again.id).toBe(agent.id);
    const message = utf8('m');
    expect(await again.sign(message)).toEqual(await agent.sign(message));
  });

  it('generates distinct identities', () => {
    expect(createIdentity().id).not.toBe(createIdentity().id);
  });

  const code = (fn: () => unknown): string => {
    try {
      fn();
      return 'accepted';
    } catch (error) {
      return error instanceof IdentityError ? error.code : (error as Error).name;
    }
  };
  const bad: ReadonlyArray<readonly [string, () => unknown, string]> = [
    ['secretKey 31 bytes', () => createIdentity({ secretKey: new Uint8Array(31) }), 'ERR_IDENTITY_KEY_INVALID'],
    ['secretKey 64 bytes', () => createIdentity({ secretKey: new Uint8Array(64) }), 'ERR_IDENTITY_KEY_INVALID'],
    ['secretKey hex string', () => createIdentity({ secretKey: '00' as unknown as Uint8Array }), 'TypeError'],
    ['secretKey number[]', () => createIdentity({ secretKey: [...SEED] as unknown as Uint8Array }), 'TypeError'],
    ['empty name', () => createIdentity({ name: '' }), 'TypeError'],
    ['name a number', () => createIdentity({ name: 1 as unknown as string }), 'TypeError'],
    [
      'identityFromJwk: public JWK only',
      () => identityFromJwk(createIdentity().publicJwk()),
      'ERR_IDENTITY_JWK_INVALID',
    ],
    ['identityFromJwk: null', () => identityFromJwk(null), 'ERR_IDENTITY_JWK_INVALID'],
    [
      'identityFromJwk: wrong curve',
      () => identityFromJwk({ kty: 'OKP', crv: 'X25519', x: 'AA', d: 'AA' }),
      'ERR_IDENTITY_JWK_INVALID',
    ],
  ];
  it.each(bad)('refuses %s', (_name, fn, expected) => {
    expect(code(fn)).toBe(expected);
  });

  it('rejects a non-byte message when signing', async () => {
    await expect(createIdentity().sign('x' as unknown as Uint8Array)).rejects.toThrow(TypeError);
  });
});

describe('isInProcessIdentity', () => {
  it('is true only for identities this package made, whatever else looks like one', () => {
    const identity = createIdentity({ name: 'a' });
    expect(isInProcessIdentity(identity)).toBe(true);
    expect(isInProcessIdentity(identityFromJwk(identity.exportPrivateJwk()))).toBe(true);
    // A signer written to the interface (another process, a wrapper, a copy) may decide what it signs: not one.
    const wrapper: Signer = {
      id: identity.id,
      keyId: identity.keyId,
      publicKey: identity.publicKey,
      sign: (m) => identity.sign(m),
    };
    expect(isInProcessIdentity(wrapper)).toBe(false);
    expect(isInProcessIdentity({ ...identity })).toBe(false);
    expect(isInProcessIdentity(Object.create(identity))).toBe(false);
    for (const value of [undefined, null, 0, 'did:key:z6Mk', identity.id, {}, [], () => identity]) {
      expect(isInProcessIdentity(value)).toBe(false);
    }
  });
});
