/**
 * `policy replay` and `policy suggest` on the real audit log of the quickstart
 * demo, run as a user would run it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parsePolicy } from '@agentguard/policy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { policyReplayCommand } from './policy-replay.js';
import { policySuggestCommand } from './policy-suggest.js';
import { runPolicyCommand as run } from '../../test/run-policy-command.js';

const repo = fileURLToPath(new URL('../../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'agentguard-policy-demo-'));
const demoPolicy = resolve(repo, 'examples/quickstart/src/policy.json');
let agent = '';

afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => {
  const demo = spawnSync(
    process.execPath,
    ['--conditions', '@agentguard/source', '--import', 'tsx', resolve(repo, 'examples/quickstart/src/main.ts')],
    { cwd: repo, encoding: 'utf8', env: { ...process.env, AGENTGUARD_DEMO_LOG: join(dir, 'audit.jsonl') } },
  );
  expect(demo.status, demo.stderr).toBe(0);
  agent = /^trust: (did:key:z\S+)$/m.exec(demo.stdout)?.[1] ?? '';
}, 60_000);

describe('policy commands on the demo log', () => {
  it('replaying the demo policy changes nothing', async () => {
    const r = await run(policyReplayCommand, [demoPolicy, 'audit.jsonl'], dir);
    expect(r.stdout).toMatch(/replayed 2 call\(s\) .*: 0 decided differently/);
    expect(r.code).toBe(0);
  });

  it('suggest allows exactly what the demo allowed, for the demo agent', async () => {
    const r = await run(policySuggestCommand, ['audit.jsonl'], dir);
    expect(r.code).toBe(0);
    const policy = parsePolicy(JSON.parse(r.stdout));
    expect(policy.rules).toEqual([
      expect.objectContaining({ agents: [agent], tools: ['get_weather'], when: { '/city': { in: ['Lisbon'] } } }),
    ]);
  });

  it('replay shows what a stricter candidate would have denied', async () => {
    writeFileSync(join(dir, 'nothing.json'), JSON.stringify({ version: 1, rules: [] }));
    const r = await run(policyReplayCommand, ['nothing.json', 'audit.jsonl', '--json'], dir);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual([
      expect.objectContaining({ tool: 'get_weather', before: 'allow', after: 'deny', ruleId: null }),
    ]);
  });
});
