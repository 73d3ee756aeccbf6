import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdentity } from '../key/identity.js';
import { loadKeyFile, saveKeyFile } from './file.js';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'agentguard-keystore-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const fast = { N: 1024, r: 8, p: 1 };

describe('file key store', () => {
  it('creates the file owner-only and loads the same identity back', async () => {
    const agent = createIdentity({ name: 'a' });
    const path = join(dir, 'plain.jwk');
    await saveKeyFile(path, agent);
    expect((await fs.stat(path)).mode & 0o777).toBe(0o600);
    const loaded = await loadKeyFile(path, { name: 'loaded' });
    expect(loaded.id).toBe(agent.id);
    expect(loaded.name).toBe('loaded');
    const message = new Uint8Array([1, 2, 3]);
    expect(await loaded.sign(message)).toEqual(await agent.sign(message));
  });

  it('never overwrites an existing file or writes through a symlink', async () => {
    const path = join(dir, 'exists.jwk');
    await fs.writeFile(path, 'keep me', { mode: 0o600 });
    await expect(saveKeyFile(path, createIdentity())).rejects.toMatchObject({ code: 'EEXIST' });
    expect(await fs.readFile(path, 'utf8')).toBe('keep me');
    const target = join(dir, 'target');
    const link = join(dir, 'link.jwk');
    await fs.symlink(target, link);
    await expect(saveKeyFile(link, createIdentity())).rejects.toMatchObject({ code: 'EEXIST' });
    await expect(fs.stat(target)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses group- or world-accessible files and symlinks', async () => {
    const path = join(dir, 'loose.jwk');
    await saveKeyFile(path, createIdentity());
    for (const mode of [0o640, 0o604, 0o660, 0o644]) {
      await fs.chmod(path, mode);
      await expect(loadKeyFile(path)).rejects.toMatchObject({ code: 'ERR_IDENTITY_KEYSTORE_PERMISSIONS' });
    }
    await fs.chmod(path, 0o600);
    const link = join(dir, 'loose-link.jwk');
    await fs.symlink(path, link);
    await expect(loadKeyFile(link)).rejects.toMatchObject({ code: 'ERR_IDENTITY_KEYSTORE_PERMISSIONS' });
    await expect(loadKeyFile(dir)).rejects.toBeDefined();
  });

  it('encrypts with a passphrase; a wrong or missing passphrase is a typed error', async () => {
    const agent = createIdentity();
    const path = join(dir, 'sealed.jwk');
    await saveKeyFile(path, agent, { passphrase: 'correct horse', scrypt: fast });
    const text = await fs.readFile(path, 'utf8');
    const secret = agent.exportPrivateJwk().d;
    expect(text).not.toContain(secret);
    expect(JSON.parse(text)).toMatchObject({
      agentguard: 'encrypted-key',
      kdf: { alg: 'scrypt', N: 1024 },
      enc: { alg: 'A256GCM' },
    });
    expect((await loadKeyFile(path, { passphrase: 'correct horse' })).id).toBe(agent.id);
    await expect(loadKeyFile(path, { passphrase: 'wrong horse' })).rejects.toMatchObject({
      code: 'ERR_IDENTITY_KEYSTORE_PASSPHRASE',
    });
    await expect(loadKeyFile(path)).rejects.toMatchObject({ code: 'ERR_IDENTITY_KEYSTORE_PASSPHRASE' });
  });

  it('detects tampered parameters and refuses hostile ones before deriving', async () => {
    const path = join(dir, 'tamper.jwk');
    await saveKeyFile(path, createIdentity(), { passphrase: 'pw', scrypt: fast });
    const file = JSON.parse(await fs.readFile(path, 'utf8'));
    const variants: Array<[string, unknown, string]> = [
      ['kid swapped (authenticated data)', { ...file, kid: 'did:key:zOther' }, 'ERR_IDENTITY_KEYSTORE_PASSPHRASE'],
      ['N raised', { ...file, kdf: { ...file.kdf, N: 2048 } }, 'ERR_IDENTITY_KEYSTORE_PASSPHRASE'],
      ['N huge', { ...file, kdf: { ...file.kdf, N: 2 ** 30 } }, 'ERR_IDENTITY_KEYSTORE_FORMAT'],
      ['N not a power of two', { ...file, kdf: { ...file.kdf, N: 1000 } }, 'ERR_IDENTITY_KEYSTORE_FORMAT'],
      ['unknown member', { ...file, extra: 1 }, 'ERR_IDENTITY_KEYSTORE_FORMAT'],
      ['short iv', { ...file, enc: { ...file.enc, iv: 'AAAA' } }, 'ERR_IDENTITY_KEYSTORE_FORMAT'],
      ['bad base64url', { ...file, ciphertext: `${file.ciphertext}=` }, 'ERR_IDENTITY_KEYSTORE_FORMAT'],
    ];
    for (const [label, content, code] of variants) {
      const p = join(dir, `v-${label.replace(/\W/g, '')}.jwk`);
      await fs.writeFile(p, JSON.stringify(content), { mode: 0o600 });
      await expect(loadKeyFile(p, { passphrase: 'pw' }), label).rejects.toMatchObject({ code });
    }
    const dup = join(dir, 'dup.jwk');
    await fs.writeFile(dup, '{"kty":"OKP","kty":"OKP"}', { mode: 0o600 });
    await expect(loadKeyFile(dup)).rejects.toMatchObject({ code: 'ERR_IDENTITY_JSON_DUPLICATE_KEY' });
    const pub = join(dir, 'public.jwk');
    await fs.writeFile(pub, JSON.stringify(createIdentity().publicJwk()), { mode: 0o600 });
    await expect(loadKeyFile(pub)).rejects.toMatchObject({ code: 'ERR_IDENTITY_JWK_INVALID' });
  });
});
