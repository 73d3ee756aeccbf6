import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditError } from '../errors.js';
import { createFileKeyStore } from '../node.js';
import { createRedactor } from '../redact/redact.js';
import { createMemoryKeyStore, type SubjectKeyStore } from './keys.js';
import { createSealer, unsealRecord } from './sealer.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'ag-seal-hard-'));
  dirs.push(d);
  return d;
};
const code = async (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (error: unknown) => (error instanceof AuditError ? error.code : `other: ${String(error)}`),
  );

describe('sealing: the key store and the sealer cannot be turned against the data', () => {
  it('a key file overwritten with zeros (an erasure cut short) is never used as a key', async () => {
    const dir = tmp();
    const keys = createFileKeyStore({ dir });
    const ref = await keys.reference('customer-1');
    await keys.keyFor(ref);
    writeFileSync(join(dir, 'keys', `${ref}.key`), new Uint8Array(40));
    expect(await code(keys.keyFor(ref))).toBe('ERR_AUDIT_KEY_STORE_FAILED');
    expect(await code(keys.get(ref, '0000000000000000'))).toBe('ERR_AUDIT_KEY_STORE_FAILED');
  });

  it('destroy takes the name away first, and shreds what an interrupted erasure left behind', async () => {
    const dir = tmp();
    const keys = createFileKeyStore({ dir });
    const ref = await keys.reference('customer-2');
    const first = await keys.keyFor(ref);
    // An erasure that died after renaming the key: its bytes are still on disk under the temporary name.
    const keyPath = join(dir, 'keys', `${ref}.key`);
    const original = readFileSync(keyPath);
    renameSync(keyPath, `${keyPath}.deadbeefdeadbeef.erasing`);
    // A guard seals meanwhile: a new key (a new id), never the half-destroyed one.
    const second = await keys.keyFor(ref);
    expect(second.kid).not.toBe(first.kid);
    expect(await keys.destroy(ref)).toEqual([second.kid]);
    const left = readdirSync(join(dir, 'keys'));
    expect(left).toEqual([]);
    expect(original.length).toBe(40);
    expect(await keys.get(ref, first.kid)).toBeUndefined();
  });

  it('a reader or eraser of an existing store (create: false) refuses a directory that is not one', async () => {
    const empty = tmp();
    const keys = createFileKeyStore({ dir: empty, create: false });
    expect(await code(keys.reference('customer-3'))).toBe('ERR_AUDIT_KEY_STORE_FAILED');
    expect(readdirSync(empty)).toEqual([]); // no secret was minted
    expect(() => createFileKeyStore({ dir: empty, create: 'yes' as never })).toThrow(TypeError);
  });

  it("the sealer never zeroes the store's own key buffer (a caching store keeps a working key)", async () => {
    const inner = createMemoryKeyStore();
    const cache = new Map<string, { kid: string; key: Uint8Array }>();
    const caching: SubjectKeyStore = {
      reference: (s) => inner.reference(s),
      async keyFor(ref) {
        const hit = cache.get(ref) ?? (await inner.keyFor(ref));
        cache.set(ref, hit);
        return hit;
      },
      get: (ref, kid) => inner.get(ref, kid),
      destroy: (ref) => inner.destroy(ref),
    };
    const sealer = createSealer({ keys: caching });
    const args = { to: 'ada@example.com' };
    for (const callId of ['c1', 'c2']) {
      const { value, sealed } = await sealer.seal(createRedactor().redact(args, { seal: {} }), {
        subject: 's',
        callId,
      });
      expect(sealed).toBe(1);
      const opened = await unsealRecord({ type: 'call.requested', callId, data: { args: value } }, { keys: inner });
      expect((opened.data as { args: typeof args }).args).toEqual(args);
    }
    const [cached] = [...cache.values()];
    expect(cached?.key.some((b) => b !== 0)).toBe(true);
  });

  it('an all-zero key from a store is refused, never used to seal', async () => {
    const zero: SubjectKeyStore = {
      reference: async () => 'ab'.repeat(32),
      keyFor: async () => ({ kid: '0123456789abcdef', key: new Uint8Array(32) }),
      get: async () => new Uint8Array(32),
      destroy: async () => [],
    };
    const redaction = createRedactor().redact({ to: 'ada@example.com' }, { seal: {} });
    expect(await code(createSealer({ keys: zero }).seal(redaction, { subject: 's', callId: 'c' }))).toBe(
      'ERR_AUDIT_KEY_STORE_FAILED',
    );
  });

  it('a field sealed whole keeps its personal data for the reader, never its secrets', async () => {
    const keys = createMemoryKeyStore();
    const card = {
      holder: 'Ada Lovelace',
      cvv: '123',
      cookie: 'sid=s3cr3t-session',
      idToken: 'eyJabc.def',
      authorization: 'Basic QWxhZGRpbjpvcGVuU2VzYW1l',
      nested: { password: 'correct horse battery staple' },
    };
    const redaction = createRedactor().redact({ card }, { seal: { fields: ['/card'] } });
    const { value } = await createSealer({ keys }).seal(redaction, { subject: 's', callId: 'c' });
    const opened = await unsealRecord({ type: 'call.requested', callId: 'c', data: { args: value } }, { keys });
    const text = JSON.stringify(opened.data);
    expect(text).toContain('Ada Lovelace');
    for (const secret of ['123"', 's3cr3t', 'eyJabc', 'QWxhZGRpbj', 'horse']) expect(text).not.toContain(secret);
    expect(text).toMatch(/\[REDACTED:secret-field:hmac-sha256:[0-9a-f]{16}\]/);
  });

  it('args shaped like a sealed value are marked on every redaction path, not only when sealing', async () => {
    const keys = createMemoryKeyStore();
    const real = await createSealer({ keys }).seal(createRedactor().redact({ to: 'ada@example.com' }, { seal: {} }), {
      subject: 's',
      callId: 'c1',
    });
    const copied = (real.value as { to: unknown }).to;
    const plain = createRedactor().redact({ forwarded: copied });
    expect(plain.value).toEqual({ forwarded: '[REDACTED:unsupported]' });
  });
});
