import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasOpenssl } from '../test/helpers.js';
import { createInterceptCa } from './intercept-ca.js';
import { issueCa, issueLeaf } from './x509.js';

const NOW = Date.UTC(2026, 5, 1);
const caKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const leafKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ca = issueCa({
  key: caKeys.privateKey,
  publicKey: caKeys.publicKey,
  name: 'test ca',
  nowMs: NOW,
  ttlMs: 86400_000,
});
const leaf = (host: string, nowMs = NOW) =>
  issueLeaf({
    host,
    publicKey: leafKeys.publicKey,
    ca,
    caKey: caKeys.privateKey,
    caName: 'test ca',
    caPublicKey: caKeys.publicKey,
    nowMs,
    ttlMs: 3600_000,
  });

describe('hand-written X.509', () => {
  it('the CA is a self-signed CA certificate that node:crypto parses and verifies', () => {
    const x = new X509Certificate(ca.der);
    expect(x.ca).toBe(true);
    expect(x.subject).toBe('CN=test ca');
    expect(x.issuer).toBe('CN=test ca');
    expect(x.verify(caKeys.publicKey)).toBe(true);
    expect(x.verify(leafKeys.publicKey)).toBe(false);
    expect(new Date(x.validTo).getTime()).toBe(NOW + 86400_000);
    expect(new X509Certificate(ca.pem).fingerprint256).toBe(x.fingerprint256);
  });

  it('a leaf names its host only, is signed by the CA, is no CA, and serves servers', () => {
    const x = new X509Certificate(leaf('api.example.test').der);
    expect(x.ca).toBe(false);
    expect(x.checkIssued(new X509Certificate(ca.der))).toBe(true);
    expect(x.verify(caKeys.publicKey)).toBe(true);
    expect(x.checkHost('api.example.test')).toBe('api.example.test');
    expect(x.checkHost('evil.example.test')).toBeUndefined();
    expect(x.checkHost('example.test')).toBeUndefined();
    expect(x.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(x.subjectAltName).toBe('DNS:api.example.test');
  });

  it('address literals become iPAddress names (v4, v6, v4-in-v6)', () => {
    expect(new X509Certificate(leaf('127.0.0.2').der).checkIP('127.0.0.2')).toBe('127.0.0.2');
    expect(new X509Certificate(leaf('127.0.0.2').der).checkIP('127.0.0.3')).toBeUndefined();
    expect(new X509Certificate(leaf('::1').der).checkIP('::1')).toBe('::1');
    expect(new X509Certificate(leaf('2001:db8::5:1').der).checkIP('2001:db8:0:0:0:0:5:1')).toBeDefined();
    expect(new X509Certificate(leaf('::ffff:1.2.3.4').der).checkIP('::ffff:102:304')).toBeDefined();
  });

  it('a leaf never outlives its CA; times after 2049 are GeneralizedTime', () => {
    const late = new X509Certificate(leaf('a.test', NOW + 86400_000 - 60_000).der);
    expect(new Date(late.validTo).getTime()).toBe(NOW + 86400_000);
    const far = issueCa({
      key: caKeys.privateKey,
      publicKey: caKeys.publicKey,
      name: 'x',
      nowMs: Date.UTC(2049, 11, 31),
      ttlMs: 86400_000 * 3,
    });
    expect(new Date(new X509Certificate(far.der).validTo).getUTCFullYear()).toBe(2050);
  });

  it('property: every host name gets a certificate valid for that name alone, signed by the CA', () => {
    const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$/);
    fc.assert(
      fc.property(
        fc.array(label, { minLength: 1, maxLength: 5 }),
        fc.string({ minLength: 1, maxLength: 4 }),
        (labels, tld) => {
          const host = [...labels, `t${tld.replace(/[^a-z]/g, '')}`].join('.');
          const x = new X509Certificate(leaf(host).der);
          expect(x.verify(caKeys.publicKey)).toBe(true);
          expect(x.checkHost(host)).toBe(host);
          expect(x.checkHost(`x${host}`)).toBeUndefined();
        },
      ),
      { numRuns: 60 },
    );
  });

  it.runIf(hasOpenssl())('openssl verifies the chain strictly for TLS servers, and refuses a forged leaf', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentguard-x509-'));
    const verify = (cert: string) => {
      try {
        return execFileSync(
          'openssl',
          ['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', join(dir, 'ca.pem'), cert],
          {
            encoding: 'utf8',
            stdio: 'pipe',
          },
        );
      } catch (e) {
        return String((e as { stdout?: string }).stdout ?? 'failed');
      }
    };
    try {
      const now = Date.now();
      const c = issueCa({
        key: caKeys.privateKey,
        publicKey: caKeys.publicKey,
        name: 'test ca',
        nowMs: now,
        ttlMs: 86400_000,
      });
      const issue = (signer: typeof caKeys.privateKey) =>
        issueLeaf({
          host: 'api.example.test',
          publicKey: leafKeys.publicKey,
          ca: c,
          caKey: signer,
          caName: 'test ca',
          caPublicKey: caKeys.publicKey,
          nowMs: now,
          ttlMs: 3600_000,
        });
      writeFileSync(join(dir, 'ca.pem'), c.pem);
      writeFileSync(join(dir, 'leaf.pem'), issue(caKeys.privateKey).pem);
      // Same issuer name and key identifier, signed by another key.
      writeFileSync(join(dir, 'forged.pem'), issue(leafKeys.privateKey).pem);
      expect(verify(join(dir, 'leaf.pem'))).toMatch(/leaf\.pem: OK/);
      expect(verify(join(dir, 'forged.pem'))).not.toMatch(/: OK/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the broker CA', () => {
  it('caches a leaf per host, renews it before it ends, and renews the CA itself', () => {
    let now = NOW;
    const ca = createInterceptCa(() => now);
    const first = ca.certificate;
    expect(ca.contextFor('a.test')).toBe(ca.contextFor('a.test'));
    expect(ca.contextFor('a.test')).not.toBe(ca.contextFor('b.test'));
    const a = ca.contextFor('a.test');
    now += 23.5 * 3600_000; // less than an hour left of the leaf
    expect(ca.contextFor('a.test')).not.toBe(a);
    expect(ca.certificate).toBe(first);
    now += 7 * 24 * 3600_000;
    expect(ca.certificate).not.toBe(first);
    expect(new X509Certificate(ca.certificate).ca).toBe(true);
  });

  it('a wildcard rule cannot grow the leaf cache without bound', () => {
    const ca = createInterceptCa(() => NOW);
    const a = ca.contextFor('h0.test');
    for (let i = 1; i <= 256; i++) ca.contextFor(`h${i}.test`);
    expect(ca.contextFor('h0.test')).not.toBe(a); // dropped when the cache was full, made again
  });
});
