import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditLog, createMemorySink } from '@agentguard/audit';
import { createGuard, type StandardSchemaV1 } from '@agentguard/core';
import { createIdentity } from '@agentguard/identity';
import { createPolicyEngine, parsePolicy } from '@agentguard/policy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { policyReplayCommand } from './policy-replay.js';
import { policySuggestCommand } from './policy-suggest.js';
import { runPolicyCommand as run } from '../../test/run-policy-command.js';

// A Standard Schema that accepts objects, so the test needs no schema library.
const objectSchema: StandardSchemaV1<Record<string, unknown>> = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate: (value) =>
      typeof value === 'object' && value !== null
        ? { value: value as Record<string, unknown> }
        : { issues: [{ message: 'expected an object' }] },
  },
};

const dir = mkdtempSync(join(tmpdir(), 'agentguard-cli-policy-log-'));
const agent = createIdentity({ name: 'ops-agent', secretKey: new Uint8Array(32).fill(9) });
const monitorPolicy = {
  version: 1,
  id: 'observe',
  mode: 'monitor',
  rules: [{ id: 'weather', effect: 'allow', tools: ['get_weather'] }],
};
const enforced = { ...monitorPolicy, mode: 'enforce' };

afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  // A real log, written by guard() under a policy in monitor mode.
  const sink = createMemorySink();
  const audit = createAuditLog({ sink });
  const ag = createGuard({ identity: agent, policy: createPolicyEngine(monitorPolicy), audit });
  const weather = ag.guard({ name: 'get_weather', schema: objectSchema, tags: ['read'], execute: async () => 'sunny' });
  const transfer = ag.guard({ name: 'transfer', schema: objectSchema, tags: ['payment'], execute: async () => 'ok' });
  await weather.safeRun({ city: 'Lisbon' });
  await weather.safeRun({ city: 'Porto' });
  await transfer.safeRun({ to: 'acct-1', amount: 50 });
  await transfer.safeRun({ to: 'acct-2', amount: 80 });
  await transfer.safeRun('not an object');
  await ag.close();
  writeFileSync(join(dir, 'audit.jsonl'), sink.text());
  writeFileSync(join(dir, 'monitor.json'), JSON.stringify(monitorPolicy));
  writeFileSync(join(dir, 'enforced.json'), JSON.stringify(enforced));
});

describe('agentguard policy suggest', () => {
  it('suggests the least-privilege policy for what monitor mode allowed', async () => {
    const r = await run(policySuggestCommand, ['audit.jsonl', '--id', 'ops'], dir);
    expect(r.code).toBe(0);
    const policy = parsePolicy(JSON.parse(r.stdout));
    expect(policy.id).toBe('ops');
    expect(policy.rules).toEqual([
      expect.objectContaining({
        id: 'allow-get_weather',
        agents: [agent.id],
        tools: ['get_weather'],
        when: { '/city': { in: ['Lisbon', 'Porto'] } },
      }),
      expect.objectContaining({
        id: 'allow-transfer',
        agents: [agent.id],
        tools: ['transfer'],
        when: { '/amount': { min: 50, max: 80 }, '/to': { in: ['acct-1', 'acct-2'] } },
      }),
    ]);
    expect(r.stderr).toMatch(/suggested 2 rule\(s\) from 4 call\(s\)/);
  });

  it('writes to --out without overwriting', async () => {
    const r = await run(policySuggestCommand, ['audit.jsonl', '--out', 'suggested.json'], dir);
    expect(r.code).toBe(0);
    expect(parsePolicy(JSON.parse(readFileSync(join(dir, 'suggested.json'), 'utf8'))).rules).toHaveLength(2);
    expect((await run(policySuggestCommand, ['audit.jsonl', '--out', 'suggested.json'], dir)).code).toBe(1);
  });
});

