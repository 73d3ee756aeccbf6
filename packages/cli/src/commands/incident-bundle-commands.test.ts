import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditLog, createMemorySink } from '@agentguard/audit';
import { createIdentity } from '@agentguard/identity';
import { policyHash } from '@agentguard/policy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../test/run-cli.js';

const agent = createIdentity({ secretKey: new Uint8Array(32).fill(21), name: 'a' });
const other = createIdentity({ secretKey: new Uint8Array(32).fill(22), name: 'b' });
const logKey = createIdentity({ secretKey: new Uint8Array(32).fill(23), name: 'log' });

describe('agentguard incident export / verify', () => {
  let dir: string;
  let exporter: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'agentguard-incident-'));
    const sink = createMemorySink();
    let t = Date.parse('2026-03-01T00:00:00.000Z');
    const log = createAuditLog({
      sink,
      clock: () => t++,
      checkpoint: { signer: logKey, origin: 'example.com/log', everyRecords: 5, everyMs: 0 },
    });
    for (let i = 0; i < 12; i++) {
      const who = i % 3 === 0 ? other : agent;
      await log.append({ type: 'call.completed', callId: `c${i}`, agent: who.id, tool: 'search', data: { n: i } }, who);
    }
    await log.close();
    writeFileSync(join(dir, 'audit.jsonl'), sink.text());
    const keygen = await runCli(['keygen', '--out', join(dir, 'exporter.jwk')], { cwd: dir });
    expect(keygen.code).toBe(0);
    exporter = /did:key:z[1-9A-HJ-NP-Za-km-z]+/.exec(keygen.stdout)?.[0] as string;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exports an agent and a range, writes OCSF, and verifies the bundle', async () => {
    const out = await runCli(
      [
        'incident',
        'export',
        'audit.jsonl',
        '--key',
        'exporter.jwk',
        '--out',
        'b1',
        '--agent',
        agent.id,
        '--from',
        '2026-03-01T00:00:00.002Z',
        '--ocsf',
        'events.jsonl',
      ],
      { cwd: dir },
    );
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/wrote .*b1: \d+ record\(s\)/);
    const ocsf = readFileSync(join(dir, 'events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(ocsf.every((e) => e.class_uid === 6003 && e.actor.app_uid === agent.id)).toBe(true);
    const ok = await runCli(['incident', 'verify', 'b1', '--trust', exporter], { cwd: dir });
    expect(ok.stdout).toMatch(/^OK .*b1: \d+ record\(s\), signed by did:key:/);
    expect(ok.code).toBe(0);
  });

  it('fails a tampered bundle naming the file, and an untrusted exporter', async () => {
    expect(
      (await runCli(['incident', 'export', 'audit.jsonl', '--key', 'exporter.jwk', '--out', 'b2'], { cwd: dir })).code,
    ).toBe(0);
    writeFileSync(join(dir, 'b2', 'extra.txt'), 'x');
    const bad = await runCli(['incident', 'verify', 'b2', '--trust', exporter], { cwd: dir });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('FAIL extra.txt: ERR_EVIDENCE_BUNDLE_FILE_ADDED');
    const untrusted = await runCli(['incident', 'verify', 'b1', '--trust', other.id], { cwd: dir });
    expect(untrusted.code).toBe(1);
    expect(untrusted.stdout).toContain('ERR_EVIDENCE_BUNDLE_SIGNATURE_INVALID');
    expect((await runCli(['incident', 'verify', 'b1'], { cwd: dir })).code).toBe(2);
  });

  it('refuses a range with no record, and an output directory in use', async () => {
    const empty = await runCli(
      ['incident', 'export', 'audit.jsonl', '--key', 'exporter.jwk', '--out', 'b3', '--from', '2030-01-01T00:00:00Z'],
      { cwd: dir },
    );
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('ERR_EVIDENCE_BUNDLE_EMPTY');
    const used = await runCli(['incident', 'export', 'audit.jsonl', '--key', 'exporter.jwk', '--out', 'b1'], {
      cwd: dir,
    });
    expect(used.code).toBe(1);
    expect(used.stderr).toContain('ERR_EVIDENCE_BUNDLE_INPUT_INVALID');
  });

  it('trusts the log key given with --log-key alone, as verify does', async () => {
    const out = await runCli(
      [
        'incident',
        ...['export', 'audit.jsonl', '--key', 'exporter.jwk', '--out', 'b4'],
        ...['--trust', agent.id, '--trust', other.id, '--log-key', logKey.id],
      ],
      { cwd: dir },
    );
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect((await runCli(['incident', 'verify', 'b4', '--trust', exporter], { cwd: dir })).code).toBe(0);
  });

  it('refuses to write a bundle that names a policy it does not hold, unless told to', async () => {
    const policy = { version: 1, rules: [{ id: 'r', effect: 'allow', tools: ['search'] }] };
    writeFileSync(join(dir, 'policy.json'), JSON.stringify(policy));
    const sink = createMemorySink();
    const log = createAuditLog({ sink, checkpoint: { signer: logKey, everyRecords: 2, everyMs: 0 } });
    for (let i = 0; i < 2; i++) {
      const data = { policyHash: policyHash(policy as never), n: i };
      await log.append({ type: 'call.completed', callId: `p${i}`, agent: agent.id, tool: 'search', data }, agent);
    }
    await log.close();
    writeFileSync(join(dir, 'with-policy.jsonl'), sink.text());
    const base = ['incident', 'export', 'with-policy.jsonl', '--key', 'exporter.jwk'];
    const missing = await runCli([...base, '--out', 'p1'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no policy given for sha256:');
    expect(missing.stderr).toContain('--policy');
    expect(() => readFileSync(join(dir, 'p1', 'manifest.json'))).toThrow();
    expect((await runCli([...base, '--out', 'p2', '--allow-missing-policies'], { cwd: dir })).code).toBe(0);
    expect((await runCli(['incident', 'verify', 'p2', '--trust', exporter], { cwd: dir })).code).toBe(1);
    expect((await runCli([...base, '--out', 'p3', '--policy', 'policy.json'], { cwd: dir })).code).toBe(0);
    expect((await runCli(['incident', 'verify', 'p3', '--trust', exporter], { cwd: dir })).code).toBe(0);
  });
});
