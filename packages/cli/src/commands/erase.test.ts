import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRedactor, createSealer, readLog, unsealRecord } from '@agentguard/audit';
import { openFileAuditLog, verifyLogFile } from '@agentguard/audit/file';
import { createFileKeyStore } from '@agentguard/audit/node';
import { createIdentity } from '@agentguard/identity';
import { saveKeyFile } from '@agentguard/identity/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../test/run-cli.js';
import { runCommand } from '../../test/run-command.js';
import { auditQueryCommand } from './audit-query.js';
import { eraseCommand } from './erase.js';

const dir = mkdtempSync(join(tmpdir(), 'agentguard-cli-erase-'));
const agent = createIdentity();
const logKey = createIdentity();
const keys = createFileKeyStore({ dir: join(dir, 'keys') });
const EMAIL = 'marie.curie@example.com';
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  await saveKeyFile(join(dir, 'agent.jwk'), agent);
  await saveKeyFile(join(dir, 'log.jwk'), logKey);
  const log = await openFileAuditLog(join(dir, 'log.jsonl'), { checkpoint: { signer: logKey } });
  const sealer = createSealer({ keys });
  for (const [i, subject] of ['marie', 'pierre', 'marie'].entries()) await appendSealed(log, sealer, subject, i);
  await log.close();
});

/** Appends call `c<i>` to `subject.curie@example.com`, its args sealed for `subject`. */
async function appendSealed(
  log: Awaited<ReturnType<typeof openFileAuditLog>>,
  sealer: ReturnType<typeof createSealer>,
  subject: string,
  i: number,
): Promise<void> {
  const redaction = createRedactor().redact({ to: `${subject}.curie@example.com` }, { seal: {} });
  const { value } = await sealer.seal(redaction, { subject, callId: `c${i}` });
  await log.append(
    { type: 'call.requested', callId: `c${i}`, agent: agent.id, tool: 'mail', data: { args: value } },
    agent,
  );
}

const lines = () => readFileSync(join(dir, 'log.jsonl'), 'utf8');
const records = () =>
  readLog(readFileSync(join(dir, 'log.jsonl'))).records as unknown as {
    type: string;
    callId: string;
    data?: unknown;
  }[];

describe('agentguard erase', () => {
  it('refuses usage errors and a log that does not verify, erasing nothing', async () => {
    expect(
      (await runCommand(eraseCommand, ['--keys', 'keys', '--log', 'log.jsonl', '--key', 'agent.jwk'], dir)).code,
    ).toBe(2);
    const both = [
      '--subject',
      'a',
      '--reference',
      'b'.repeat(64),
      '--keys',
      'keys',
      '--log',
      'log.jsonl',
      '--key',
      'agent.jwk',
    ];
    expect((await runCommand(eraseCommand, both, dir)).code).toBe(2);
    const missing = await runCommand(
      eraseCommand,
      ['--subject-env', 'NOPE', '--keys', 'keys', '--log', 'log.jsonl', '--key', 'agent.jwk'],
      dir,
    );
    expect(missing.code).toBe(2);
    // A directory that exists but is not the key store: nothing minted, nothing recorded, exit 2.
    mkdirSync(join(dir, 'other'));
    const before = lines();
    const wrong = await runCommand(
      eraseCommand,
      ['--subject', 'marie', '--keys', 'other', '--log', 'log.jsonl', '--key', 'agent.jwk'],
      dir,
    );
    expect(wrong.code).toBe(2);
    expect(wrong.stderr + wrong.stdout).toContain('not a subject key store');
    expect(lines()).toBe(before);
    expect(readdirSync(join(dir, 'other'))).toEqual([]);
    expect((await unsealRecord(records()[0] as never, { keys })).opened).toBe(1);
  });

  it('refuses a log another writer holds (exit 2), before any key is destroyed', async () => {
    const guard = await openFileAuditLog(join(dir, 'log.jsonl'));
    const before = lines();
    try {
      const r = await runCli(
        ['erase', '--subject', 'marie', '--keys', 'keys', '--log', 'log.jsonl', '--key', 'agent.jwk'],
        { cwd: dir },
      );
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('ERR_AUDIT_LOG_LOCKED');
    } finally {
      await guard.close();
    }
    expect(lines()).toBe(before);
    expect((await unsealRecord(records()[0] as never, { keys })).opened).toBe(1);
  });

  it('audit query --unseal opens sealed values for the key holder before erasure', async () => {
    const query = ['log.jsonl', '--type', 'call.requested', '--format', 'json', '--unseal', '--keys', 'keys'];
    const out = await runCommand(auditQueryCommand, query, dir);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(EMAIL);
    expect(out.stdout).toContain('pierre.curie@example.com');
    expect((await runCommand(auditQueryCommand, ['log.jsonl', '--unseal'], dir)).code).toBe(2);
  });

  it('anchors the check of the log with --trust: a log signed by another key gets nothing erased', async () => {
    const before = lines();
    const stranger = createIdentity().id;
    const base = ['--subject', 'marie', '--keys', 'keys', '--log', 'log.jsonl', '--key', 'agent.jwk'];
    const out = await runCommand(eraseCommand, [...base, '--trust', stranger], dir);
    expect(out.code).toBe(1);
    expect(out.stdout).toContain('ERR_AUDIT_UNTRUSTED_SIGNER');
    expect(out.stdout).toContain('nothing erased');
    expect(lines()).toBe(before);
    expect((await unsealRecord(records()[0] as never, { keys })).opened).toBe(1);
  });

  it('destroys the key, appends a signed subject.erased record, and the log still verifies', async () => {
    const before = lines();
    expect(before).not.toContain(EMAIL);
    const out = await runCommand(
      eraseCommand,
      [
        ...['--subject', 'marie', '--keys', 'keys', '--log', 'log.jsonl', '--key', 'agent.jwk', '--log-key', 'log.jwk'],
        ...['--trust', agent.id, '--trust', logKey.id],
      ],
      dir,
    );
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/erased subject [0-9a-f]{64}: 1 key\(s\) destroyed/);
    expect(out.stdout).toContain('2 sealed value(s)');
    expect(lines().startsWith(before)).toBe(true); // appended, never rewritten
    const report = await verifyLogFile(join(dir, 'log.jsonl'), { trust: [agent.id, logKey.id] });
    expect(report).toMatchObject({ ok: true, anchored: true, sealed: true });
    const erased = records().find((r) => r.type === 'subject.erased');
    expect(erased?.data).toMatchObject({ subject: await keys.reference('marie'), sealedValues: 2 });
    expect(JSON.stringify(erased)).not.toContain('marie');
    const all = records();
    await expect(unsealRecord(all[0] as never, { keys })).rejects.toMatchObject({ code: 'ERR_AUDIT_SUBJECT_ERASED' });
    await expect(unsealRecord(all[2] as never, { keys })).rejects.toMatchObject({ code: 'ERR_AUDIT_SUBJECT_ERASED' });
    expect((await unsealRecord(all[1] as never, { keys })).data).toEqual({ args: { to: 'pierre.curie@example.com' } });
    const query = ['log.jsonl', '--type', 'call.requested', '--format', 'json', '--unseal', '--keys', 'keys'];
    const after = await runCommand(auditQueryCommand, query, dir);
    expect(after.code).toBe(0);
    expect(after.stdout).not.toContain(EMAIL);
    expect(after.stdout).toContain('pierre.curie@example.com');
    expect(after.stderr.match(/ERR_AUDIT_SUBJECT_ERASED/g)).toHaveLength(2);
  });
});

