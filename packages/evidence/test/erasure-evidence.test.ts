import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eraseSubject } from '@agentguard/audit';
import { openFileAuditLog } from '@agentguard/audit/file';
import { createFileKeyStore } from '@agentguard/audit/node';
import { createGuard } from '@agentguard/core';
import { createIdentity } from '@agentguard/identity';
import type { PolicyDocument } from '@agentguard/policy';
import { fromUtf8, toBase64, toBase64Url, toHex, utf8 } from '@agentguard/statement';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createComplianceReport, exportBundle, exportOcsf, formatReportJson, verifyBundle } from '../src/index.js';

// Erasure seen from the evidence side: after a subject is erased, the compliance report finds the erasure
// (GDPR Art. 17) and the log still verifies; a bundle exported afterwards verifies and holds none of the
// subject's planted values, nor does the OCSF export.

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const PERSON = { name: 'Grace Hopper', email: 'grace.hopper@example.com', iban: 'GB82 WEST 1234 5698 7654 32' };
const policy: PolicyDocument = {
  version: 1,
  rules: [{ id: 'pay', effect: 'allow', tools: ['pay'], obligations: { redact: ['/payee/name'] } }],
};

/** Every form a planted value could leak in: as is, lower-cased, without spaces, base64, base64url, hex. */
const forms = (value: string): string[] =>
  [value, value.toLowerCase(), value.replaceAll(' ', '')].flatMap((v) => [
    v,
    toBase64(utf8(v)),
    toBase64Url(utf8(v)),
    toHex(utf8(v)),
  ]);

function expectAbsent(where: string, text: string, values: readonly string[]): void {
  for (const value of values)
    for (const form of forms(value)) expect(text.includes(form), `${where} holds ${JSON.stringify(form)}`).toBe(false);
}

describe('erasure, then evidence', () => {
  it('the report finds the erasure; the bundle and the OCSF export verify and hold no planted value', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ag-erase-evidence-'));
    dirs.push(dir);
    const logPath = join(dir, 'audit.jsonl');
    const keysDir = join(dir, 'keys');
    const identity = createIdentity({ name: 'agent' });
    const logKey = createIdentity({ name: 'log' });
    const exporter = createIdentity({ name: 'exporter' });
    const keys = createFileKeyStore({ dir: keysDir });
    const audit = await openFileAuditLog(logPath, { checkpoint: { signer: logKey, everyRecords: 2 } });
    const ag = createGuard({ identity, policy, audit, sealing: { keys } });
    const pay = ag.guard({
      name: 'pay',
      schema: z.object({
        payee: z.object({ name: z.string(), email: z.string(), iban: z.string() }),
        note: z.string(),
      }),
      execute: async () => 'paid',
    });
    await expect(
      pay({ payee: PERSON, note: `receipt to ${PERSON.email}` }, { subject: 'customer-grace', callId: 'c1' }),
    ).resolves.toBe('paid');
    await eraseSubject({ keys, subject: 'customer-grace', audit, signer: identity, sealedValues: 3 });
    await audit.close();
    const log = new Uint8Array(readFileSync(logPath));
    const planted = [...Object.values(PERSON), 'customer-grace'];
    expectAbsent('the log', Buffer.from(log).toString('latin1'), planted);
    for (const name of readdirSync(keysDir, { recursive: true, encoding: 'utf8' })) {
      const path = join(keysDir, name);
      if (statSync(path).isFile()) expectAbsent(`key store ${name}`, readFileSync(path).toString('latin1'), planted);
    }

    const trust = [identity.id, logKey.id];
    const report = createComplianceReport(log, { regime: 'gdpr', trust, checkpointKeys: [logKey.id] });
    const art17 = report.controls.find((c) => c.id === 'gdpr/art-17');
    expect(art17?.status).toBe('found');
    expect(art17?.measured).toMatchObject({ erasures: 1, subjects: 1 });
    const records = fromUtf8(log)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { seq: number; type: string });
    const erasedSeqs = records.filter((r) => r.type === 'subject.erased').map((r) => String(r.seq));
    expect(erasedSeqs).toHaveLength(1);
    expect(art17?.findings[0]?.supports).toEqual(erasedSeqs);
    // Integrity still holds after the erasure: the HIPAA integrity control verifies the whole log.
    const hipaa = createComplianceReport(log, { regime: 'hipaa', trust, checkpointKeys: [logKey.id] });
    const integrity = hipaa.controls.find((c) => c.id.includes('(c)'));
    expect(integrity?.status).toBe('found');
    expectAbsent('the report', formatReportJson(report), planted);

    const bundle = await exportBundle({
      log,
      signer: exporter,
      trust,
      checkpointKeys: [logKey.id],
      policies: [policy],
    });
    const verified = verifyBundle(bundle.files, { trust: [exporter.id] });
    expect(verified.findings).toEqual([]);
    expect(verified.ok).toBe(true);
    for (const [name, bytes] of bundle.files)
      expectAbsent(`bundle ${name}`, Buffer.from(bytes).toString('latin1'), planted);
    expectAbsent('the OCSF export', exportOcsf(log, { trust }), planted);
  });
});
