import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditLog, createMemorySink } from '@agentguard/audit';
import { createIdentity } from '@agentguard/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../test/run-command.js';
import { verifyCommand } from './verify.js';

const dir = mkdtempSync(join(tmpdir(), 'agentguard-cli-verify-'));
const agent = createIdentity({ secretKey: new Uint8Array(32).fill(3) });
const other = createIdentity({ secretKey: new Uint8Array(32).fill(4) });
let lines: string[] = [];
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  const sink = createMemorySink();
  const log = createAuditLog({ sink });
  for (let i = 0; i < 4; i++) {
    await log.append({ type: 'call.completed', callId: `c${i}`, agent: agent.id, tool: 'add', data: { i } }, agent);
  }
  lines = [...sink.lines];
  writeFileSync(join(dir, 'good.jsonl'), sink.text());
});
const write = (name: string, content: string[]) => writeFileSync(join(dir, name), `${content.join('\n')}\n`);

describe('agentguard verify', () => {
  it('exits 0 with a summary for an intact, anchored log', async () => {
    const r = await runCommand(verifyCommand, ['good.jsonl', '--trust', agent.id], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('4 record(s)');
    expect(r.stdout).toContain('anchored');
    expect(r.stdout).not.toContain('NOT ANCHORED');
  });

  it('says the log is not anchored without --trust', async () => {
    const r = await runCommand(verifyCommand, ['good.jsonl'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('NOT ANCHORED');
  });

  it('exits 1 naming the line of a changed record', async () => {
    write(
      'changed.jsonl',
      lines.map((l, i) => (i === 2 ? l.replace('"i":2', '"i":3') : l)),
    );
    const r = await runCommand(verifyCommand, ['changed.jsonl', '--trust', agent.id], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/changed\.jsonl:3: ERR_AUDIT_HASH_MISMATCH/);
  });

  it('exits 1 naming the line of a deleted or swapped record', async () => {
    write('deleted.jsonl', [lines[0], lines[2], lines[3]] as string[]);
    expect((await runCommand(verifyCommand, ['deleted.jsonl'], dir)).stdout).toMatch(/:2: ERR_AUDIT_CHAIN_BROKEN/);
    write('swapped.jsonl', [lines[0], lines[1], lines[3], lines[2]] as string[]);
    expect((await runCommand(verifyCommand, ['swapped.jsonl'], dir)).stdout).toMatch(/:3: ERR_AUDIT_CHAIN_BROKEN/);
  });

  it('exits 1 for a record signed by an untrusted key', async () => {
    const r = await runCommand(verifyCommand, ['good.jsonl', '--trust', other.id], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/:1: ERR_AUDIT_UNTRUSTED_SIGNER/);
  });

  it('exits 1 for a truncated last line', async () => {
    writeFileSync(join(dir, 'torn.jsonl'), `${lines[0]}\n${lines[1]?.slice(0, 30)}`);
    const r = await runCommand(verifyCommand, ['torn.jsonl'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/:2: ERR_AUDIT_RECORD_TRUNCATED/);
  });

  it.each([
    ['no log', []],
    ['two logs', ['a', 'b']],
    ['a missing file', ['missing.jsonl']],
    ['a bad --trust', ['good.jsonl', '--trust', 'alice']],
    ['an unknown option', ['good.jsonl', '--frobnicate']],
  ])('exits 2 on a usage error (%s)', async (_name, argv) => {
    expect((await runCommand(verifyCommand, argv, dir)).code).toBe(2);
    expect(readFileSync(join(dir, 'good.jsonl'), 'utf8')).toContain('"seq":0');
  });
});

describe('agentguard verify <directory>', () => {
  it('verifies a rotated log directory as one log and names file and line', async () => {
    const { openAuditDirectory } = await import('@agentguard/audit/file');
    const logDir = join(dir, 'rotated');
    const log = await openAuditDirectory(logDir, { rotate: { maxBytes: 1500 } });
    for (let i = 0; i < 8; i++) {
      await log.append({ type: 'call.completed', callId: `c${i}`, agent: agent.id, tool: 'add', data: { i } }, agent);
    }
    await log.close();
    const ok = await runCommand(verifyCommand, ['rotated', '--trust', agent.id], dir);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('8 record(s)');
    const second = join(logDir, 'audit-000002.jsonl');
    writeFileSync(second, readFileSync(second, 'utf8').replace('"i":', '"j":'));
    const bad = await runCommand(verifyCommand, ['rotated'], dir);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/audit-000002\.jsonl:1: ERR_AUDIT_HASH_MISMATCH/);
  });
});
