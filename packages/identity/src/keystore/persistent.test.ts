import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdentity } from '../key/identity.js';
import { loadKeyFile, saveKeyFile } from './file.js';
import { identityFromEnv, loadOrCreateIdentity } from './persistent.js';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'agentguard-persistent-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const fast = { N: 1024, r: 8, p: 1 };

describe('loadOrCreateIdentity', () => {
  it('creates the key file (0600, directory 0700) on first use and returns the same identity on later runs', async () => {
    const path = join(dir, 'nested', 'state', 'agent.jwk');
    const first = await loadOrCreateIdentity({ path, name: 'billing' });
    expect(first.name).toBe('billing');
    expect((await fs.stat(path)).mode & 0o777).toBe(0o600);
    expect((await fs.stat(join(dir, 'nested', 'state'))).mode & 0o077).toBe(0);
    const second = await loadOrCreateIdentity({ path, name: 'billing' });
    expect(second.id).toBe(first.id);
    const message = new Uint8Array([7, 7, 7]);
    expect(await second.sign(message)).toEqual(await first.sign(message));
    expect((await loadKeyFile(path)).id).toBe(first.id);
    // No temporary file is left beside it.
    expect(await fs.readdir(join(dir, 'nested', 'state'))).toEqual(['agent.jwk']);
  });

  it('gives every concurrent starter the same identity (the O_EXCL/link loser loads the winner)', async () => {
    const path = join(dir, 'race.jwk');
    const all = await Promise.all(Array.from({ length: 16 }, () => loadOrCreateIdentity({ path })));
    expect(new Set(all.map((a) => a.id)).size).toBe(1);
    expect((await loadKeyFile(path)).id).toBe(all[0]?.id);
    expect(await fs.readdir(dir)).not.toContainEqual(expect.stringMatching(/\.tmp$/));
  });

  it('encrypts a new file under a passphrase and needs it on the next run', async () => {
    const path = join(dir, 'sealed.jwk');
    const first = await loadOrCreateIdentity({ path, passphrase: 'correct horse', scrypt: fast });
    expect(JSON.parse(await fs.readFile(path, 'utf8'))).toMatchObject({ agentguard: 'encrypted-key' });
    expect((await loadOrCreateIdentity({ path, passphrase: 'correct horse' })).id).toBe(first.id);
    await expect(loadOrCreateIdentity({ path })).rejects.toMatchObject({ code: 'ERR_IDENTITY_KEYSTORE_PASSPHRASE' });
    await expect(loadOrCreateIdentity({ path, passphrase: 'wrong' })).rejects.toMatchObject({
      code: 'ERR_IDENTITY_KEYSTORE_PASSPHRASE',
    });
  });

  it('keeps the file store hardening: a loose mode, a symlink or junk is refused, never replaced', async () => {
    const loose = join(dir, 'loose.jwk');
    await saveKeyFile(loose, createIdentity());
    await fs.chmod(loose, 0o644);
    await expect(loadOrCreateIdentity({ path: loose })).rejects.toMatchObject({
      code: 'ERR_IDENTITY_KEYSTORE_PERMISSIONS',
    });
    const dangling = join(dir, 'dangling.jwk');
    await fs.symlink(join(dir, 'nowhere'), dangling);
    await expect(loadOrCreateIdentity({ path: dangling })).rejects.toMatchObject({
      code: 'ERR_IDENTITY_KEYSTORE_PERMISSIONS',
    });
    await expect(fs.stat(join(dir, 'nowhere'))).rejects.toMatchObject({ code: 'ENOENT' });
    const junk = join(dir, 'junk.jwk');
    await fs.writeFile(junk, 'not json', { mode: 0o600 });
    await expect(loadOrCreateIdentity({ path: junk })).rejects.toMatchObject({ code: 'ERR_IDENTITY_JSON_PARSE' });
    expect(await fs.readFile(junk, 'utf8')).toBe('not json');
  });

  it('takes the key from the environment variable when it is set, without touching the file', async () => {
    const agent = createIdentity();
    const environment = { AGENT_JWK: JSON.stringify(agent.exportPrivateJwk()) };
    const path = join(dir, 'unused.jwk');
    const fromEnv = await loadOrCreateIdentity({ path, env: 'AGENT_JWK', environment, name: 'env-agent' });
    expect(fromEnv.id).toBe(agent.id);
    expect(fromEnv.name).toBe('env-agent');
    await expect(fs.stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
    // Unset or empty: the file is used.
    const fromFile = await loadOrCreateIdentity({ path, env: 'AGENT_JWK', environment: { AGENT_JWK: '' } });
    expect(fromFile.id).not.toBe(agent.id);
  });

  it('rejects misuse with TypeError', async () => {
    for (const bad of [undefined, null, {}, { path: '' }, { path: 1 }, { path: join(dir, 'x'), name: '' }]) {
      await expect(loadOrCreateIdentity(bad as never)).rejects.toBeInstanceOf(TypeError);
    }
  });
});

describe('identityFromEnv', () => {
  it('is undefined when unset or empty, the identity when set', () => {
    const agent = createIdentity();
    expect(identityFromEnv('X', { environment: {} })).toBeUndefined();
    expect(identityFromEnv('X', { environment: { X: '' } })).toBeUndefined();
    expect(identityFromEnv('X', { environment: { X: JSON.stringify(agent.exportPrivateJwk()) } })?.id).toBe(agent.id);
  });

  it('fails closed on a value that is not a private JWK, and never echoes it', () => {
    const secret = 'hunter2-not-a-jwk';
    const cases = [secret, '{"kty":"OKP"}', JSON.stringify(createIdentity().publicJwk()), '[]', '{"a":1,"a":2}'];
    for (const value of cases) {
      let caught: unknown;
      try {
        identityFromEnv('X', { environment: { X: value } });
      } catch (error) {
        caught = error;
      }
      expect(caught).toMatchObject({ name: 'IdentityError' });
      expect(String((caught as Error).message)).not.toContain(secret);
    }
  });

  it('rejects a bad variable name', () => {
    for (const bad of ['', '1X', 'A-B', 'A B', 42]) {
      expect(() => identityFromEnv(bad as string, { environment: {} })).toThrow(TypeError);
    }
  });
});
