import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTrustAnchors } from '../trust/anchors.js';
import { issueCredential, verifyCredential } from '../credential/credential.js';
import { createIdentity } from '../key/identity.js';
import { createRevocationChecker, createRevocationList } from './revocation.js';
import { revocationFile } from './file.js';

const NOW = Date.parse('2026-03-01T00:00:00Z');
const authority = createIdentity();
const agent = createIdentity();
const anchors = createTrustAnchors([authority.id]);

const credential = (jti: string) =>
  issueCredential({
    issuer: authority,
    subject: agent.id,
    name: 'a',
    owner: 'o',
    environment: 'e',
    riskTier: 'high',
    tools: ['t'],
    nowMs: NOW,
    jti,
  });

describe('revocation lists', () => {
  it('revokes by token id and by key, checked on every verification', async () => {
    const list = await createRevocationList({ issuer: authority, seq: 1, revoked: ['cred-revoked-1'], nowMs: NOW });
    const revocation = createRevocationChecker({ anchors, source: list, clock: () => NOW });
    const o = { anchors, nowMs: NOW, revocation };
    expect(await verifyCredential(await credential('cred-revoked-1'), o)).toMatchObject({
      code: 'ERR_IDENTITY_REVOKED',
    });
    expect((await verifyCredential(await credential('cred-fine-0002'), o)).ok).toBe(true);
    const byKey = await createRevocationList({ issuer: authority, seq: 2, keys: [agent.keyId], nowMs: NOW });
    const keyed = createRevocationChecker({ anchors, source: byKey, clock: () => NOW });
    expect(await verifyCredential(await credential('cred-fine-0002'), { ...o, revocation: keyed })).toMatchObject({
      code: 'ERR_IDENTITY_REVOKED',
    });
  });

  it('loads from an app function, caches for the TTL, and refuses rollback', async () => {
    const clock = { t: NOW };
    let loads = 0;
    let text = await createRevocationList({ issuer: authority, seq: 5, nowMs: NOW });
    const revocation = createRevocationChecker({
      anchors,
      ttlMs: 10_000,
      clock: () => clock.t,
      source: async () => {
        loads++;
        return text;
      },
    });
    const q = { jti: 'cred-x-00001', keys: [] };
    expect(await revocation.check(q)).toEqual({ ok: true });
    expect(await Promise.all([revocation.check(q), revocation.check(q)])).toEqual([{ ok: true }, { ok: true }]);
    expect(loads).toBe(1);
    text = await createRevocationList({ issuer: authority, seq: 6, revoked: ['cred-x-00001'], nowMs: NOW });
    expect(await revocation.check(q)).toEqual({ ok: true }); // still cached
    clock.t += 10_000;
    expect(await revocation.check(q)).toMatchObject({ code: 'ERR_IDENTITY_REVOKED' });
    expect(loads).toBe(2);
    text = await createRevocationList({ issuer: authority, seq: 4, nowMs: NOW }); // an older list replayed
    revocation.invalidate();
    expect(await revocation.check(q)).toMatchObject({ code: 'ERR_IDENTITY_REVOCATION_UNAVAILABLE' });
  });

  it('fails closed: untrusted signer, expired list, broken source, garbage', async () => {
    const stranger = createIdentity();
    const cases: Array<[string, () => string | Promise<string>]> = [
      ['untrusted', () => createRevocationList({ issuer: stranger, seq: 1, nowMs: NOW })],
      ['expired', () => createRevocationList({ issuer: authority, seq: 1, nowMs: NOW - 2 * 86_400_000 })],
      ['throws', () => Promise.reject(new Error('network down'))],
      ['garbage', () => 'not.a.token'],
      ['empty', () => '   '],
    ];
    for (const [label, source] of cases) {
      const revocation = createRevocationChecker({ anchors, source, clock: () => NOW });
      const verdict = await revocation.check({ jti: 'cred-x-00001', keys: [] });
      expect(verdict, label).toMatchObject({ ok: false, code: 'ERR_IDENTITY_REVOCATION_UNAVAILABLE' });
    }
  });

  it('loads from a file, re-read when the cache expires; a missing file fails closed', async () => {
    const dir = await fs.mkdtemp(join(tmpdir(), 'agentguard-revocation-'));
    try {
      const path = join(dir, 'revoked.jwt');
      await fs.writeFile(path, await createRevocationList({ issuer: authority, seq: 1, nowMs: NOW }));
      const clock = { t: NOW };
      const revocation = createRevocationChecker({
        anchors,
        source: revocationFile(path),
        ttlMs: 1000,
        clock: () => clock.t,
      });
      expect(await revocation.check({ jti: 'cred-file-0001', keys: [] })).toEqual({ ok: true });
      await fs.writeFile(
        path,
        await createRevocationList({ issuer: authority, seq: 2, revoked: ['cred-file-0001'], nowMs: NOW }),
      );
      clock.t += 1000;
      expect(await revocation.check({ jti: 'cred-file-0001', keys: [] })).toMatchObject({
        code: 'ERR_IDENTITY_REVOKED',
      });
      await fs.rm(path);
      clock.t += 1000;
      expect(await revocation.check({ jti: 'cred-file-0001', keys: [] })).toMatchObject({
        code: 'ERR_IDENTITY_REVOCATION_UNAVAILABLE',
      });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