describe('policy replay and suggest read sealed values as redacted', () => {
  it('names the pointer of a sealed value, as it names a marker', async () => {
    const { redactedPointers } = await import('./policy-log.js');
    const args = records()[1]?.data as { args: unknown };
    expect(redactedPointers(args.args)).toEqual(['/to']);
    expect(redactedPointers({ to: 'plain', n: 1 })).toEqual([]);
  });
});

describe('agentguard erase on a log whose log key was rotated', () => {
  it('counts the checkpoints of the earlier log key named by --trust, and refuses them when it is not named', async () => {
    const rotated = mkdtempSync(join(tmpdir(), 'agentguard-cli-erase-rotated-'));
    try {
      const [k1, k2] = [createIdentity(), createIdentity()];
      const store = createFileKeyStore({ dir: join(rotated, 'keys') });
      await saveKeyFile(join(rotated, 'agent.jwk'), agent);
      await saveKeyFile(join(rotated, 'log.jwk'), k2);
      const sealer = createSealer({ keys: store });
      for (const [i, signer, previous] of [
        [0, k1, []],
        [1, k2, [k1.id]],
      ] as const) {
        const log = await openFileAuditLog(join(rotated, 'log.jsonl'), {
          checkpoint: { signer },
          previousLogKeys: previous,
        });
        await appendSealed(log, sealer, 'marie', i);
        await log.close();
      }
      const args = [
        '--subject',
        'marie',
        '--keys',
        'keys',
        '--log',
        'log.jsonl',
        '--key',
        'agent.jwk',
        '--log-key',
        'log.jwk',
      ];
      const unnamed = await runCommand(eraseCommand, [...args, '--trust', agent.id, '--trust', k2.id], rotated);
      expect(unnamed.code).not.toBe(0);
      expect(unnamed.stderr).toContain('ERR_AUDIT_CHECKPOINT_INVALID');
      expect(unnamed.stderr).toContain('previousLogKeys');
      const named = await runCommand(
        eraseCommand,
        [...args, '--trust', agent.id, '--trust', k1.id, '--trust', k2.id],
        rotated,
      );
      expect(named.stderr).toBe('');
      expect(named.code).toBe(0);
    } finally {
      rmSync(rotated, { recursive: true, force: true });
    }
  });
});
