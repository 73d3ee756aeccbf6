import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFileAuditLog } from '@agentguard/audit/file';
import { verifyLog } from '@agentguard/audit';
import { createGuard, type StandardSchemaV1 } from '@agentguard/core';
import { createIdentity } from '@agentguard/identity';
import { saveKeyFile } from '@agentguard/identity/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPolicyCommand as run } from '../../test/run-policy-command.js';
import { assessCommand } from './assess.js';

const dir = mkdtempSync(join(tmpdir(), 'agentguard-cli-assess-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const objectSchema: StandardSchemaV1<Record<string, unknown>> = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate: (value) =>
      typeof value === 'object' && value !== null
        ? { value: value as Record<string, unknown> }
        : { issues: [{ message: 'object' }] },
  },
};

const policy = {
  version: 1,
  mode: 'monitor',
  rules: [
    { id: 'reads', effect: 'allow', tools: ['list_files', 'read_mail'], agents: ['ops'] },
    { id: 'pay', effect: 'allow', tools: ['pay'], agents: ['ops'] },
  ],
} as const;
const deployment = {
  version: 1,
  name: 'ops',
  tools: [
    { name: 'list_files', tags: ['read'], pinned: true },
    { name: 'read_mail', tags: ['read'], labels: ['reads:pii'], pinned: true },
    { name: 'pay', tags: ['payment'] },
  ],
  policy,
  agents: [{ name: 'ops', key: 'env' }],
  checkpoints: { enabled: true },
  mode: { value: 'monitor', since: '2026-01-01T00:00:00Z' },
};

beforeAll(async () => {
  const agent = createIdentity({ name: 'ops', secretKey: new Uint8Array(32).fill(7) });
  const audit = await openFileAuditLog(join(dir, 'audit.jsonl'));
  const ag = createGuard({ identity: agent, policy, audit });
  const list = ag.guard({ name: 'list_files', schema: objectSchema, tags: ['read'], execute: () => 'ok' });
  for (let i = 0; i < 6; i++) await list({ path: `/data/f${i}.txt` });
  await ag.close();
  writeFileSync(join(dir, 'deployment.json'), JSON.stringify(deployment));
  writeFileSync(join(dir, 'deployment.mjs'), `export default () => (${JSON.stringify(deployment)});\n`);
  await saveKeyFile(join(dir, 'assessor.jwk'), createIdentity({ name: 'assessor' }));
});

const NOW = ['--now', '2026-06-01T00:00:00Z'];

