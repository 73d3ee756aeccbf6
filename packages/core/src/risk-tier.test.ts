import { createAuditLog, createMemorySink } from '@agentguard/audit';
import { createIdentity } from '@agentguard/identity';
import type { PolicyDocument } from '@agentguard/policy';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createGuard } from './index.js';

function setup(policy: PolicyDocument) {
  const sink = createMemorySink();
  const ag = createGuard({ identity: createIdentity(), policy, audit: createAuditLog({ sink }) });
  const tiers = () =>
    sink.lines
      .map((l) => JSON.parse(l) as { type: string; tool: string; data: { tier?: string } })
      .filter((r) => r.type === 'call.requested')
      .map((r) => [r.tool, r.data.tier]);
  return { ag, tiers };
}

describe('risk tiers in the guard', () => {
  it('writes each tool tier into its call.requested record', async () => {
    const { ag, tiers } = setup({
      version: 1,
      rules: [{ id: 'all', effect: 'allow', tools: ['list', 'pay', 'named'] }],
    });
    const list = ag.guard({ name: 'list', tags: ['read'], schema: z.object({}), execute: () => 1 });
    const pay = ag.guard({ name: 'pay', tags: ['payment'], schema: z.object({}), execute: () => 2 });
    const named = ag.guard({
      name: 'named',
      risk: 'medium',
      tags: ['payment'],
      schema: z.object({}),
      execute: () => 3,
    });
    await list({});
    await pay({});
    await named({});
    // pay: high by its tag, critical because it runs in-process without approval.
    expect(tiers()).toEqual([
      ['list', 'low'],
      ['pay', 'critical'],
      ['named', 'medium'],
    ]);
  });

  it('lets rules match on tiers', async () => {
    const { ag } = setup({
      version: 1,
      rules: [
        { id: 'all', effect: 'allow', tools: ['*'] },
        { id: 'no-critical', effect: 'deny', tools: ['*'], tiers: ['critical'] },
      ],
    });
    const list = ag.guard({ name: 'list', tags: ['read'], schema: z.object({}), execute: () => 1 });
    const exportAll = ag.guard({
      name: 'export',
      labels: ['reads:pii', 'egress'],
      schema: z.object({}),
      execute: () => 2,
    });
    await expect(list({})).resolves.toBe(1);
    await expect(exportAll({})).rejects.toMatchObject({ code: 'ERR_GUARD_POLICY_DENIED' });
    await expect(exportAll.check({})).resolves.toMatchObject({ effect: 'deny' });
  });

  it('computes the tier again when the policy changes', async () => {
    const { ag, tiers } = setup({
      version: 1,
      rules: [{ id: 'all', effect: 'allow', tools: ['list', 'pay', 'named'] }],
    });
    const pay = ag.guard({ name: 'pay', tags: ['payment'], schema: z.object({}), execute: () => 2 });
    await pay({});
    await ag.setPolicy({
      version: 1,
      rules: [
        { id: 'all', effect: 'allow', tools: ['pay'] },
        { id: 'approve', effect: 'require_approval', tools: ['pay'] },
      ],
    });
    await pay({}).catch(() => undefined);
    expect(tiers()).toEqual([
      ['pay', 'critical'],
      ['pay', 'high'],
    ]);
  });

  it('refuses a risk outside the closed set', () => {
    const { ag } = setup({ version: 1, rules: [] });
    expect(() => ag.guard({ name: 'x', risk: 'extreme' as 'low', schema: z.object({}), execute: () => 1 })).toThrow(
      TypeError,
    );
  });
});
