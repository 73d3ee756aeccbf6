/**
 * Invariant: when a policy grants a tool paths and hosts (`obligations.grants`), a tool runs only through a
 * sandbox runner configured within them: a runner that reads, writes or reaches anything more (by `..`, by a
 * directory that merely shares a prefix, by a wider wildcard or another port) is refused before it starts,
 * whichever way the call comes (run, check then run, a policy swapped between them, throughput mode), and so
 * is any tool that is not a sandbox runner (a plain function, a wrapper or a copy of one), since in-process
 * code has no limits at all.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAuditLog, createMemorySink } from '@agentguard/audit';
import { createGuard } from '@agentguard/core';
import { createIdentity } from '@agentguard/identity';
import type { PolicyDocument } from '@agentguard/policy';
import { type SandboxOptions, sandboxed } from '@agentguard/sandbox';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';

type Rec = { type: string; callId: string; data: Record<string, unknown> };
const module = new URL('./isolation-fixture.mjs', import.meta.url);
const here = dirname(fileURLToPath(module));
const grants = { read: [here], write: [`${here}/out`], egress: ['api.example.com:443'] };
const granting: PolicyDocument = {
  version: 1,
  rules: [{ id: 'net', effect: 'allow', tools: ['fetch_page'], obligations: { isolation: 'process', grants } }],
};

function setup(policy: PolicyDocument = granting) {
  const sink = createMemorySink();
  const audit = createAuditLog({
    sink,
    checkpoint: { signer: createIdentity({ name: 'log' }), everyRecords: 100, everyMs: 0 },
  });
  const ag = createGuard({ identity: createIdentity({ name: 'agent' }), policy, audit });
  const records = () => sink.lines.map((l) => JSON.parse(l) as Rec).filter((r) => r.type.startsWith('call.'));
  return { ag, records };
}

const runners: { close(): Promise<void> }[] = [];
function runner(options: Partial<SandboxOptions> = {}) {
  const r = sandboxed({ tool: 'fetch_page', module, warm: 0, ...options });
  runners.push(r);
  return r;
}
afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.close()));
});

describe('a grants obligation cannot be exceeded', () => {
  it('a runner within the grants runs, out of this process', async () => {
    const { ag, records } = setup();
    const r = runner({ writePaths: [`${here}/out/tmp`], egress: { allow: [{ host: 'api.example.com' }] } });
    const tool = ag.guard({ name: 'fetch_page', schema: z.object({}), execute: r.execute });
    await expect(tool({}, { callId: 'ok' })).resolves.toMatchObject({ outside: true });
    const done = records().find((r) => r.callId === 'ok' && r.type === 'call.completed');
    expect(done?.data.decision).toMatchObject({ isolation: { met: true, grants } });
  });

  const beyond: [string, Partial<SandboxOptions>, string][] = [
    ['reading up the tree by ..', { readPaths: [`${here}/../..`] }, `read:${here}/../..`],
    ['reading a sibling that shares the prefix', { readPaths: [`${here}-evil`] }, `read:${here}-evil`],
    ['reading everything', { readPaths: ['/'] }, 'read:/'],
    ['writing where it may only read', { writePaths: [here] }, `write:${here}`],
    ['writing out of the granted directory by ..', { writePaths: [`${here}/out/../..`] }, `write:${here}/out/../..`],
    ['a wider wildcard', { egress: { allow: [{ host: '*.example.com' }] } }, 'egress:*.example.com:443'],
    ['another port', { egress: { allow: [{ host: 'api.example.com', ports: [80] }] } }, 'egress:api.example.com:80'],
    [
      'a metadata address',
      { egress: { allow: [{ host: '169.254.169.254', ports: [80] }] } },
      'egress:169.254.169.254:80',
    ],
  ];
  for (const [what, options, exceeded] of beyond) {
    it(`by ${what}: refused before the runner starts, and recorded`, async () => {
      const { ag, records } = setup();
      const r = runner(options);
      const tool = ag.guard({ name: 'fetch_page', schema: z.object({}), execute: r.execute });
      const outcome = await tool.safeRun({}, { callId: 'x' });
      expect(outcome).toMatchObject({ ok: false, denial: { code: 'ERR_GUARD_ISOLATION_REQUIRED' } });
      expect(records().some((r) => r.type === 'call.completed')).toBe(false);
      const denied = records().find((r) => r.callId === 'x' && r.type === 'call.denied');
      expect(denied?.data.decision).toMatchObject({ isolation: { met: false, exceeded: [exceeded] } });
    });
  }

  it('by check() first, by a policy swapped after the check, and in throughput mode', async () => {
    const wide = runner({ readPaths: ['/'] });
    const schema = z.object({});
    const a = setup();
    const tool = a.ag.guard({ name: 'fetch_page', schema, execute: wide.execute });
    await expect(tool.check({}, { callId: 'k' })).resolves.toMatchObject({ code: 'ERR_GUARD_ISOLATION_REQUIRED' });
    await expect(tool({}, { callId: 'k' })).rejects.toMatchObject({ code: 'ERR_GUARD_ISOLATION_REQUIRED' });

    const b = setup({ version: 1, rules: [{ id: 'net', effect: 'allow', tools: ['fetch_page'] }] });
    const swapped = b.ag.guard({ name: 'fetch_page', schema, execute: wide.execute });
    await expect(swapped.check({}, { callId: 's' })).resolves.toMatchObject({ effect: 'allow' });
    await b.ag.setPolicy(granting);
    await expect(swapped({}, { callId: 's' })).rejects.toMatchObject({ code: 'ERR_GUARD_ISOLATION_REQUIRED' });

    const c = setup();
    const batched = c.ag.guard({ name: 'fetch_page', schema, signing: 'batched', execute: wide.execute });
    await expect(batched({})).rejects.toMatchObject({ code: 'ERR_GUARD_ISOLATION_REQUIRED' });
  });

  it('by a tool that is not a runner: a plain function, a wrapper, a bound copy, a copied mark', async () => {
    const { ag } = setup({
      version: 1,
      obligations: { grants: { read: [here] } },
      rules: [{ id: 'net', effect: 'allow', tools: ['fetch_page'] }],
    });
    const r = runner();
    const plain = vi.fn(() => 'ran in the agent process');
    for (const fn of [
      plain,
      (a: unknown, c: never) => r.execute(a, c),
      r.execute.bind(null),
      Object.assign(() => 'copy', r.execute),
    ]) {
      const tool = ag.guard({ name: 'fetch_page', schema: z.object({}), execute: fn as never });
      await expect(tool({})).rejects.toMatchObject({
        code: 'ERR_GUARD_ISOLATION_REQUIRED',
        message: expect.stringContaining('runs in this process'),
      });
    }
    expect(plain).not.toHaveBeenCalled();
    // The runner itself, configured within the grants, meets them.
    const real = ag.guard({ name: 'fetch_page', schema: z.object({}), execute: r.execute });
    await expect(real({})).resolves.toMatchObject({ outside: true });
  });
});
