import { createAuditLog, createMemorySink } from '@agentguard/audit';
import { createIdentity } from '@agentguard/identity';
import type { PolicyDocument, PolicyEngine } from '@agentguard/policy';
import { markIsolation, type RunnerGrants } from '@agentguard/policy/internal';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createGuard } from './index.js';

type Rec = { type: string; data: Record<string, unknown> };

/** A function marked as a 'process' sandbox runner configured with `config` would mark it. */
function runner(config: Partial<RunnerGrants>) {
  const fn = vi.fn(async () => 'ran');
  const execute = markIsolation(() => fn(), 'process', { read: [], write: [], egress: [], ...config });
  return { fn, execute };
}

const GRANTS = { read: ['/data/in'], write: ['/data/out'], egress: ['api.example.com:443'] };

function setup(policy: PolicyDocument) {
  const sink = createMemorySink();
  const ag = createGuard({ identity: createIdentity({ name: 'agent' }), policy, audit: createAuditLog({ sink }) });
  const records = () => sink.lines.map((l) => JSON.parse(l) as Rec).filter((r) => r.type.startsWith('call.'));
  return { ag, records };
}

const granting = (extra: Partial<PolicyDocument> = {}): PolicyDocument => ({
  version: 1,
  ...extra,
  rules: [{ id: 'g', effect: 'allow', tools: ['t'], obligations: { isolation: 'process', grants: GRANTS } }],
});

describe('the grants obligation in guard()', () => {
  it('runs a runner configured within the grants, and records what was granted', async () => {
    const { ag, records } = setup(granting());
    const { fn, execute } = runner({
      read: ['/data/in/a'],
      write: ['/data/out'],
      egress: [{ host: 'api.example.com', ports: [443] }],
    });
    await expect(ag.guard({ name: 't', schema: z.object({}), execute })({})).resolves.toBe('ran');
    expect(fn).toHaveBeenCalledOnce();
    expect(records().at(-1)?.data.decision).toHaveProperty('isolation', {
      actual: 'process',
      required: 'process',
      met: true,
      grants: GRANTS,
    });
  });

  for (const [what, config, exceeded] of [
    ['a read path', { read: ['/data/in', '/etc'] }, ['read:/etc']],
    ['a read path by ..', { read: ['/data/in/../../etc'] }, ['read:/data/in/../../etc']],
    ['a read path by a shared prefix', { read: ['/data/input'] }, ['read:/data/input']],
    ['a write path', { write: ['/data/outbox'] }, ['write:/data/outbox']],
    ['a write path that is only readable', { write: ['/data/in'] }, ['write:/data/in']],
    ['an egress host', { egress: [{ host: 'evil.example', ports: [443] }] }, ['egress:evil.example:443']],
    ['an egress port', { egress: [{ host: 'api.example.com', ports: [443, 22] }] }, ['egress:api.example.com:22']],
  ] as const) {
    it(`refuses a runner configured beyond the grants: ${what}`, async () => {
      const { ag, records } = setup(granting());
      const { fn, execute } = runner(config as Partial<RunnerGrants>);
      const outcome = await ag.guard({ name: 't', schema: z.object({}), execute }).safeRun({});
      expect(outcome).toMatchObject({ ok: false, denial: { code: 'ERR_GUARD_ISOLATION_REQUIRED', ruleId: 'g' } });
      expect(outcome.ok ? '' : outcome.denial.reason).toContain(`configured beyond them: ${exceeded.join(', ')}`);
      expect(fn).not.toHaveBeenCalled();
      const last = records().at(-1);
      expect(last?.type).toBe('call.denied');
      expect(last?.data.decision).toMatchObject({ isolation: { met: false, grants: GRANTS, exceeded } });
    });
  }

  it('refuses a tool that is not sandboxed when the policy grants, even without an isolation level', async () => {
    const { ag, records } = setup({
      version: 1,
      obligations: { grants: { read: ['/data'] } },
      rules: [{ id: 'r', effect: 'allow', tools: ['t'] }],
    });
    const execute = vi.fn(() => 'ran in process');
    await expect(ag.guard({ name: 't', schema: z.object({}), execute })({})).rejects.toMatchObject({
      code: 'ERR_GUARD_ISOLATION_REQUIRED',
      message: expect.stringContaining('runs in this process'),
    });
    expect(execute).not.toHaveBeenCalled();
    expect(records().at(-1)?.data.decision).toMatchObject({
      isolation: { actual: 'none', met: false, exceeded: ['not sandboxed'] },
    });
  });

  it('leaves tools alone when the policy grants nothing', async () => {
    const { ag } = setup({ version: 1, rules: [{ id: 'r', effect: 'allow', tools: ['a', 'b'] }] });
    await expect(ag.guard({ name: 'a', schema: z.object({}), execute: () => 'plain' })({})).resolves.toBe('plain');
    const { execute } = runner({ read: ['/'], egress: [{ host: 'any.example', ports: [443] }] });
    await expect(ag.guard({ name: 'b', schema: z.object({}), execute })({})).resolves.toBe('ran');
  });

  it('check() answers deny, and the run on the kept decision is refused too', async () => {
    const { ag } = setup(granting());
    const { fn, execute } = runner({ read: ['/'] });
    const tool = ag.guard({ name: 't', schema: z.object({}), execute });
    await expect(tool.check({}, { callId: 'c1' })).resolves.toMatchObject({
      effect: 'deny',
      code: 'ERR_GUARD_ISOLATION_REQUIRED',
    });
    await expect(tool.check({}, { callId: 'c1' })).resolves.toMatchObject({ code: 'ERR_GUARD_ISOLATION_REQUIRED' });
    await expect(tool({}, { callId: 'c1' })).rejects.toMatchObject({ code: 'ERR_GUARD_ISOLATION_REQUIRED' });
    expect(fn).not.toHaveBeenCalled();
  });

  it('under a monitoring policy runs and records would-deny', async () => {
    const { ag, records } = setup(granting({ mode: 'monitor' }));
    const { fn, execute } = runner({ write: ['/'] });
    await expect(ag.guard({ name: 't', schema: z.object({}), execute })({})).resolves.toBe('ran');
    expect(fn).toHaveBeenCalledOnce();
    expect(records().at(-1)?.data.decision).toMatchObject({
      wouldDeny: true,
      isolation: { met: false, exceeded: ['write:/'] },
    });
  });

  it('a custom engine answering malformed or unknown grants is refused (fail closed)', async () => {
    for (const grants of [{ read: ['/data/'] }, { exec: ['/bin'] }, { egress: ['a.example'] }, ['/data']]) {
      const base = setup({ version: 1, rules: [{ id: 'r', effect: 'allow', tools: ['t'] }] });
      const hash = `sha256:${'a'.repeat(64)}`;
      // A malformed engine on purpose: its obligation names grants that do not parse.
      const engine = {
        hash,
        mode: 'enforce',
        decide: () => ({
          effect: 'allow',
          ruleId: 'r',
          reason: 'ok',
          matched: ['r'],
          policyHash: hash,
          mode: 'enforce',
          obligations: { grants },
        }),
        hold: () => {
          throw new Error('unused');
        },
        release: () => undefined,
      };
      await base.ag.setPolicy(engine as unknown as PolicyEngine);
      const { fn, execute } = runner({});
      const tool = base.ag.guard({ name: 't', schema: z.object({}), execute });
      await expect(tool({}), JSON.stringify(grants)).rejects.toMatchObject({ code: 'ERR_GUARD_POLICY_DENIED' });
      expect(fn).not.toHaveBeenCalled();
    }
  });
});
