import { linkSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFileKeyStore } from './node.js';

const root = mkdtempSync(join(tmpdir(), 'ag-keystore-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('createFileKeyStore', () => {
  it('keeps one key per subject, mode 0600, agreed on by two stores on one directory', async () => {
    const dir = join(root, 'a');
    const one = createFileKeyStore({ dir });
    const two = createFileKeyStore({ dir });
    const ref = await one.reference('subject-1');
    expect(await two.reference('subject-1')).toBe(ref); // one secret, created once
    expect(await one.reference('subject-2')).not.toBe(ref);
    const [a, b] = await Promise.all([one.keyFor(ref), two.keyFor(ref)]);
    expect(a.kid).toBe(b.kid);
    expect(a.key).toEqual(b.key);
    expect(a.key.some((byte) => byte !== 0)).toBe(true); // a real random key, not zeroed on the way
    expect(new Uint8Array(readFileSync(join(dir, 'secret'))).some((byte) => byte !== 0)).toBe(true);
    expect(await two.get(ref, a.kid)).toEqual(a.key);
    expect(await two.get(ref, '0'.repeat(16))).toBeUndefined();
    const file = join(dir, 'keys', `${ref}.key`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'secret')).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(dir, 'keys'))).toEqual([`${ref}.key`]); // one key, no temporary file left
  });

  it('destroy overwrites the key bytes in place before unlinking, and a new key follows an erasure', async () => {
    const dir = join(root, 'b');
    const store = createFileKeyStore({ dir });
    const ref = await store.reference('subject');
    const { kid, key } = await store.keyFor(ref);
    // A second name for the same inode shows what destroy did to the bytes themselves.
    const witness = join(root, 'witness.key');
    linkSync(join(dir, 'keys', `${ref}.key`), witness);
    expect(new Uint8Array(readFileSync(witness)).subarray(8)).toEqual(key);
    expect(await store.destroy(ref)).toEqual([kid]);
    expect(new Uint8Array(readFileSync(witness))).toEqual(new Uint8Array(40));
    expect(readdirSync(join(dir, 'keys'))).toEqual([]);
    expect(await store.get(ref, kid)).toBeUndefined();
    expect(await store.destroy(ref)).toEqual([]);
    expect((await store.keyFor(ref)).kid).not.toBe(kid);
  });

  it('refuses references and key ids that are not hex (no path escapes the store)', async () => {
    const store = createFileKeyStore({ dir: join(root, 'c') });
    for (const bad of ['../../etc/passwd', 'A'.repeat(64), '', 'a'.repeat(63)]) {
      await expect(store.keyFor(bad)).rejects.toMatchObject({ code: 'ERR_AUDIT_KEY_STORE_FAILED' });
      await expect(store.destroy(bad)).rejects.toMatchObject({ code: 'ERR_AUDIT_KEY_STORE_FAILED' });
    }
    await expect(store.get('a'.repeat(64), '../x')).rejects.toMatchObject({ code: 'ERR_AUDIT_KEY_STORE_FAILED' });
    expect(() => createFileKeyStore({ dir: '' })).toThrow(TypeError);
  });
});
