/**
 * The worked examples of docs/formats/*.md are checked here: each fenced block
 * marked `<!-- example: name -->` is recomputed with the libraries (and the CLI
 * commands that print it) and verified, also with node:crypto as an independent
 * Ed25519 implementation. A page whose example drifts from the code fails.
 */
import { createHash, createPublicKey, verify as nodeVerify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AuditRecord,
  createAuditLog,
  createMemorySink,
  recordLeaf,
  verifierKey,
  verifyConsistency,
  verifyInclusion,
  verifyLog,
} from '@agentguard/audit';
import {
  createIdentity,
  createRevocationChecker,
  createRevocationList,
  createTrustAnchors,
  delegate,
  didToPublicKey,
  identityFromJwk,
  issueCredential,
  parseTrustFile,
  publicKeyToJwk,
  trustedIds,
  verifyChain,
  verifyCredential,
} from '@agentguard/identity';
import {
  fromBase64,
  fromBase64Url,
  fromHex,
  fromUtf8,
  sha256,
  toBase64,
  toBase64Url,
  toHex,
  utf8,
} from '@agentguard/statement';
import { afterAll, describe, expect, it } from 'vitest';
import { auditCheckpointCommand } from '../src/commands/audit-checkpoint.js';
import { auditConsistencyCommand } from '../src/commands/audit-consistency.js';
import { auditProofCommand } from '../src/commands/audit-proof.js';
import { runCommand } from './run-command.js';
import { verifyCommand } from '../src/commands/verify.js';

const formats = new URL('../../../docs/formats/', import.meta.url);

/** Every `<!-- example: name -->` block of a page: the fenced text, each line ending in LF. */
function examples(page: string): Map<string, string> {
  const text = readFileSync(new URL(page, formats), 'utf8');
  const found = new Map<string, string>();
  for (const m of text.matchAll(/<!-- example: ([a-z0-9-]+) -->\n```[a-z]*\n([\s\S]*?)^```$/gm)) {
    found.set(m[1] as string, m[2] as string);
  }
  return found;
}
function block(blocks: Map<string, string>, name: string): string {
  const value = blocks.get(name);
  if (value === undefined) throw new Error(`example block "${name}" is missing`);
  return value;
}
const json = (blocks: Map<string, string>, name: string): unknown => JSON.parse(block(blocks, name));
const token = (blocks: Map<string, string>, name: string): string => block(blocks, name).trim();
const segment = (jws: string, i: number): unknown => JSON.parse(fromUtf8(fromBase64Url(jws.split('.')[i] as string)));

/** node:crypto (OpenSSL) Ed25519 over the JWS signing input. */
function jwsVerifiesIndependently(jws: string, publicKey: Uint8Array): boolean {
  const [h, p, s] = jws.split('.') as [string, string, string];
  const key = createPublicKey({ key: { ...publicKeyToJwk(publicKey) }, format: 'jwk' });
  return nodeVerify(null, Buffer.from(`${h}.${p}`, 'ascii'), key, Buffer.from(s, 'base64url'));
}

const credentialPage = examples('credential.md');
const delegationPage = examples('delegation-link.md');
const revocationPage = examples('revocation-list.md');
const trustPage = examples('trust-file.md');
const proofPage = examples('proof.md');
const checkpointPage = examples('checkpoint.md');

const NOW = Date.parse('2026-01-01T00:00:00Z');
const authority = identityFromJwk(json(credentialPage, 'authority-jwk'));
const agent = identityFromJwk(json(delegationPage, 'agent-jwk'));
const anchors = createTrustAnchors([authority.id]);
const credential = token(credentialPage, 'credential-token');
const credentialOptions = {
  issuer: authority,
  subject: agent.id,
  name: 'billing-agent',
  owner: 'team-billing',
  environment: 'prod',
  riskTier: 'high',
  tools: ['invoice.*'],
  scopes: ['invoices:read'],
  maxCalls: 100,
  nowMs: NOW,
  ttlMs: 86_400_000,
  jti: 'cred-2026-0001',
} as const;

const dir = mkdtempSync(join(tmpdir(), 'agentguard-formats-docs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('docs/formats/credential.md', () => {
  it('the token is what issueCredential gives for the stated inputs, and its blocks decode from it', async () => {
    expect(agent.exportPrivateJwk().d).toBe(toBase64Url(fromHex('01'.repeat(32))));
    expect(await issueCredential(credentialOptions)).toBe(credential);
    expect(segment(credential, 0)).toEqual(json(credentialPage, 'credential-header'));
    expect(segment(credential, 1)).toEqual(json(credentialPage, 'credential-payload'));
    const eddsa = token(credentialPage, 'credential-token-eddsa');
    expect(await issueCredential({ ...credentialOptions, alg: 'EdDSA' })).toBe(eddsa);
    expect(eddsa.split('.')[1]).toBe(credential.split('.')[1]);
  });

  it('verifies with the library and with node:crypto, in both alg forms', async () => {
    for (const jws of [credential, token(credentialPage, 'credential-token-eddsa')]) {
      expect((await verifyCredential(jws, { anchors, nowMs: NOW + 1000 })).ok).toBe(true);
      expect(jwsVerifiesIndependently(jws, authority.publicKey)).toBe(true);
    }
  });
});

