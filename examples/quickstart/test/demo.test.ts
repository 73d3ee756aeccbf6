/**
 * End to end: run the quickstart demo as a user would, then tamper with its
 * audit log in each way an attacker might and check that `agentguard verify`
 * catches every one at the right line.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openFileAuditLog } from '@agentguard/audit/file';
import { createIdentity } from '@agentguard/identity';
import { beforeAll, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const node = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ['--conditions', '@agentguard/source', '--import', 'tsx', ...args], {
    cwd: repo,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
const verify = (log: string, trust: string) =>
  node([resolve(repo, 'packages/cli/src/bin.ts'), 'verify', log, '--trust', trust]);

let logPath = '';
let trust = '';
let lines: string[] = [];
const dir = mkdtempSync(join(tmpdir(), 'agentguard-demo-'));

beforeAll(() => {
  const run = node([resolve(repo, 'examples/quickstart/src/main.ts')], {
    AGENTGUARD_DEMO_LOG: join(dir, 'audit.jsonl'),
  });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  logPath = /^audit log: (.+)$/m.exec(run.stdout)?.[1] ?? '';
  trust = /^trust: (did:key:z\S+)$/m.exec(run.stdout)?.[1] ?? '';
  expect(run.stdout).toMatch(/^ALLOWED +get_weather/m);
  expect(run.stdout).toMatch(/^DENIED +transfer_funds/m);
  expect(run.stdout).toMatch(/^INVALID +send_email/m);
  lines = readFileSync(logPath, 'utf8').trimEnd().split('\n');
}, 60_000);

function tampered(name: string, edit: (lines: string[]) => string[]): string {
  const path = join(dir, `${name}.jsonl`);
  writeFileSync(path, `${edit([...lines]).join('\n')}\n`);
  return path;
}

function callLine(type: string): number {
  const index = lines.findIndex((l) => (JSON.parse(l) as { type?: string }).type === type);
  expect(index).toBeGreaterThanOrEqual(0);
  return index + 1;
}

describe('quickstart demo', () => {
  it('prints an absolute log path and the did:key whose signatures it holds, and the log verifies', () => {
    expect(logPath.startsWith('/')).toBe(true);
    const result = verify(logPath, trust);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/ok/i);
  });

  it('without --trust, verify still checks the chain but says the log is not anchored', () => {
    const result = node([resolve(repo, 'packages/cli/src/bin.ts'), 'verify', logPath]);
    expect(result.status).toBe(0);
    expect(result.stdout + result.stderr).toMatch(/not anchored/i);
  });

  it('catches one changed byte at that line', () => {
    const at = callLine('call.completed');
    const path = tampered('byte', (l) => {
      const line = l[at - 1] as string;
      const i = line.indexOf('"durationMs":') + '"durationMs":'.length;
      const digit = line[i] === '9' ? '8' : '9';
      l[at - 1] = line.slice(0, i) + digit + line.slice(i + 1);
      return l;
    });
    const result = verify(path, trust);
    expect(result.status).toBe(1);
    expect(result.stdout + result.stderr).toMatch(new RegExp(`line ${at}\\b`));
  });

  it('catches a deleted record at the line where the gap shows', () => {
    const path = tampered('deleted', (l) => l.filter((_, i) => i !== 1));
    const result = verify(path, trust);
    expect(result.status).toBe(1);
    expect(result.stdout + result.stderr).toMatch(/line 2\b/);
  });

  it('catches two swapped records at the first of them', () => {
    const path = tampered('swapped', (l) => {
      [l[1], l[2]] = [l[2] as string, l[1] as string];
      return l;
    });
    const result = verify(path, trust);
    expect(result.status).toBe(1);
    expect(result.stdout + result.stderr).toMatch(/line 2\b/);
  });

  it('catches a well-chained record appended with another key', async () => {
    const path = tampered('appended', (l) => l);
    const log = await openFileAuditLog(path);
    const mallory = createIdentity({ name: 'mallory' });
    await log.append({ type: 'call.completed', callId: 'forged', agent: mallory.id, tool: 'transfer_funds' }, mallory);
    await log.close();
    const all = readFileSync(path, 'utf8').trimEnd().split('\n');
    const forged = all.findIndex((x) => x.includes('"forged"')) + 1;
    expect(forged).toBe(lines.length + 1);
    const result = verify(path, trust);
    expect(result.status).toBe(1);
    expect(result.stdout + result.stderr).toMatch(new RegExp(`line ${forged}\\b`));
    expect(result.stdout + result.stderr).toMatch(/trust|untrusted/i);
  });

  it('keeps the agent key across runs, so one trust file anchors every run', () => {
    expect(statSync(join(dir, 'agent.jwk')).mode & 0o777).toBe(0o600);
    const again = node([resolve(repo, 'examples/quickstart/src/main.ts')], {
      AGENTGUARD_DEMO_LOG: join(dir, 'audit.jsonl'),
    });
    expect(again.status).toBe(0);
    expect(/^trust: (did:key:z\S+)$/m.exec(again.stdout)?.[1]).toBe(trust);
    const trustFile = /^trust file: (.+)$/m.exec(again.stdout)?.[1] ?? '';
    const result = node([resolve(repo, 'packages/cli/src/bin.ts'), 'verify', logPath, '--trust-file', trustFile]);
    expect(result.stdout).toMatch(/^anchored/m);
    expect(result.status).toBe(0);
  });
});
