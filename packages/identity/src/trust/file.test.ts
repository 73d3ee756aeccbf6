import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createIdentity } from '../key/identity.js';
import { parseTrustFile, trustedIds } from './file.js';

const agent = createIdentity();
const log = createIdentity();
const approver = createIdentity();
const operator = createIdentity();

const good = {
  version: 1,
  keys: [
    { id: agent.id, role: 'agent', name: 'billing-agent' },
    { id: log.id, role: 'log' },
    { id: approver.id, role: 'approver', name: 'on-call' },
    { id: agent.id, role: 'log', name: 'same key signs checkpoints' },
    { id: operator.id, role: 'operator', name: 'erasures' },
  ],
};

describe('trust files', () => {
  it('parses a version 1 file into frozen keys and selects ids by role', () => {
    const file = parseTrustFile(JSON.stringify(good, null, 2));
    expect(file.keys).toHaveLength(5);
    expect(Object.isFrozen(file) && Object.isFrozen(file.keys) && Object.isFrozen(file.keys[0])).toBe(true);
    expect(file.keys[1]).toEqual({ id: log.id, role: 'log' });
    expect(trustedIds(file, ['agent', 'log'])).toEqual([agent.id, log.id]);
    expect(trustedIds(file, ['approver'])).toEqual([approver.id]);
    expect(trustedIds(file, ['operator'])).toEqual([operator.id]);
    expect(trustedIds(file, [])).toEqual([]);
  });

  const key = { id: agent.id, role: 'agent' };
  const bad: Array<[string, string, string]> = [
    ['not JSON', 'nope', 'ERR_IDENTITY_JSON_PARSE'],
    ['an array', '[]', 'ERR_IDENTITY_TRUST_FILE_INVALID'],
    ['no version', JSON.stringify({ keys: [key] }), 'ERR_IDENTITY_TRUST_FILE_INVALID'],
    ['version 2', JSON.stringify({ version: 2, keys: [key] }), 'ERR_IDENTITY_TRUST_FILE_INVALID'],
    ['version "1"', JSON.stringify({ version: '1', keys: [key] }), 'ERR_IDENTITY_TRUST_FILE_INVALID'],
    ['no keys', JSON.stringify({ version: 1, keys: [] }), 'ERR_IDENTITY_TRUST_FILE_INVALID'],
    ['unknown top member', JSON.stringify({ version: 1, keys: [key], trust: [] }), 'ERR_IDENTITY_TRUST_FILE_INVALID'],
    [
      'misspelt key member',
      JSON.stringify({ version: 1, keys: [{ ...key, rol: 'log' }] }),
      'ERR_IDENTITY_TRUST_FILE_INVALID',
    ],
    [
      'unknown role',
      JSON.stringify({ version: 1, keys: [{ ...key, role: 'admin' }] }),
      'ERR_IDENTITY_TRUST_FILE_INVALID',
    ],
    ['missing role', JSON.stringify({ version: 1, keys: [{ id: agent.id }] }), 'ERR_IDENTITY_TRUST_FILE_INVALID'],
    [
      'key id with fragment',
      JSON.stringify({ version: 1, keys: [{ ...key, id: agent.keyId }] }),
      'ERR_IDENTITY_TRUST_FILE_INVALID',
    ],
    [
      'not a did:key',
      JSON.stringify({ version: 1, keys: [{ ...key, id: 'did:web:example.com' }] }),
      'ERR_IDENTITY_TRUST_FILE_INVALID',
    ],
    [
      'broken did:key',
      JSON.stringify({ version: 1, keys: [{ ...key, id: `${agent.id.slice(0, -2)}00` }] }),
      'ERR_IDENTITY_TRUST_FILE_INVALID',
    ],
    [
      'listed twice',
      JSON.stringify({ version: 1, keys: [key, { ...key, name: 'again' }] }),
      'ERR_IDENTITY_TRUST_FILE_INVALID',
    ],
    ['empty name', JSON.stringify({ version: 1, keys: [{ ...key, name: '' }] }), 'ERR_IDENTITY_TRUST_FILE_INVALID'],
    [
      'control in name',
      JSON.stringify({ version: 1, keys: [{ ...key, name: 'a\nb' }] }),
      'ERR_IDENTITY_TRUST_FILE_INVALID',
    ],
    [
      'duplicate member',
      `{"version":1,"version":1,"keys":[${JSON.stringify(key)}]}`,
      'ERR_IDENTITY_JSON_DUPLICATE_KEY',
    ],
    ['__proto__', `{"version":1,"keys":[${JSON.stringify(key)}],"__proto__":{}}`, 'ERR_IDENTITY_JSON_FORBIDDEN_KEY'],
  ];
  it.each(bad)('refuses %s', (_label, text, code) => {
    expect(() => parseTrustFile(text)).toThrow(expect.objectContaining({ code }));
  });

  it('throws TypeError on a non-string', () => {
    for (const v of [undefined, null, 1, {}, new Uint8Array(2)]) {
      expect(() => parseTrustFile(v as never)).toThrow(TypeError);
    }
  });

  it('never throws anything but IdentityError on arbitrary JSON (property)', () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        try {
          parseTrustFile(text);
        } catch (error) {
          expect(error).toMatchObject({ name: 'IdentityError' });
        }
      }),
    );
  });
});