describe('docs/formats/delegation-link.md', () => {
  it('the link is what delegate gives, its prf is the hash of the credential, and the chain verifies', async () => {
    const sub = createIdentity({ secretKey: fromHex('02'.repeat(32)) });
    const link = token(delegationPage, 'link-token');
    const again = await delegate({
      delegator: agent,
      parent: credential,
      delegatee: sub.id,
      tools: ['invoice.read'],
      scopes: ['invoices:read'],
      args: { amount: { max: 50 } },
      maxCalls: 5,
      nowMs: Date.parse('2026-01-01T00:01:00Z'),
      ttlMs: 600_000,
      jti: 'link-2026-0001',
    });
    expect(again).toBe(link);
    expect(segment(link, 0)).toEqual(json(delegationPage, 'link-header'));
    const payload = json(delegationPage, 'link-payload') as { prf: string };
    expect(segment(link, 1)).toEqual(payload);
    expect(payload.prf).toBe(toBase64Url(sha256(utf8(credential))));
    expect(jwsVerifiesIndependently(link, agent.publicKey)).toBe(true);
    const chain = await verifyChain([credential, link], { anchors, nowMs: Date.parse('2026-01-01T00:02:00Z') });
    expect(chain.ok).toBe(true);
  });
});

describe('docs/formats/revocation-list.md', () => {
  it('the list is what createRevocationList gives, and a checker reading it revokes the named jti', async () => {
    const list = token(revocationPage, 'revocation-token');
    expect(
      await createRevocationList({
        issuer: authority,
        seq: 7,
        revoked: ['cred-2025-0042'],
        nowMs: NOW,
        ttlMs: 86_400_000,
      }),
    ).toBe(list);
    expect(segment(list, 0)).toEqual(json(revocationPage, 'revocation-header'));
    expect(segment(list, 1)).toEqual(json(revocationPage, 'revocation-payload'));
    expect(jwsVerifiesIndependently(list, authority.publicKey)).toBe(true);
    const revocation = createRevocationChecker({ anchors, source: list, clock: () => NOW });
    const revoked = await issueCredential({ ...credentialOptions, jti: 'cred-2025-0042' });
    expect(await verifyCredential(revoked, { anchors, nowMs: NOW, revocation })).toMatchObject({
      code: 'ERR_IDENTITY_REVOKED',
    });
    expect((await verifyCredential(credential, { anchors, nowMs: NOW, revocation })).ok).toBe(true);
  });
});

const logKey = createIdentity({ secretKey: fromHex('03'.repeat(32)) });
const logText = block(proofPage, 'log');
writeFileSync(join(dir, 'log.jsonl'), logText);