describe('agentguard policy replay', () => {
  it('finds no difference when the same rules are enforced (monitor would-deny counts as deny)', async () => {
    const r = await run(policyReplayCommand, ['enforced.json', 'audit.jsonl'], dir);
    expect(r.stdout).toMatch(/replayed 4 call\(s\) .*: 0 decided differently; 0 skipped/);
    expect(r.code).toBe(0);
  });

  it('lists the calls a candidate policy would decide differently', async () => {
    const suggested = await run(policySuggestCommand, ['audit.jsonl'], dir);
    writeFileSync(join(dir, 'candidate.json'), suggested.stdout);
    const r = await run(policyReplayCommand, ['candidate.json', 'audit.jsonl', '--json'], dir);
    expect(r.code).toBe(1);
    const diffs = JSON.parse(r.stdout) as { tool: string; before: string; after: string; line: number }[];
    expect(diffs.map((d) => [d.tool, d.before, d.after])).toEqual([
      ['transfer', 'deny', 'allow'],
      ['transfer', 'deny', 'allow'],
    ]);
    const text = await run(policyReplayCommand, ['candidate.json', 'audit.jsonl'], dir);
    expect(text.stdout).toMatch(/^line \d+: transfer \(call .*\): deny -> allow$/m);
    expect(text.stdout).toMatch(/2 decided differently \(2 deny -> allow\)/);
  });

  it('refuses a log that does not verify, naming the line', async () => {
    const lines = readFileSync(join(dir, 'audit.jsonl'), 'utf8').split('\n');
    const at = lines.findIndex((l) => l.includes('Porto'));
    lines[at] = (lines[at] ?? '').replace('Porto', 'Paris');
    writeFileSync(join(dir, 'tampered.jsonl'), lines.join('\n'));
    const r = await run(policyReplayCommand, ['enforced.json', 'tampered.jsonl'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`tampered.jsonl:${at + 1}: ERR_`);
    expect((await run(policySuggestCommand, ['tampered.jsonl'], dir)).code).toBe(1);
  });

  it('exits 2 on usage errors', async () => {
    expect((await run(policyReplayCommand, ['enforced.json'], dir)).code).toBe(2);
    expect((await run(policyReplayCommand, ['enforced.json', 'nope.jsonl'], dir)).code).toBe(2);
    expect((await run(policySuggestCommand, [], dir)).code).toBe(2);
  });
});

describe('arguments the log holds redacted', () => {
  const redactedDir = mkdtempSync(join(tmpdir(), 'agentguard-cli-policy-redacted-'));
  afterAll(() => rmSync(redactedDir, { recursive: true, force: true }));
  beforeAll(async () => {
    // guard() redacts e-mail addresses by default: the log holds a marker where `to` was.
    const sink = createMemorySink();
    const policy = {
      version: 1,
      id: 'observe',
      mode: 'monitor',
      rules: [{ id: 'mail', effect: 'allow', tools: ['send_email'] }],
    };
    const ag = createGuard({ identity: agent, policy: createPolicyEngine(policy), audit: createAuditLog({ sink }) });
    const send = ag.guard({ name: 'send_email', schema: objectSchema, execute: async () => 'sent' });
    await send.safeRun({ to: 'ada@example.com', subject: 'hi', cc: ['x', 'bob@example.com'] });
    await send.safeRun({ to: 'grace@example.com', subject: 'hi' });
    await ag.close();
    writeFileSync(join(redactedDir, 'audit.jsonl'), sink.text());
    const candidate = {
      version: 1,
      id: 'candidate',
      rules: [{ id: 'ada-only', effect: 'allow', tools: ['send_email'], when: { '/to': { in: ['ada@example.com'] } } }],
    };
    writeFileSync(join(redactedDir, 'candidate.json'), JSON.stringify(candidate));
  });

  it('suggest draws no condition from a redacted field, and names it', async () => {
    const r = await run(policySuggestCommand, ['audit.jsonl'], redactedDir);
    expect(r.code).toBe(0);
    const rule = parsePolicy(JSON.parse(r.stdout)).rules.find((x) => x.tools?.includes('send_email'));
    expect(rule?.when).toEqual({ '/subject': { in: ['hi'] } });
    expect(r.stdout).not.toContain('REDACTED');
    expect(r.stderr).toContain('send_email: /cc, /to redacted in the log');
  });

  it('replay marks a difference decided on a redacted value as such', async () => {
    const r = await run(policyReplayCommand, ['candidate.json', 'audit.jsonl'], redactedDir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('[redacted in the log: /cc, /to; decided on the marker, not the value]');
    expect(r.stdout).toMatch(/2 on unrecorded or redacted arguments/);
  });
});
