import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_DEPLOYMENT_BYTES } from '@agentguard/assess';
import { MAX_TRUST_FILE_BYTES } from '@agentguard/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../test/run-cli.js';
import { MAX_ASSESS_LOG_BYTES, MAX_PREVIOUS_REPORT_BYTES } from './assess.js';

const dir = mkdtempSync(join(tmpdir(), 'agentguard-cli-assess-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A file of `size` bytes that takes no disk (sparse): zero bytes, which no JSON parser would accept anyway. */
function sparse(name: string, size: number): string {
  writeFileSync(join(dir, name), '');
  truncateSync(join(dir, name), size);
  return name;
}

const deployment = {
  version: 1,
  name: 'ops',
  tools: [{ name: 'list_files', tags: ['read'], pinned: true }],
  policy: { version: 1, rules: [{ id: 'reads', effect: 'allow', tools: ['list_files'], agents: ['ops'] }] },
  agents: [{ name: 'ops', key: 'env' }],
};

beforeAll(() => {
  writeFileSync(join(dir, 'deployment.json'), JSON.stringify(deployment));
});

const tooLarge = (r: { code: number; stderr: string }) => {
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('ERR_CLI_INPUT_TOO_LARGE');
  expect(r.stderr).toContain('expected at most');
};

describe('agentguard assess: every input file has a limit', () => {
  it('refuses a deployment, a previous report, a log and a trust file past their limits, typed, exit 2', async () => {
    tooLarge(await runCli(['assess', sparse('huge.json', MAX_DEPLOYMENT_BYTES + 1)], { cwd: dir }));
    tooLarge(
      await runCli(['assess', 'deployment.json', '--previous', sparse('prev.json', MAX_PREVIOUS_REPORT_BYTES + 1)], {
        cwd: dir,
      }),
    );
    tooLarge(
      await runCli(['assess', 'deployment.json', '--log', sparse('log.jsonl', MAX_ASSESS_LOG_BYTES + 1)], {
        cwd: dir,
      }),
    );
    // A rotated log directory counts all its files.
    mkdirSync(join(dir, 'rotated'));
    sparse('rotated/audit-000001.jsonl', MAX_ASSESS_LOG_BYTES / 2);
    sparse('rotated/audit-000002.jsonl', MAX_ASSESS_LOG_BYTES / 2 + 1);
    tooLarge(await runCli(['assess', 'deployment.json', '--log', 'rotated'], { cwd: dir }));
    tooLarge(
      await runCli(
        [
          'assess',
          'deployment.json',
          '--log',
          'rotated',
          '--trust-file',
          sparse('trust.json', MAX_TRUST_FILE_BYTES + 1),
        ],
        { cwd: dir },
      ),
    );
  });

  it.skipIf(!existsSync('/dev/zero'))('refuses a log directory whose segment is not a regular file', async () => {
    mkdirSync(join(dir, 'linked'));
    symlinkSync('/dev/zero', join(dir, 'linked', 'audit-000001.jsonl'));
    for (const argv of [
      ['verify', 'linked'],
      ['assess', 'deployment.json', '--log', 'linked'],
    ]) {
      const r = await runCli(argv, { cwd: dir });
      expect(r.code, argv[0]).toBe(2);
      expect(r.stderr).toContain('not a regular file');
    }
  });

  it.skipIf(!existsSync('/dev/zero'))('stops reading an endless input at the limit', async () => {
    tooLarge(await runCli(['assess', '/dev/zero'], { cwd: dir }));
    tooLarge(await runCli(['assess', 'deployment.json', '--previous', '/dev/zero'], { cwd: dir }));
  });

  it('refuses a deeply nested deployment or previous report with its parser code, exit 2', async () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    writeFileSync(join(dir, 'deep.json'), deep);
    const d = await runCli(['assess', 'deep.json'], { cwd: dir });
    expect(d.code).toBe(2);
    expect(d.stderr).toContain('nested deeper than 64');
    const p = await runCli(['assess', 'deployment.json', '--previous', 'deep.json'], { cwd: dir });
    expect(p.code).toBe(2);
    expect(p.stderr).toContain('nested deeper');
  });

  it.skipIf(!existsSync('/dev/zero'))('other commands stop at their limits too', async () => {
    tooLarge(await runCli(['policy', 'check', '/dev/zero'], { cwd: dir }));
    tooLarge(
      await runCli(['incident', 'status', '--status', '/dev/zero', '--trust', 'did:key:z6Mk', '--channel', 'c'], {
        cwd: dir,
      }),
    );
  });
});