describe('docs/formats/proof.md', () => {
  it('the log is what the library writes for the stated inputs', async () => {
    const sink = createMemorySink();
    const log = createAuditLog({
      sink,
      clock: () => NOW,
      checkpoint: { signer: logKey, everyRecords: 2, everyMs: 0, origin: 'example.com/agentguard/billing' },
    });
    for (let i = 0; i < 3; i++) {
      const event = { type: 'call.completed', callId: `call-${i}`, agent: agent.id, tool: 'invoice.read' } as const;
      await log.append({ ...event, data: { durationMs: i + 1 } }, agent);
    }
    await log.close();
    expect(sink.text()).toBe(logText);
    expect(verifyLog(logText, { trust: [agent.id, logKey.id] }).ok).toBe(true);
  });

  it('the inclusion proof is what `audit proof` prints, and it verifies', async () => {
    const r = await runCommand(auditProofCommand, ['log.jsonl', '--index', '1'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(block(proofPage, 'inclusion-proof'));
    const p = json(proofPage, 'inclusion-proof') as {
      index: number;
      size: number;
      leaf: string;
      root: string;
      proof: string[];
      record: AuditRecord;
    };
    expect(verifyInclusion(p.index, p.size, fromHex(p.leaf), p.proof.map(fromHex), fromHex(p.root))).toBe(true);
    expect(toHex(recordLeaf(p.record))).toBe(p.leaf);
    // The leaf is SHA-256(0x00 || body bytes), the body being the log line without hash and sig.
    const line = logText.split('\n')[p.index] as string;
    const { hash: _h, sig: _s, ...body } = JSON.parse(line) as Record<string, unknown>;
    const bodyLine = line.replace(/,"hash":"[0-9a-f]{64}"/, '').replace(/,"sig":"[^"]+"/, '');
    expect(JSON.parse(bodyLine)).toEqual(body);
    const leaf = createHash('sha256')
      .update(Buffer.from([0]))
      .update(bodyLine, 'utf8')
      .digest('hex');
    expect(leaf).toBe(p.leaf);
  });

  it('the consistency proof is what `audit consistency` prints, and it verifies', async () => {
    const r = await runCommand(auditConsistencyCommand, ['log.jsonl', '--from', '2', '--to', '4'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(block(proofPage, 'consistency-proof'));
    const p = json(proofPage, 'consistency-proof') as {
      size1: number;
      size2: number;
      root1: string;
      root2: string;
      proof: string[];
    };
    expect(verifyConsistency(p.size1, p.size2, p.proof.map(fromHex), fromHex(p.root1), fromHex(p.root2))).toBe(true);
  });
});

describe('docs/formats/checkpoint.md', () => {
  it('the signed checkpoint is what `audit checkpoint` prints; node:crypto verifies it; its root is the log tree', async () => {
    const text = block(checkpointPage, 'signed-checkpoint');
    const r = await runCommand(auditCheckpointCommand, ['log.jsonl'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(text);
    const origin = 'example.com/agentguard/billing';
    expect(block(checkpointPage, 'verifier-key')).toBe(`${verifierKey(origin, logKey.publicKey)}\n`);
    const [body, signatureLine] = text.split('\n\n') as [string, string];
    const [, size, root] = body.split('\n') as [string, string, string];
    const m = /^\u2014 (\S+) (\S+)\n$/.exec(signatureLine);
    expect(m?.[1]).toBe(origin);
    const blob = fromBase64(m?.[2] ?? '');
    const keyId = sha256(new Uint8Array([...utf8(`${origin}\n`), 1, ...logKey.publicKey])).slice(0, 4);
    expect(blob.slice(0, 4)).toEqual(keyId);
    const key = createPublicKey({ key: { ...publicKeyToJwk(didToPublicKey(logKey.id)) }, format: 'jwk' });
    expect(nodeVerify(null, Buffer.from(`${body}\n`, 'utf8'), key, Buffer.from(blob.slice(4)))).toBe(true);
    const consistency = json(proofPage, 'consistency-proof') as { size2: number; root2: string };
    expect(Number(size)).toBe(consistency.size2);
    expect(root).toBe(toBase64(fromHex(consistency.root2)));
    expect(verifyLog(logText, { trust: [agent.id, logKey.id], checkpoint: text }).ok).toBe(true);
  });
});

describe('docs/formats/trust-file.md', () => {
  it('parses, and anchors the proof page log through `verify --trust-file`', async () => {
    const file = parseTrustFile(block(trustPage, 'trust-file'));
    expect(trustedIds(file, ['agent', 'log'])).toEqual([agent.id, logKey.id]);
    writeFileSync(join(dir, 'trust.json'), block(trustPage, 'trust-file'));
    const r = await runCommand(verifyCommand, ['log.jsonl', '--trust-file', 'trust.json'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('anchored: every record is signed by a trusted key.');
  });
});

describe('docs/audit-format.md: reading and re-serialising lines', () => {
  it('a line holds raw U+2028/U+2029; escaping them (as json.dumps does) breaks it; deleting hash and sig gives the body', async () => {
    const sink = createMemorySink();
    const log = createAuditLog({ sink, clock: () => NOW });
    const data = { text: 'one\u2028two\u2029three', ratio: 1.5, big: 1e16 };
    await log.append({ type: 'call.completed', callId: 'c-2028', agent: agent.id, tool: 'note', data }, agent);
    await log.close();
    const line = sink.text().slice(0, -1);
    expect(line.split('\n')).toHaveLength(1);
    expect(Buffer.from(line, 'utf8').includes(Buffer.from([0xe2, 0x80, 0xa8]))).toBe(true);
    expect(Buffer.from(line, 'utf8').includes(Buffer.from([0xe2, 0x80, 0xa9]))).toBe(true);
    expect(line).toContain('"big":10000000000000000');
    expect(verifyLog(`${line}\n`, { trust: [agent.id] }).ok).toBe(true);
    // What Python's json.dumps(sort_keys=True) would change: escaped separators, spaces, 1e+16.
    const pythonish = [
      line.replace('\u2028', '\\u2028').replace('\u2029', '\\u2029'),
      line.replace('"big":10000000000000000', '"big":1e+16'),
      line.replaceAll('","', '", "'),
    ];
    for (const changed of pythonish) expect(verifyLog(`${changed}\n`, { trust: [agent.id] }).ok).toBe(false);
    const record = JSON.parse(line) as { hash: string };
    const body = line.replace(/,"hash":"[0-9a-f]{64}"/, '').replace(/,"sig":"[^"]+"/, '');
    expect(createHash('sha256').update(body, 'utf8').digest('hex')).toBe(record.hash);
  });
});
