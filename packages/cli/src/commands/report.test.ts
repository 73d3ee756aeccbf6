import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openAuditDirectory } from '@agentguard/audit/file';
import { createIdentity } from '@agentguard/identity';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../test/run-cli.js';

const AGENT = createIdentity({ secretKey: new Uint8Array(32).fill(31), name: 'cli-report-agent' });
const LOG_KEY = createIdentity({ secretKey: new Uint8Array(32).fill(32), name: 'cli-report-log' });
const DAY = 86_400_000;
const T0 = Date.parse('2026-06-01T00:00:00.000Z');
const DIGEST = `sha256:${'ab'.repeat(32)}`;

const dir = mkdtempSync(join(tmpdir(), 'agentguard-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A rotated log: one file a day, calls 400 and 200 days before T0 and on T0. */
async function rotatedLog(name: string): Promise<string> {
  const path = join(dir, name);
  let now = T0 - 400 * DAY;
  const log = await openAuditDirectory(path, {
    clock: () => now,
    rotate: { maxAgeMs: DAY },
    checkpoint: { signer: LOG_KEY, origin: 'example.com/cli-report', everyRecords: 0, everyMs: 0 },
  });
  for (const [i, days] of [400, 200, 0].entries()) {
    now = T0 - days * DAY;
    const base = { callId: `c-${i}`, agent: AGENT.id, tool: 'search' };
    await log.append({ ...base, type: 'call.requested', data: { argsDigest: DIGEST } }, AGENT);
    await log.append(
      { ...base, type: 'call.completed', data: { decision: { effect: 'allow', ruleId: 'r' }, resultDigest: DIGEST } },
      AGENT,
    );
  }
  await log.close();
  return path;
}

const log = await rotatedLog('audit');
const keys = ['--trust', AGENT.id, '--log-key', LOG_KEY.id];

describe('agentguard report', () => {
  it('writes the same JSON twice, covering the rotated files', async () => {
    const a = await runCli(['report', '--regime', 'pci-dss-4', '--format', 'json', ...keys, log]);
    const b = await runCli(['report', '--regime', 'pci-dss-4', '--format', 'json', ...keys, log]);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    const report = JSON.parse(a.stdout);
    expect(report.log.files.map((f: { name: string }) => f.name)).toEqual([
      'audit-000001.jsonl',
      'audit-000002.jsonl',
      'audit-000003.jsonl',
    ]);
    const retention = report.controls.find((c: { id: string }) => c.id === 'pci-dss-4/10.5.1');
    expect(retention.status).toBe('found');
  });

  it('counts retention back from --as-of and reports the rotation settings in Markdown', async () => {
    const r = await runCli([
      'report',
      '--regime',
      'eu-ai-act',
      '--as-of',
      '2027-06-01T00:00:00Z',
      '--rotate-max-age-ms',
      String(DAY),
      ...keys,
      log,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('| eu-ai-act/art-19 | found |');
    expect(r.stdout).toContain('required from: 2026-12-01T00:00:00.000Z');
    expect(r.stdout).toContain('rotation max age (ms): 86400000');
  });

  it('reads files given in order as the segments of one log', async () => {
    const files = [1, 2, 3].map((n) => join(log, `audit-00000${n}.jsonl`));
    const r = await runCli(['report', '--regime', 'hipaa', ...keys, ...files]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('| hipaa/164.312(c)(1) | found |');
    // Out of order, the chain breaks: the report is written, the exit code says the log does not verify.
    const swapped = await runCli(['report', '--regime', 'hipaa', ...keys, files[1] as string, files[0] as string]);
    expect(swapped.code).toBe(1);
    expect(swapped.stdout).toContain('| hipaa/164.312(c)(1) | not found |');
  });

  it('exits 1 with the report when a byte of the log changed', async () => {
    const copy = join(dir, 'changed.jsonl');
    const first = readFileSync(join(log, 'audit-000001.jsonl'), 'utf8');
    writeFileSync(copy, first.replace('"c-0"', '"c-9"'));
    const r = await runCli(['report', '--regime', 'soc2', ...keys, copy]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('| soc2/CC7.2 | not found |');
  });

  it('reports a directory whose first file was removed: nothing verifies, retention not found', async () => {
    const copy = join(dir, 'pruned');
    mkdirSync(copy);
    for (const n of [2, 3]) copyFileSync(join(log, `audit-00000${n}.jsonl`), join(copy, `audit-00000${n}.jsonl`));
    const r = await runCli(['report', '--regime', 'pci-dss-4', ...keys, copy]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('| pci-dss-4/10.5.1 | not found |');
    // Markdown escapes the underscores of the code.
    expect(r.stdout).toMatch(/ERR\\_AUDIT\\_CHAIN\\_BROKEN: records missing: expected seq 0/);
  });

  it('refuses bad usage and unusable input with exit 2', async () => {
    const empty = join(dir, 'empty.jsonl');
    writeFileSync(empty, '');
    for (const argv of [
      ['report', log],
      ['report', '--regime', 'sox', log],
      ['report', '--regime', 'gdpr', '--format', 'html', log],
      ['report', '--regime', 'gdpr', '--as-of', 'yesterday', log],
      ['report', '--regime', 'gdpr'],
      ['report', '--regime', 'gdpr', empty],
      ['report', '--regime', 'gdpr', join(dir, 'missing.jsonl')],
      ['report', '--regime', 'gdpr', '/dev/zero'],
      ['report', '--regime', 'gdpr', dir.replace(/$/, '/../')],
    ]) {
      expect((await runCli(argv)).code, argv.join(' ')).toBe(2);
    }
  });
});
