import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { policyHash, parsePolicy } from '@agentguard/policy';
import { afterAll, describe, expect, it } from 'vitest';
import { policyCheckCommand } from './policy-check.js';
import { policyExplainCommand } from './policy-explain.js';
import { policyTestCommand } from './policy-test.js';
import { runPolicyCommand as run } from '../../test/run-policy-command.js';

const dir = mkdtempSync(join(tmpdir(), 'agentguard-cli-policy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, value: unknown) => {
  writeFileSync(join(dir, name), typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  return name;
};

const policy = {
  version: 1,
  id: 'support',
  rules: [
    { id: 'read', effect: 'allow', tools: ['read_*'] },
    { id: 'refunds', effect: 'require_approval', tools: ['refund'], when: { '/amount': { min: 100 } } },
    { id: 'small-refunds', effect: 'allow', tools: ['refund'], when: { '/amount': { max: 99.99 } } },
    { id: 'no-delete', effect: 'deny', tools: ['delete_*'], reason: 'deleting is never allowed' },
  ],
};
write('policy.json', policy);

describe('agentguard policy check', () => {
  it('prints the hash of a valid policy', async () => {
    const r = await run(policyCheckCommand, ['policy.json'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('policy: support (version 1, mode enforce)');
    expect(r.stdout).toContain('rules: 4; limits: 0');
    expect(r.stdout).toContain(`hash: ${policyHash(parsePolicy(policy))}`);
  });
  it('lists every problem by path', async () => {
    write('bad.json', {
      version: 1,
      rules: [
        { id: 'a', effect: 'permit', tools: ['x'] },
        { id: 'a', effect: 'allow', tools: [] },
      ],
    });
    const r = await run(policyCheckCommand, ['bad.json'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('rules[0].effect: expected "allow" | "deny" | "require_approval"');
    expect(r.stdout).toContain('rules[1].tools:');
    write('dup.json', {
      version: 1,
      rules: [
        { id: 'a', effect: 'deny', tools: ['x'] },
        { id: 'a', effect: 'allow', tools: ['y'] },
      ],
    });
    expect((await run(policyCheckCommand, ['dup.json'], dir)).stdout).toContain('rules[1].id: duplicate id "a"');
  });
  it('fails a policy the self-test refuses, and a file that is not JSON', async () => {
    write('all.json', { version: 1, rules: [{ id: 'all', effect: 'allow', tools: ['*'] }] });
    const r = await run(policyCheckCommand, ['all.json'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/ERR_POLICY_SELF_TEST/);
    write('broken.json', '{ "version": 1,');
    expect((await run(policyCheckCommand, ['broken.json'], dir)).stdout).toMatch(/not JSON/);
  });
  it('exits 2 on usage errors', async () => {
    expect((await run(policyCheckCommand, [], dir)).code).toBe(2);
    expect((await run(policyCheckCommand, ['missing.json'], dir)).code).toBe(2);
    expect((await run(policyCheckCommand, ['a', 'b'], dir)).code).toBe(2);
  });
});

describe('agentguard policy explain', () => {
  const explain = async (...args: string[]) => {
    const r = await run(policyExplainCommand, ['policy.json', '--agent', 'did:key:z6MkBot', ...args], dir);
    return { ...r, decision: r.code === 2 ? undefined : (JSON.parse(r.stdout) as Record<string, unknown>) };
  };
  it('prints the decision as JSON and exits by effect', async () => {
    const allowed = await explain('--tool', 'read_file');
    expect(allowed.code).toBe(0);
    expect(allowed.decision).toMatchObject({ effect: 'allow', ruleId: 'read', matched: ['read'] });
    const big = await explain('--tool', 'refund', '--args', '{"amount": 250}');
    expect(big.code).toBe(1);
    expect(big.decision).toMatchObject({ effect: 'require_approval', ruleId: 'refunds' });
    const del = await explain('--tool', 'delete_user', '--agent-name', 'bot');
    expect(del.decision).toMatchObject({ effect: 'deny', reason: 'deleting is never allowed' });
    const unknown = await explain('--tool', 'rm');
    expect(unknown.decision?.reason).toBe('no rule allows tool "rm" for agent "did:key:z6MkBot" (default deny)');
  });
  it('notes the rules naming the tool that did not apply on a default deny, with the tags they need', async () => {
    write('tagged.json', { version: 1, rules: [{ id: 'reads', effect: 'allow', tools: ['db.*'], tags: ['read'] }] });
    const r = await run(policyExplainCommand, ['tagged.json', '--agent', 'a', '--tool', 'db.read'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('reads needs tags read (--tags)');
    const tagged = await run(
      policyExplainCommand,
      ['tagged.json', '--agent', 'a', '--tool', 'db.read', '--tags', 'read'],
      dir,
    );
    expect(tagged.code).toBe(0);
    expect(tagged.stderr).toBe('');
    expect((await run(policyExplainCommand, ['tagged.json', '--agent', 'a', '--tool', 'other'], dir)).stderr).toBe('');
  });
  it('exits 2 on bad options', async () => {
    expect((await run(policyExplainCommand, ['policy.json', '--tool', 'x'], dir)).code).toBe(2);
    expect((await run(policyExplainCommand, ['policy.json', '--agent', 'a'], dir)).code).toBe(2);
    expect(
      (await run(policyExplainCommand, ['policy.json', '--agent', 'a', '--tool', 'x', '--args', '{nope'], dir)).code,
    ).toBe(2);
    expect(
      (await run(policyExplainCommand, ['policy.json', '--agent', 'a', '--tool', 'x', '--now', 'yesterday'], dir)).code,
    ).toBe(2);
    expect((await run(policyExplainCommand, ['policy.json', '--agent', 'a', '--tool', 'x', '--bogus'], dir)).code).toBe(
      2,
    );
  });
});

describe('agentguard policy test', () => {
  const cases = {
    version: 1,
    cases: [
      { name: 'reads', agent: 'bot', tool: 'read_file', expect: 'allow' },
      {
        name: 'big refunds need approval',
        agent: 'bot',
        tool: 'refund',
        args: { amount: 500 },
        expect: { effect: 'require_approval', ruleId: 'refunds' },
      },
      { name: 'small refunds', agent: 'bot', tool: 'refund', args: { amount: 5 }, expect: 'allow' },
    ],
  };
  it('passes and reports the uncovered rule', async () => {
    write('cases.json', cases);
    const r = await run(policyTestCommand, ['policy.json', 'cases.json'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('PASS big refunds need approval: require_approval by refunds');
    expect(r.stdout).toContain('3 passed, 0 failed');
    expect(r.stdout).toContain('uncovered: rule "no-delete" is exercised by no case');
    expect((await run(policyTestCommand, ['policy.json', 'cases.json', '--fail-on-uncovered'], dir)).code).toBe(1);
  });
  it('fails a case whose decision differs, saying how', async () => {
    write('failing.json', { cases: [{ name: 'deletes', agent: 'bot', tool: 'delete_x', expect: 'allow' }] });
    const r = await run(policyTestCommand, ['policy.json', 'failing.json'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAIL deletes: deny by no-delete');
    expect(r.stdout).toContain('effect: expected allow, got deny');
  });
  it('refuses a malformed cases file', async () => {
    write('malformed.json', { cases: [{ name: 'x', agent: 'a', tool: 't', expect: 'perhaps' }] });
    const r = await run(policyTestCommand, ['policy.json', 'malformed.json'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/invalid policy test file: cases\[0\]\.expect: /);
    expect((await run(policyTestCommand, ['policy.json'], dir)).code).toBe(2);
  });
});
