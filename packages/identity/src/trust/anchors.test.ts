import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createIdentity } from '../key/identity.js';
import { didOfKeyId, keyIdOf } from './anchors.js';

describe('didOfKeyId', () => {
  const agent = createIdentity({ secretKey: new Uint8Array(32).fill(7) });
  const other = createIdentity({ secretKey: new Uint8Array(32).fill(8) });

  it('reads a bare did and a verification method whose fragment repeats the key', () => {
    expect(didOfKeyId(agent.id)).toBe(agent.id);
    expect(didOfKeyId(keyIdOf(agent.id))).toBe(agent.id);
  });

  it('names no key when the fragment names anything else', () => {
    for (const keyid of [
      `${agent.id}#${other.id.slice('did:key:'.length)}`,
      `${agent.id}#`,
      `${agent.id}#key-1`,
      `${keyIdOf(agent.id)}#x`,
      `did:web:example.com#${agent.id.slice('did:key:'.length)}`,
      '#',
    ]) {
      expect(didOfKeyId(keyid)).toBeUndefined();
    }
    expect(didOfKeyId(42 as unknown as string)).toBeUndefined();
  });

  it('is the inverse of keyIdOf, and any other fragment is refused (property)', () => {
    fc.assert(
      fc.property(fc.string(), (fragment) => {
        const read = didOfKeyId(`${agent.id}#${fragment}`);
        expect(read).toBe(fragment === agent.id.slice('did:key:'.length) ? agent.id : undefined);
      }),
    );
  });
});
