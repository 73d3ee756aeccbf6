import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyLog } from '@agentguard/audit';
import { openFileAuditLog } from '@agentguard/audit/file';
import { createIdentity } from '@agentguard/identity';
import { saveKeyFile } from '@agentguard/identity/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../test/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'agentguard-cli-assess-record-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const agent = createIdentity({ name: 'ops' });
const deployment = {
  version: 1,
  name: 'ops',
  tools: [{ name: 'list_files', tags: ['read'], pinned: true }],
  policy: { version: 1, rules: [{ id: 'reads', effect: 'allow', tools: ['list_files'], agents: ['ops'] }] },
  agents: [{ name: 'ops', key: 'env' }],
};
const event = (i: number) => ({
  type: 'call.completed' as const,
  callId: `c${i}`,
  agent: agent.id,
  tool: 'list_files',
});
const ARGS = ['assess', 'deployment.json', '--key', 'assessor.jwk', '--now', '2026-06-01T00:00:00Z'];

beforeAll(async () => {
  writeFileSync(join(dir, 'deployment.json'), JSON.stringify(deployment));
  await saveKeyFile(join(dir, 'assessor.jwk'), createIdentity({ name: 'assessor' }));
});

describe('agentguard assess --record: one writer per log', () => {
  it('refuses a log a running guard holds (exit 2, ERR_AUDIT_LOG_LOCKED), before assessing, writing nothing', async () => {
    const path = join(dir, 'held.jsonl');
    const guard = await openFileAuditLog(path);
    await guard.append(event(0), agent);
    const before = readFileSync(path);
    const r = await runCli([...ARGS, '--record', 'held.jsonl'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ERR_AUDIT_LOG_LOCKED');
    expect(r.stderr).toContain(path);
    expect(r.stdout).toBe('');
    expect(readFileSync(path)).toEqual(before);
    // The guard carries on: its chain is whole and its next record follows.
    await guard.append(event(1), agent);
    await guard.close();
    expect(verifyLog(readFileSync(path))).toMatchObject({ ok: true, records: 2 });
    // Once the guard is gone, the record goes in.
    expect((await runCli([...ARGS, '--record', 'held.jsonl'], { cwd: dir })).code).not.toBe(2);
    expect(verifyLog(readFileSync(path))).toMatchObject({ ok: true, records: 3 });
  });

  it('never cuts a last line without a newline: it names its line and leaves the file as it was', async () => {
    const path = join(dir, 'torn.jsonl');
    const guard = await openFileAuditLog(path);
    await guard.append(event(0), agent);
    await guard.close();
    // What a writer that takes no lock (an older guard) leaves half-way through a write.
    appendFileSync(path, '{"v":1,"seq":1,"ts":"2026-');
    const before = readFileSync(path);
    const r = await runCli([...ARGS, '--record', 'torn.jsonl'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ERR_AUDIT_RECORD_TRUNCATED');
    expect(r.stderr).toContain(`${path}:2:`);
    expect(readFileSync(path)).toEqual(before);
    expect(existsSync(`${path}.torn`)).toBe(false);
    expect(existsSync(`${path}.lock`)).toBe(false);
  });
});
