import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AuditError,
  createAuditLog,
  createMemorySink,
  type AuditRecord,
  eraseSubject,
  readLog,
  recordLeaf,
  unsealRecord,
  verifyInclusion,
} from '@agentguard/audit';
import { openFileAuditLog, verifyLogFile } from '@agentguard/audit/file';
import { createFileKeyStore } from '@agentguard/audit/node';
import { createIdentity } from '@agentguard/identity';
import type { PolicyDocument } from '@agentguard/policy';
import { toBase64, toBase64Url, toHex, utf8 } from '@agentguard/statement';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createGuard } from './index.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'ag-erase-'));
  dirs.push(d);
  return d;
};

// Planted personal values of two subjects: names (sealed as a field), emails and IBANs (found by detectors).
const ADA = { name: 'Ada Lovelace', email: 'ada.lovelace@example.com', iban: 'GB82 WEST 1234 5698 7654 32' };
const ALAN = { name: 'Alan Turing', email: 'alan.turing@example.org', iban: 'DE89 3704 0044 0532 0130 00' };

const policy: PolicyDocument = {
  version: 1,
  rules: [{ id: 'pay', effect: 'allow', tools: ['pay'], obligations: { redact: ['/payee/name'] } }],
};

/** Every form a planted value could leak in: as is, lower-cased, without spaces, base64, base64url, hex. */
function forms(value: string): string[] {
  const compact = value.replaceAll(' ', '');
  return [value, value.toLowerCase(), compact].flatMap((v) => [
    v,
    toBase64(utf8(v)),
    toBase64Url(utf8(v)),
    toHex(utf8(v)),
  ]);
}