describe('agentguard assess', () => {
  it('prints tiers and findings, and exits by the worst severity', async () => {
    const r = await run(assessCommand, ['deployment.json', '--log', 'audit.jsonl', ...NOW], dir);
    expect(r.stdout).toContain('AG-ID-002');
    expect(r.stdout).toContain('AG-MODE-001');
    expect(r.stdout).toMatch(/critical\s+pay/);
    expect(r.code).toBe(6);
    expect((await run(assessCommand, ['deployment.json', '--fail-on', 'critical', ...NOW], dir)).code).toBe(6);
    writeFileSync(
      join(dir, 'clean.json'),
      JSON.stringify({
        version: 1,
        name: 'empty',
        tools: [],
        policy: { version: 1, rules: [] },
        agents: [],
        checkpoints: { enabled: true, witness: 'https://witness.invalid/', lastShippedAt: '2026-05-31T00:00:00Z' },
      }),
    );
    const clean = await run(assessCommand, ['clean.json', ...NOW], dir);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain('No findings.');
  });

  it('gives the same bytes for the same input, in every format', async () => {
    for (const format of ['table', 'markdown', 'json', 'sarif']) {
      const a = await run(assessCommand, ['deployment.json', '--log', 'audit.jsonl', '--format', format, ...NOW], dir);
      const b = await run(assessCommand, ['deployment.json', '--log', 'audit.jsonl', '--format', format, ...NOW], dir);
      expect(a.stdout).toBe(b.stdout);
    }
  });

  it('suggests a narrower rule from the log', async () => {
    const r = await run(assessCommand, ['deployment.json', '--log', 'audit.jsonl', '--format', 'json', ...NOW], dir);
    const report = JSON.parse(r.stdout);
    const broad = report.findings.find((f: { id: string }) => f.id === 'AG-POL-002');
    expect(broad.evidence.rules).toEqual(['reads']);
    expect(broad.suggestion[0]).toMatchObject({ tools: ['list_files'], when: { '/path': { pathPrefix: ['/data'] } } });
  });

  it('loads a config module (a function export) as it loads JSON', async () => {
    const a = await run(assessCommand, ['deployment.mjs', '--format', 'json', ...NOW], dir);
    const b = await run(assessCommand, ['deployment.json', '--format', 'json', ...NOW], dir);
    expect(a.stdout).toBe(b.stdout);
  });

  it('prints the rollout plan from the log', async () => {
    const r = await run(assessCommand, ['deployment.json', '--log', 'audit.jsonl', '--plan', ...NOW], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ROLLOUT OF ops');
    expect(r.stdout).toContain('6 call(s) recorded in monitor mode');
  });

  it('records a signed assessment whose digest is the JSON report', async () => {
    const json = await run(assessCommand, ['deployment.json', '--format', 'json', ...NOW], dir);
    const r = await run(
      assessCommand,
      ['deployment.json', '--format', 'json', '--record', 'assessments.jsonl', '--key', 'assessor.jwk', ...NOW],
      dir,
    );
    expect(r.stdout).toBe(json.stdout);
    const bytes = readFileSync(join(dir, 'assessments.jsonl'));
    expect(verifyLog(bytes).ok).toBe(true);
    const record = JSON.parse(bytes.toString('utf8').trim().split('\n').at(-1) as string);
    expect(record.type).toBe('assessment');
    expect(typeof record.sig).toBe('string');
    const { createHash } = await import('node:crypto');
    expect(record.data.reportDigest).toBe(`sha256:${createHash('sha256').update(json.stdout).digest('hex')}`);
    expect(record.data.worst).toBe('critical');
    expect(record.data.findingIds).toContain('AG-ID-002');
  });

  it('anchors the log with --trust: a log signed by another key is refused; without trust it says so', async () => {
    const agentId = createIdentity({ name: 'ops', secretKey: new Uint8Array(32).fill(7) }).id;
    const stranger = createIdentity({ name: 'stranger' }).id;
    const ok = await run(assessCommand, ['deployment.json', '--log', 'audit.jsonl', '--trust', agentId, ...NOW], dir);
    expect(ok.code).not.toBe(1);
    expect(ok.stderr).not.toContain('not anchored');
    const refused = await run(
      assessCommand,
      ['deployment.json', '--log', 'audit.jsonl', '--trust', stranger, ...NOW],
      dir,
    );
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('ERR_AUDIT_UNTRUSTED_SIGNER');
    const bare = await run(assessCommand, ['deployment.json', '--log', 'audit.jsonl', ...NOW], dir);
    expect(bare.stderr).toContain('not anchored');
  });

  it('refuses a tampered log, a bad deployment and bad options', async () => {
    const lines = readFileSync(join(dir, 'audit.jsonl'), 'utf8').split('\n');
    lines[1] = (lines[1] as string).replace('list_files', 'list_filez');
    writeFileSync(join(dir, 'tampered.jsonl'), lines.join('\n'));
    expect((await run(assessCommand, ['deployment.json', '--log', 'tampered.jsonl'], dir)).code).toBe(1);
    writeFileSync(join(dir, 'bad.json'), '{"version":1,"__proto__":{}}');
    const bad = await run(assessCommand, ['bad.json'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('deployment');
    expect((await run(assessCommand, ['deployment.json', '--format', 'xml'], dir)).code).toBe(2);
    expect((await run(assessCommand, ['deployment.json', '--fail-on', 'severe'], dir)).code).toBe(2);
    expect((await run(assessCommand, ['deployment.json', '--plan'], dir)).code).toBe(2);
    expect((await run(assessCommand, ['deployment.json', '--record', 'x.jsonl'], dir)).code).toBe(2);
  });
});