/** Every file under `dir`, as bytes decoded as latin1 (so any byte sequence is searchable). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile())
    .map((path) => readFileSync(path).toString('latin1'));
}

function expectAbsent(texts: readonly string[], values: readonly string[]): void {
  for (const text of texts)
    for (const value of values) for (const form of forms(value)) expect(text).not.toContain(form);
}

describe('erasure by crypto-shredding, through real guarded calls', () => {
  it('seals planted personal data, opens it before erasure, and after erasure the log verifies and nothing opens', async () => {
    const dir = tmp();
    const logPath = join(dir, 'audit.jsonl');
    const keysDir = join(dir, 'keys');
    const identity = createIdentity();
    const logKey = createIdentity();
    const keys = createFileKeyStore({ dir: keysDir });
    const audit = await openFileAuditLog(logPath, { checkpoint: { signer: logKey, everyRecords: 3 } });
    const ag = createGuard({ identity, policy, audit, sealing: { keys } });
    const pay = ag.guard({
      name: 'pay',
      schema: z.object({
        payee: z.object({ name: z.string(), email: z.string(), iban: z.string() }),
        note: z.string(),
      }),
      execute: async () => 'paid',
    });
    for (const [subject, person, callId] of [
      ['customer-ada', ADA, 'call-1'],
      ['customer-alan', ALAN, 'call-2'],
    ] as const) {
      await expect(
        pay({ payee: person, note: `send receipt to ${person.email}, IBAN ${person.iban}` }, { subject, callId }),
      ).resolves.toBe('paid');
    }
    const before = await verifyLogFile(logPath, { trust: [identity.id, logKey.id] });
    expect(before.ok).toBe(true);
    const planted = [...Object.values(ADA), ...Object.values(ALAN), 'customer-ada', 'customer-alan'];
    expectAbsent([readFileSync(logPath).toString('latin1')], planted);
    // The subject ids are in no key file name or content either: the store works by pseudonym.
    expectAbsent(filesUnder(keysDir), planted);

    // Before erasure, an authorised reader (the key store's holder) reads every value back.
    const records = readLog(readFileSync(logPath)).records;
    const requested = records.filter((r) => r.type === 'call.requested') as Extract<AuditRecord, { callId: string }>[];
    expect(requested).toHaveLength(2);
    const adaRecord = requested.find((r) => r.callId === 'call-1');
    const alanRecord = requested.find((r) => r.callId === 'call-2');
    if (adaRecord === undefined || alanRecord === undefined) throw new Error('records missing');
    expect((adaRecord.data as { sealed?: number }).sealed).toBe(4); // name, email, iban, note
    const opened = await unsealRecord(adaRecord, { keys });
    expect(opened.opened).toBe(4);
    expect((opened.data as { args: unknown }).args).toEqual({
      payee: ADA,
      note: `send receipt to ${ADA.email}, IBAN ${ADA.iban}`,
    });

    // Erase Ada through the running guard's log.
    const erased = await eraseSubject({ keys, subject: 'customer-ada', audit, signer: identity, sealedValues: 4 });
    expect(erased.keyIds).toHaveLength(1);
    await audit.close();

    // The log still verifies in full: chain, every signature, every checkpoint, and it extends the one before.
    const after = await verifyLogFile(logPath, {
      trust: [identity.id, logKey.id],
      checkpointKeys: [logKey.id],
      ...(before.ok && before.latestCheckpoint !== undefined ? { checkpoint: before.latestCheckpoint } : {}),
    });
    expect(after).toMatchObject({ ok: true, anchored: true });
    if (!after.ok || !before.ok) throw new Error('unreachable');
    expect(after.extends).toBeGreaterThan(0);
    expect(after.checkpoints).toBeGreaterThan(before.checkpoints);
    // Inclusion proofs of every record, the sealed ones included, against the final tree.
    const view = readLog(readFileSync(logPath));
    view.records.forEach((record, i) => {
      const proof = view.tree.inclusionProof(i);
      expect(verifyInclusion(i, view.tree.size, recordLeaf(record), proof, view.tree.root())).toBe(true);
    });
    const erasure = view.records.find((r) => r.type === 'subject.erased') as { data?: unknown; signer: string };
    expect(erasure).toMatchObject({ signer: identity.id, data: { subject: erased.subject, keyIds: erased.keyIds } });

    // An exported copy of the log: the same bytes, the same guarantees.
    const exported = join(tmp(), 'export.jsonl');
    copyFileSync(logPath, exported);
    expect((await verifyLogFile(exported, { trust: [identity.id, logKey.id] })).ok).toBe(true);

    // Ada's values are nowhere: not in the log, its copy, or the key store; her values no longer open.
    const adaValues = [...Object.values(ADA), 'customer-ada'];
    expectAbsent([readFileSync(logPath).toString('latin1'), readFileSync(exported).toString('latin1')], adaValues);
    expectAbsent(filesUnder(keysDir), adaValues);
    expect(readdirSync(join(keysDir, 'keys'))).not.toContain(`${erased.subject}.key`);
    const refused = await unsealRecord(adaRecord, { keys }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AuditError);
    expect(refused).toMatchObject({ code: 'ERR_AUDIT_SUBJECT_ERASED' });
    // Alan, not erased, still opens.
    expect(((await unsealRecord(alanRecord, { keys })).data as { args: { payee: unknown } }).args.payee).toEqual(ALAN);
  });

  it('redacts one way a call with no subject, and fails closed when the key store fails', async () => {
    const dir = tmp();
    const identity = createIdentity();
    const audit = await openFileAuditLog(join(dir, 'a.jsonl'));
    const broken = {
      reference: async () => {
        throw new Error('store offline');
      },
      keyFor: async () => ({ kid: '0'.repeat(16), key: new Uint8Array(32) }),
      get: async () => undefined,
      destroy: async () => [],
    };
    let ran = 0;
    const ag = createGuard({
      identity,
      policy,
      audit,
      sealing: { keys: broken, subject: (args) => (args as { who?: string }).who },
    });
    const pay = ag.guard({
      name: 'pay',
      schema: z.object({ who: z.string().optional(), to: z.string() }),
      execute: async () => {
        ran++;
        return 'paid';
      },
    });
    await expect(pay({ to: 'grace@example.com' })).resolves.toBe('paid');
    const out = await pay.safeRun({ who: 'customer-grace', to: 'grace@example.com' });
    expect(out.ok).toBe(false);
    expect(out.ok ? undefined : out.denial.code).toBe('ERR_GUARD_AUDIT_FAILED');
    expect(ran).toBe(1);
    await audit.close();
    const text = readFileSync(join(dir, 'a.jsonl'), 'utf8');
    expect(text).not.toContain('grace@example.com');
    expect(text).toMatch(/\[REDACTED:email:hmac-sha256:[0-9a-f]{16}\]/);
  });

  it('refuses sealing with redaction off: the args would be written in clear', () => {
    const keys = createFileKeyStore({ dir: tmp() });
    const audit = createAuditLog({ sink: createMemorySink() });
    expect(() =>
      createGuard({ identity: createIdentity(), policy, audit, redaction: false, sealing: { keys } }),
    ).toThrow(TypeError);
  });
});
